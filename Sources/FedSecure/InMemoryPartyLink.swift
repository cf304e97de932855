import FedCore
import Foundation

/// The party-to-party link inside one process: two queues, one per direction. For the
/// single-process simulation and the tests; runs over processes use the peer mesh.
public final class InMemoryPartyLink: PartyLink, @unchecked Sendable {
    final class Queue: @unchecked Sendable {
        private let condition = NSCondition()
        private var frames = [ShareFrame]()
        private var closedReason: String?

        func push(_ frame: ShareFrame) {
            condition.lock(); defer { condition.unlock() }
            frames.append(frame)
            condition.signal()
        }

        func close(_ reason: String) {
            condition.lock(); defer { condition.unlock() }
            if closedReason == nil { closedReason = reason }
            condition.broadcast()
        }

        /// The next frame, or nil after `seconds`; throws once closed and drained.
        func pop(seconds: Double) throws -> ShareFrame? {
            condition.lock(); defer { condition.unlock() }
            let deadline = Date(timeIntervalSinceNow: seconds)
            while frames.isEmpty {
                if let closedReason { throw PartyProtocolError.stopped(reason: closedReason) }
                if !condition.wait(until: deadline) { break }
            }
            return frames.isEmpty ? nil : frames.removeFirst()
        }
    }

    private let inbox: Queue
    private let outbox: Queue
    private let otherParty: Int
    public let timeoutSeconds: Double
    /// Rewrites or drops outgoing frames (fault-injection tests); nil drops the frame.
    public var tamper: ((ShareFrame) -> ShareFrame?)?

    init(inbox: Queue, outbox: Queue, otherParty: Int, timeoutSeconds: Double) {
        self.inbox = inbox
        self.outbox = outbox
        self.otherParty = otherParty
        self.timeoutSeconds = timeoutSeconds
    }

    /// Links for party 0 and party 1.
    public static func pair(timeoutSeconds: Double) -> (InMemoryPartyLink, InMemoryPartyLink) {
        let toOne = Queue(), toZero = Queue()
        return (InMemoryPartyLink(inbox: toZero, outbox: toOne, otherParty: 1, timeoutSeconds: timeoutSeconds),
                InMemoryPartyLink(inbox: toOne, outbox: toZero, otherParty: 0, timeoutSeconds: timeoutSeconds))
    }

    public func send(_ frame: ShareFrame) throws {
        if let tamper {
            guard let changed = tamper(frame) else { return }
            outbox.push(changed)
        } else {
            outbox.push(frame)
        }
    }

    public func receive() throws -> ShareFrame {
        guard let frame = try inbox.pop(seconds: timeoutSeconds) else {
            throw PartyProtocolError.silent(party: otherParty, waitedSeconds: timeoutSeconds, expected: ShareTag(tree: -1, level: -1, step: -1))
        }
        return frame
    }

    /// Tells the other party this one stopped, so it fails at once instead of at its time-out.
    public func close(reason: String) { outbox.close(reason) }
}

/// Runs the two parties' bodies on two threads and returns both outcomes; a party that fails
/// closes its link so the other stops promptly.
public func runBothParties<T: Sendable>(links: (InMemoryPartyLink, InMemoryPartyLink),
                                        _ body: @escaping @Sendable (Int, InMemoryPartyLink) throws -> T) -> [Result<T, Error>] {
    let box = ResultPair<T>(), group = DispatchGroup()
    for party in 0..<2 {
        let link = party == 0 ? links.0 : links.1
        group.enter()
        let thread = Thread {
            let outcome = Result { try body(party, link) }
            if case let .failure(error) = outcome { link.close(reason: "party \(party) failed: \(error)") }
            box.results[party] = outcome
            group.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    group.wait()
    return box.results.map { $0! }
}

private final class ResultPair<T>: @unchecked Sendable {
    var results = [Result<T, Error>?](repeating: nil, count: 2)
}
