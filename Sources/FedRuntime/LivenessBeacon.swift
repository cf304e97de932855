import Foundation

/// A file whose modification time a process's main loop keeps fresh, so that a container health
/// check (`fedsim health FILE`) can tell a live process from a hung one without joining the run.
///
/// The loop calls `beat()` as often as it likes; the file is touched at most once a second, so the
/// cost is one `futimens` per second. A process that stops looping (stuck in a system call, deadlocked)
/// lets the file age, and the health check fails once it is older than its limit.
///
/// Unchecked Sendable: a beacon belongs to one process's single main loop, which alone calls `beat()`.
public final class LivenessBeacon: @unchecked Sendable {
    private let descriptor: Int32
    private var lastBeat: ContinuousClock.Instant?

    /// Opens (creating if needed) `path` and touches it once.
    ///
    /// - Throws: `RuntimeError.setupFailed` when the file cannot be created.
    public init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RuntimeError.setupFailed(reason: "cannot create the health file \(path): \(String(cString: strerror(errno)))")
        }
        beat()
    }

    deinit { close(descriptor) }

    /// Marks the process alive (touches the file if the last touch is a second old or more).
    public func beat() {
        let now = ContinuousClock.now
        if let lastBeat, now - lastBeat < .seconds(1) { return }
        lastBeat = now
        _ = futimens(descriptor, nil)
    }

    /// The age of `path`'s modification time in seconds, or nil when it does not exist.
    public static func age(of path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
    }

    /// The environment variable naming the health file when `--health-file` is not given (so one
    /// container image and one compose or Kubernetes setting serve every role).
    public static let environmentVariable = "FEDSIM_HEALTH_FILE"
}
