import FedCore
import FedModels

/// Named buffers one peer keeps across steps and iterations (its x, y, auxiliaries, trackers).
/// Checkpointed by the runtime; keys sorted wherever order matters.
public typealias PeerState = [String: [Float]]

/// One exchange with the neighbours inside an outer iteration.
public struct PeerStep: Sendable, Equatable, Hashable {
    /// What the step updates ("lower", "linear", "upper"), tagged on every gossip message.
    public var phase: String
    /// Its position within the phase (0-based).
    public var index: Int
    public init(phase: String, index: Int) { self.phase = phase; self.index = index }
    /// The envelope tag, e.g. `lower.3`.
    public var tag: String { "\(phase).\(index)" }
}

/// What a peer has at hand for one step.
public struct PeerContext {
    public let problem: any BilevelProblem
    /// The node's own rows.
    public let data: DatasetShard
    /// The stream for this (node, iteration, step): every random draw of the step comes from it.
    public var rng: RNGStream
    /// 0-based outer iteration.
    public let iteration: Int
    /// Every host of peers derives `rng` with `PeerSimulator.stream` (and the initial state's with
    /// `PeerSimulator.initialStream`), so where a peer runs never changes what it draws.
    public init(problem: any BilevelProblem, data: DatasetShard, rng: RNGStream, iteration: Int) {
        self.problem = problem
        self.data = data
        self.rng = rng
        self.iteration = iteration
    }
}

/// A decentralized algorithm: peers on a graph, no server.
///
/// Pure logic, like `StarAlgorithm`: the runtime owns the graph, the mixing weights and the
/// transport. Each outer iteration is a fixed sequence of steps; in every step each peer
///  1. `prepare`s the vectors it gossips (doing any local work first),
///  2. the runtime delivers them to its neighbours and hands each peer the mix
///     Mix(v)_i = Σ_j w_ij v_j over itself and its neighbours (summed in Double, in node order),
///  3. the peer `advance`s its state from the mix.
/// Everything a peer does depends only on its state, its data and the mixes it receives, so a run
/// is identical whichever process hosts which peer.
public protocol PeerAlgorithm: Sendable {
    /// The name used in topology files.
    var name: String { get }
    /// The resolved settings as (key, value) pairs.
    var settingsSummary: [(key: String, value: String)] { get }
    /// Metrics this algorithm adds to every iteration's row.
    var metricNames: [String] { get }
    /// The steps of every outer iteration, in order.
    var steps: [PeerStep] { get }

    /// A peer's state before iteration 0, from the model's initial (x, y) (the same on every peer).
    func initialState(parameters: [Float], context: inout PeerContext) throws(AlgorithmError) -> PeerState

    /// The tensors the peer sends to each neighbour in `step` (and keeps for its own share of the mix).
    func prepare(step: PeerStep, state: inout PeerState, context: inout PeerContext) throws(AlgorithmError) -> [NamedTensor]

    /// The peer's state after the step, from the mixes of the tensors `prepare` named (same names, same order).
    func advance(step: PeerStep, state: inout PeerState, mixed: [NamedTensor], context: inout PeerContext) throws(AlgorithmError)

    /// The peer's current (x, y), laid out as the problem's parameters (for evaluation and the model file).
    func point(of state: PeerState) -> [Float]

    /// Per-peer metrics after an iteration (averaged over peers by the runtime), e.g. a local gradient norm.
    func peerMetrics(state: PeerState) -> [String: Double]
}

extension PeerAlgorithm {
    public var metricNames: [String] { [] }
    public func peerMetrics(state: PeerState) -> [String: Double] { [:] }
}
