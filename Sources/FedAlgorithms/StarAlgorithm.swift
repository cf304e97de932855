import FedCore
import FedModels

/// Work the coordinator sends to one virtual client for one round.
public struct ClientTask: Sendable, Equatable {
    public var clientID: Int
    /// Named tensors (usually the global model); keys belong to the algorithm.
    public var tensors: [NamedTensor]
    /// Scalar settings for this round; keys belong to the algorithm.
    public var config: [String: Double]

    public init(clientID: Int, tensors: [NamedTensor], config: [String: Double] = [:]) {
        self.clientID = clientID
        self.tensors = tensors
        self.config = config
    }
}

/// What a virtual client returns for a task.
public struct ClientUpdate: Sendable, Equatable {
    public var clientID: Int
    /// The client's example count (its weight in sample-weighted aggregation); the runtime rejects
    /// updates whose count differs from the client's shard.
    public var numSamples: Int
    public var tensors: [NamedTensor]
    /// Client-side metrics (for example `train_loss`).
    public var metrics: [String: Double]

    public init(clientID: Int, numSamples: Int, tensors: [NamedTensor], metrics: [String: Double] = [:]) {
        self.clientID = clientID
        self.numSamples = numSamples
        self.tensors = tensors
        self.metrics = metrics
    }
}

/// Named buffers a virtual client keeps from round to round (duals, control variates).
///
/// The runtime keeps them with the client, whichever worker hosts it, and in checkpoints; the
/// algorithm reads and writes them through `ClientContext.state`. Keys are sorted wherever order
/// matters, so state never depends on dictionary order.
public typealias ClientState = [String: [Float]]

/// The coordinator-side state of a star algorithm, as checkpointed.
public struct ServerState: Sendable, Equatable {
    /// The global model's flat parameters.
    public var parameters: [Float]
    /// Further named buffers the algorithm keeps (server momentum, control variates, ...).
    public var extras: [String: [Float]]

    public init(parameters: [Float], extras: [String: [Float]] = [:]) {
        self.parameters = parameters
        self.extras = extras
    }
}

/// The tasks of one round and the phase they belong to.
public struct RoundPlan: Sendable {
    /// Phase tag carried in every envelope of the round (empty for single-phase algorithms).
    public var phase: String
    public var tasks: [ClientTask]
    public init(phase: String = "", tasks: [ClientTask]) { self.phase = phase; self.tasks = tasks }
}

/// The outcome of aggregating one round.
public struct RoundResult: Sendable {
    public var state: ServerState
    /// Metrics for this round's row (for example `train_loss`).
    public var metrics: [String: Double]
    public init(state: ServerState, metrics: [String: Double]) { self.state = state; self.metrics = metrics }
}

/// What a virtual client has at hand when it runs a task.
public struct ClientContext {
    public let model: any DifferentiableModel
    /// The client's own data shard.
    public let data: DatasetShard
    /// The stream for this (client, round): every random draw of the local work comes from it.
    public var rng: RNGStream
    /// Scratch buffers reused across the clients hosted by one worker.
    public let workspace: ModelWorkspace
    /// The client's persistent state as left by its previous task (empty at first).
    public var state: ClientState
    /// State that never leaves the client (DESIGN §10): private tensors, their optimiser moments.
    /// The hosting worker keeps it, saves it after every task and continues it from the client's last
    /// accepted round, so a retried, moved or resumed client continues exactly; no message carries it.
    public var privateState: ClientState
    /// The client's subgraph, for graph workloads (nil for row data).
    public let graph: GraphClient?
    /// The client's own test rows, when a row workload is evaluated on its clients (a model with
    /// private tensors, which only the client holds whole); nil otherwise.
    public var testData: Dataset?
    /// The round the task belongs to (1-based).
    public let round: Int
    /// The run's seed (private tensors start from the initial model every process draws from it).
    public let seed: UInt64

    public init(model: any DifferentiableModel, data: DatasetShard, rng: RNGStream, workspace: ModelWorkspace,
                state: ClientState = [:], round: Int = 1, privateState: ClientState = [:], graph: GraphClient? = nil,
                seed: UInt64 = 0, testData: Dataset? = nil) {
        self.seed = seed
        self.testData = testData
        self.model = model
        self.data = data
        self.rng = rng
        self.workspace = workspace
        self.state = state
        self.round = round
        self.privateState = privateState
        self.graph = graph
    }
}

/// A federated algorithm with a coordinator and clients that talk in rounds (a star).
///
/// Pure logic: the runtime samples clients, moves tasks and updates, enforces time-outs and
/// quorum, and checkpoints `ServerState`; the algorithm never sees sockets, clocks or global RNGs.
public protocol StarAlgorithm: Sendable {
    /// The name used in topology files.
    var name: String { get }

    /// The resolved settings as (key, value) pairs, written to the run directory's config.
    var settingsSummary: [(key: String, value: String)] { get }

    /// The largest minibatch a client will use (sizes the worker's workspace).
    var batchCapacity: Int { get }

    /// Metrics this algorithm adds to every round's row (extra columns of metrics.csv).
    var metricNames: [String] { get }

    /// Settings that are valid but likely to misbehave, as sentences for the user (printed at start-up).
    func startupWarnings(meanShardSize: Double) -> [String]

    /// State before round 1, from the model's initial parameters.
    func initialState(parameters: [Float]) -> ServerState

    /// The tasks for the sampled clients (ascending ids) of `round` (1-based).
    func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan

    /// The layout every update's tensors must match (the runtime rejects others before aggregation).
    func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout

    /// The layout of the updates of a round of `phase`, for algorithms whose phases return different
    /// tensors (the default: `updateLayout(modelLayout:)` whatever the phase).
    func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout

    /// The round whose client sample `round` reuses. The default, `round` itself, draws a fresh
    /// sample every round; an algorithm whose clients carry work from one round to the next within a
    /// cycle (FedNest's Neumann partial sums) returns the cycle's first round, so every round of the
    /// cycle asks the same clients. Retries of a round always draw afresh.
    func samplingRound(for round: Int) -> Int

    /// New state from the round's accepted updates, sorted by client id; `failures` lists the
    /// sampled clients that did not answer in time or whose updates were rejected.
    func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult

    /// Client side: run `task` on the client's data.
    func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate

    /// For workloads evaluated on the clients: the evaluation-only tasks (phase
    /// `ClientEvaluation.phase`, no tensors back) that evaluate the final state after the last round,
    /// or nil when the algorithm's clients report nothing to evaluate. Clients answer them through
    /// `train`, which must leave the client's private state as it was.
    func evaluationPlan(round: Int, clients: [Int], state: ServerState) -> RoundPlan?

    /// Whether clients keep private state (`ClientContext.privateState`) that the worker must save.
    var keepsPrivateState: Bool { get }
}

extension StarAlgorithm {
    public func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout { modelLayout }
    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout { updateLayout(modelLayout: modelLayout) }
    public func samplingRound(for round: Int) -> Int { round }
    public var metricNames: [String] { [] }
    public func startupWarnings(meanShardSize: Double) -> [String] { [] }
    public func evaluationPlan(round: Int, clients: [Int], state: ServerState) -> RoundPlan? { nil }
    public var keepsPrivateState: Bool { false }
}

/// Errors an algorithm raises on malformed input it cannot work with.
public struct AlgorithmError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
