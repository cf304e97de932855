import FedCore
import FedModels

/// A star algorithm for bilevel problems. Its outer iteration spans several rounds, each with a
/// phase (lower-level steps, Neumann terms, the hypergradient, the upper step); the phase is the
/// round's envelope tag and decides which tensors travel. The runtime knows nothing of the phases
/// beyond the tag and the update layout the algorithm names for each.
///
/// Server state: `parameters` holds (x, y), x first, as the problem lays them out; the algorithm's
/// working vectors (Neumann sums, averaged gradients) sit in `extras`.
public protocol BilevelAlgorithm: StarAlgorithm {
    /// Communication rounds in one outer iteration.
    var roundsPerOuterIteration: Int { get }
}

extension BilevelAlgorithm {
    /// (outer iteration, step within it), both from 0, of a 1-based round.
    public func position(of round: Int) -> (outer: Int, step: Int) {
        ((round - 1) / roundsPerOuterIteration, (round - 1) % roundsPerOuterIteration)
    }
}

/// Helpers shared by the bilevel algorithms.
enum BilevelSupport {
    /// The client's problem, or an error naming the model that is not one.
    static func problem(_ context: ClientContext) throws(AlgorithmError) -> any BilevelProblem {
        guard let problem = context.model as? any BilevelProblem else {
            throw AlgorithmError("the model is not a bilevel problem (use quadratic_bilevel, hyper_representation or hyper_cleaning)")
        }
        return problem
    }

    /// Checks at start-up that the topology pairs a bilevel algorithm with a bilevel problem.
    static func requireProblem(_ model: any DifferentiableModel, section: ConfigSection) throws(ConfigError) -> any BilevelProblem {
        guard let problem = model as? any BilevelProblem else {
            throw section.error("name", "bilevel algorithms need a bilevel model (quadratic_bilevel, hyper_representation, hyper_cleaning)")
        }
        return problem
    }

    /// A flat vector as a one-dimensional tensor.
    static func tensor(_ name: String, _ values: [Float]) -> NamedTensor {
        NamedTensor(name: name, shape: [values.count], values: values)
    }

    /// The task's tensor `name`, which must hold `count` values.
    static func vector(_ name: String, in tensors: [NamedTensor], count: Int) throws(AlgorithmError) -> [Float] {
        guard let tensor = tensors.first(where: { $0.name == name }) else { throw AlgorithmError("task has no tensor '\(name)'") }
        guard tensor.values.count == count else {
            throw AlgorithmError("tensor '\(name)' has \(tensor.values.count) values, expected \(count)")
        }
        return tensor.values
    }

    /// The task's (x, y) as one flat parameter buffer.
    static func parameters(in task: ClientTask, problem: any BilevelProblem) throws(AlgorithmError) -> [Float] {
        try vector("x", in: task.tensors, count: problem.upperCount) + vector("y", in: task.tensors, count: problem.lowerCount)
    }

    /// The (x, y) tensors of a parameter buffer, what every task carries.
    static func pointTensors(_ parameters: [Float], p: Int) -> [NamedTensor] {
        [tensor("x", Array(parameters[0..<p])), tensor("y", Array(parameters[p...]))]
    }

    /// The plain mean of tensor `name` over the updates (already sorted by client id), nil if none.
    /// Replies are averaged uniformly: the spec's estimators sample clients uniformly.
    static func mean(_ name: String, of updates: [ClientUpdate]) -> [Float]? {
        let vectors = updates.compactMap { $0.tensors.first(where: { $0.name == name })?.values }
        guard !vectors.isEmpty else { return nil }
        return Aggregation.weightedMean(vectors, weights: [Double](repeating: 1, count: vectors.count))
    }

    /// Euclidean norm in Double.
    static func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    /// An update carrying one vector.
    static func reply(_ task: ClientTask, _ context: ClientContext, _ name: String, _ values: [Float],
                      metrics: [String: Double] = [:]) -> ClientUpdate {
        ClientUpdate(clientID: task.clientID, numSamples: context.data.count, tensors: [tensor(name, values)], metrics: metrics)
    }
}
