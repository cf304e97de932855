import FedAlgorithms
import FedCore
import FedModels
import FedWorkloads

/// A topology file decoded and checked: everything a run needs, with every default filled in.
///
/// The YAML keys are snake_case; see `topologies/` for annotated examples and the README for
/// the full reference.
public struct Topology: Sendable {
    public var name: String
    public var seed: UInt64
    public var algorithm: AlgorithmSpec
    public var workload: WorkloadSpec
    public var federation: FederationSpec
    public var processes: ProcessSpec
    public var faults: FaultSpec
    public var output: OutputSpec
    /// The graph of a decentralized run (`.star` for coordinator-and-clients runs).
    public var network: NetworkSpec = .star
    /// Star, peer or party run.
    public var mode: RunMode = .star
    /// The sweep to run instead of a single run (nil: one run).
    public var sweep: SweepSpec?
    /// The tuning study `fedsim tune` runs (nil: none).
    public var tuning: TuningSpec?
    /// The file it came from (for messages and relative paths).
    public var sourceFile: String

    /// `algorithm:` — the name and round count; the remaining keys belong to the algorithm.
    public struct AlgorithmSpec: Sendable {
        public var name: String
        public var rounds: Int
        /// The whole section, for the algorithm to decode its own settings.
        public var section: ConfigNode
    }

    /// `workload:` (decoded by `WorkloadCatalog`).
    public typealias WorkloadSpec = FedWorkloads.WorkloadSpec
    public typealias DatasetSpec = FedWorkloads.DatasetSpec
    /// Known data set names.
    public static var datasetNames: [String] { WorkloadCatalog.datasetNames }

    /// `federation:` — clients, sampling, time-outs and quorum.
    public struct FederationSpec: Sendable, Equatable {
        /// Number of virtual clients.
        public var clients: Int
        /// Clients sampled per round.
        public var perRound: Int
        /// Seconds a round waits for updates; also how long a worker may stay silent before it is dropped.
        public var timeoutSeconds: Double
        /// Fraction of the sampled clients that must answer for the round to count.
        public var quorum: Double
        /// Retries (with a fresh sample) of a round that missed its quorum before the run stops.
        public var maxRetries: Int
        /// Largest accepted message, in bytes.
        public var maxMessageBytes: Int
        /// Seconds the coordinator waits for all workers to join.
        public var joinTimeoutSeconds: Double
    }

    /// `processes:` — how the simulation is laid out on this machine.
    public struct ProcessSpec: Sendable, Equatable {
        public var workers: Int
        public var transport: Transport
    }

    /// How coordinator and workers talk.
    public enum Transport: String, Sendable, CaseIterable {
        case tcp, ipc, inproc
    }

    /// `faults:` — deliberate failures, for testing robustness.
    public struct FaultSpec: Sendable, Equatable {
        /// Probability that a sampled client silently does not answer (drawn per client and round).
        public var clientDrop: Double
    }

    /// `output:`.
    public struct OutputSpec: Sendable, Equatable {
        public var directory: String
        public var plot: Bool
    }
}
