import FedCore
import FedModels

/// What every graph algorithm's client does: keep its network and Adam state in private state,
/// run full-batch local epochs over its subgraph, and report its evaluation (DESIGN §10: parameter
/// roles, private state on the worker, client-side evaluation, whole-graph local steps).
///
/// Keys (under `algorithm:`): `lr` (Adam step size, 0.01) and `local_epochs` (E, 1).
public struct GraphLocalSettings: Sendable, Equatable {
    public var learningRate: Double
    public var localEpochs: Int

    public init(learningRate: Double = 0.01, localEpochs: Int = 1) {
        self.learningRate = learningRate
        self.localEpochs = localEpochs
    }

    public init(section: ConfigSection) throws(ConfigError) {
        self.init(learningRate: try section.double("lr", default: 0.01, range: 1e-8...10),
                  localEpochs: try section.int("local_epochs", default: 1, range: 1...10_000))
    }

    public var summary: [(key: String, value: String)] { [("lr", "\(learningRate)"), ("local_epochs", "\(localEpochs)")] }
}

/// One graph client's whole network (every tensor, whatever its role) and its optimiser, as kept in
/// the client's private state between rounds.
struct GraphClientModel {
    var parameters: [Float]
    var adam: Adam

    static let parametersKey = "model", firstMomentKey = "adam.m", secondMomentKey = "adam.v", stepsKey = "adam.steps"

    /// The client's saved model, or (first task) the run's initial parameters drawn from the seed,
    /// which every process computes identically, so nothing private ever needs to travel.
    init(privateState: ClientState, context: ClientContext, settings: GraphLocalSettings, seed initial: () -> [Float]) throws(AlgorithmError) {
        let count = context.model.layout.totalCount
        let optimizer = Adam.Settings(learningRate: Float(settings.learningRate))
        guard let saved = privateState[Self.parametersKey] else {
            parameters = initial()
            adam = Adam(settings: optimizer, parameterCount: count)
            return
        }
        guard saved.count == count, privateState[Self.firstMomentKey]?.count == count, privateState[Self.secondMomentKey]?.count == count,
              let steps = privateState[Self.stepsKey]?.first, steps >= 0 else {
            throw AlgorithmError("the client's private state does not fit this model (\(saved.count) parameters, expected \(count))")
        }
        parameters = saved
        adam = Adam(settings: optimizer, firstMoment: privateState[Self.firstMomentKey] ?? [], secondMoment: privateState[Self.secondMomentKey] ?? [],
                    stepCount: Int(steps))
    }

    func save(into state: inout ClientState) {
        state[Self.parametersKey] = parameters
        state[Self.firstMomentKey] = adam.firstMoment
        state[Self.secondMomentKey] = adam.secondMoment
        state[Self.stepsKey] = [Float(adam.stepCount)]
    }

    /// E full-batch epochs of Adam on the client's training nodes; dropout masks come from the
    /// runtime's stream for this (client, round). Returns the mean training loss.
    mutating func train(graph: GraphClient, epochs: Int, rng: inout RNGStream) -> Double {
        guard !graph.train.isEmpty else { return .nan }
        var gradient = [Float](repeating: 0, count: parameters.count)
        var total = 0.0
        for _ in 0..<epochs {
            for i in gradient.indices { gradient[i] = 0 }
            var dropout: RNGStream? = rng
            let loss = parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    graph.network.lossAndGradient(parameters: p, inputs: graph.inputs, lossNodes: graph.train, gradient: g,
                                                  workspace: graph.workspace, dropout: &dropout)
                }
            }
            rng = dropout ?? rng
            adam.step(parameters: &parameters, gradient: gradient)
            total += Double(loss)
        }
        return total / Double(epochs)
    }

    /// Validation and test accuracy and loss of `parameters` on the client's nodes, as client-side
    /// evaluation reports (count-weighted by the coordinator).
    static func report(_ parameters: [Float], graph: GraphClient, into metrics: inout [String: Double]) {
        let scores = graph.network.evaluate(parameters: parameters, inputs: graph.inputs, nodeSets: [graph.validation, graph.test],
                                            workspace: graph.workspace)
        let (validation, test) = (scores[0], scores[1])
        ClientEvaluation.report("val_accuracy", mean: validation.accuracy, count: graph.validation.count, into: &metrics)
        ClientEvaluation.report("val_loss", mean: validation.loss, count: graph.validation.count, into: &metrics)
        ClientEvaluation.report("test_accuracy", mean: test.accuracy, count: graph.test.count, into: &metrics)
        ClientEvaluation.report("test_loss", mean: test.loss, count: graph.test.count, into: &metrics)
    }
}

extension ClientContext {
    /// The client's subgraph, or an error naming the pairing rule.
    func requireGraph(_ algorithm: String) throws(AlgorithmError) -> GraphClient {
        guard let graph else { throw AlgorithmError("\(algorithm) trains graph models on graph data; this client holds rows") }
        return graph
    }

    /// The run's initial parameters, from the same stream the coordinator draws them from.
    static func initialParameters(model: any DifferentiableModel, seed: UInt64) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .parameterInit)
        return model.initialParameters(rng: &rng)
    }
}
