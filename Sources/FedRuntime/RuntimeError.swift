/// Why a run stopped. Each case says what happened and what to do about it.
public enum RuntimeError: Error, CustomStringConvertible {
    /// Fewer workers joined than the topology asks for.
    case workersMissing(joined: Int, expected: Int, waitedSeconds: Double)
    /// Every worker was dropped.
    case noWorkersLeft(round: Int)
    /// A round missed its quorum on every retry.
    case quorumNotReached(round: Int, attempts: Int, answered: Int, needed: Int)
    /// The coordinator has been silent for too long (seen from a worker).
    case coordinatorSilent(seconds: Double)
    /// The coordinator refused this worker.
    case refused(reason: String)
    /// A worker could not set itself up (bad config, missing data).
    case setupFailed(reason: String)
    /// A decentralized run lost a peer: a neighbour stopped gossiping or its worker went silent.
    case peerFailed(iteration: Int, reason: String)
    /// A party run stopped: a party failed, sent a bad frame or went silent.
    case partyFailed(reason: String)
    /// A worker was asked to continue a client's private state it does not have.
    case privateStateMissing(client: Int, round: Int, directory: String?)

    public var description: String {
        switch self {
        case let .workersMissing(joined, expected, waited):
            return "only \(joined) of \(expected) workers joined within \(waited) s (raise federation.join_timeout_s or start more workers)"
        case let .noWorkersLeft(round):
            return "round \(round): every worker has been dropped; the run cannot continue"
        case let .quorumNotReached(round, attempts, answered, needed):
            return "round \(round): only \(answered) of the \(needed) required clients answered in \(attempts) attempts "
                + "(raise federation.timeout_s, lower federation.quorum, or check the workers)"
        case let .coordinatorSilent(seconds):
            return "no message from the coordinator for \(Int(seconds)) s; giving up"
        case let .refused(reason):
            return "the coordinator refused this worker: \(reason)"
        case let .setupFailed(reason):
            return "worker setup failed: \(reason)"
        case let .peerFailed(iteration, reason):
            return "iteration \(iteration): \(reason); the run stops (decentralized runs do not continue without a peer: "
                + "its neighbours' mixing would no longer be doubly stochastic). Rows up to the last complete iteration are kept"
        case let .partyFailed(reason):
            return "\(reason); the protocol cannot continue without both parties (metrics rows of finished trees are kept)"
        case let .privateStateMissing(client, round, directory):
            return "client \(client): no private state saved after round \(round) "
                + (directory.map { "in \($0)" } ?? "(this worker keeps it in memory only)")
                + "; give every worker the same --state-dir (a shared volume across hosts) so moved and resumed clients continue"
        }
    }
}
