/// A point in monotonic time after which a wait should give up.
///
/// Interrupted waits are restarted with whatever time is left, so the total wait
/// never exceeds the caller's timeout however many signals arrive.
struct PollDeadline {
    /// `nil` means wait forever.
    private let end: ContinuousClock.Instant?

    /// Starts a deadline `timeoutMilliseconds` from now; a negative value never expires.
    init(timeoutMilliseconds: Int32) {
        if timeoutMilliseconds < 0 {
            end = nil
        } else {
            end = ContinuousClock.now.advanced(by: .milliseconds(Int(timeoutMilliseconds)))
        }
    }

    /// Whether the deadline has passed; never true for an unbounded deadline.
    var hasExpired: Bool {
        guard let end else {
            return false
        }
        return ContinuousClock.now >= end
    }

    /// Milliseconds left, in the form `zmq_poll` takes: -1 for forever, otherwise at least 0.
    var remainingMilliseconds: Int {
        guard let end else {
            return -1
        }
        let remaining = ContinuousClock.now.duration(to: end)
        if remaining <= .zero {
            return 0
        }
        let (seconds, attoseconds) = remaining.components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        // Rounding up keeps a sub-millisecond remainder from turning into a busy non-blocking poll.
        let partial = (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        return Int(seconds * 1_000 + partial)
    }
}
