import FedCore
import FedModels
import FedTestSupport
import Testing

/// The client's LightGCN step (spec §5.5 federated form): gradient against finite differences, and
/// agreement with the whole-graph LightGCN when the aggregates are the exact ones.
@Suite struct FederatedLightGCNStepTests {
    /// 3 users, 6 items; user 0 is the client (positives 0, 2, 3).
    static let training = InteractionSet(userCount: 3, itemCount: 6, pairs: [(0, 0, 0), (0, 2, 0), (0, 3, 0), (1, 0, 0), (1, 1, 0),
                                                                             (1, 4, 0), (2, 2, 0), (2, 5, 0), (2, 3, 0)])
    static let d = 3

    /// s_ui, M1, M2 exactly as the server builds them from every user's rows.
    static func exactStep(layers: Int, ego: [Float]) -> FederatedLightGCNStep {
        let degrees = training.itemDegrees
        func s(_ u: Int, _ i: Int) -> Float { 1 / (Float(training.items(of: u).count) * Float(degrees[i])).squareRoot() }
        var m1 = [Float](repeating: 0, count: 6 * d), m2 = m1
        for u in 0..<3 {
            var e1 = [Float](repeating: 0, count: d)
            for i in training.items(of: u) { for k in 0..<d { e1[k] += ego[(3 + Int(i)) * d + k] * s(u, Int(i)) } }
            for i in training.items(of: u) {
                for k in 0..<d {
                    m1[Int(i) * d + k] += ego[u * d + k] * s(u, Int(i))
                    m2[Int(i) * d + k] += e1[k] * s(u, Int(i))
                }
            }
        }
        let positives = Array(training.items(of: 0))
        return FederatedLightGCNStep(layers: layers, dimension: d, regularization: 0.01, positives: positives,
                                     scales: positives.map { s(0, Int($0)) }, aggregate1: m1, aggregate2: m2)
    }

    static func ego() -> [Float] {
        var rng = RNGStream(seed: 5, purpose: .custom)
        return (0..<(9 * d)).map { _ in Float(rng.nextGaussian() * 0.5) }
    }

    /// The client's local buffer when it holds every item: user 0's row, then all 6 item rows.
    static func local(_ ego: [Float]) -> [Float] { Array(ego[0..<d]) + Array(ego[(3 * d)...]) }

    @Test(arguments: [1, 2])
    func gradient_matchesFiniteDifferences(layers: Int) {
        let ego = Self.ego()
        let step = Self.exactStep(layers: layers, ego: ego)
        let pairs: [(positive: Int32, negative: Int32)] = [(0, 1), (2, 5), (3, 4), (0, 4)]
        var parameters = Self.local(ego)
        var gradient = [Float](repeating: 0, count: parameters.count)
        _ = step.lossAndGradient(pairs: pairs, parameters: parameters, gradient: &gradient)
        for index in parameters.indices {
            let original = parameters[index]
            var scratch = [Float](repeating: 0, count: parameters.count)
            parameters[index] = original + 1e-2
            let up = Double(step.lossAndGradient(pairs: pairs, parameters: parameters, gradient: &scratch))
            parameters[index] = original - 1e-2
            let down = Double(step.lossAndGradient(pairs: pairs, parameters: parameters, gradient: &scratch))
            parameters[index] = original
            let numeric = (up - down) / 2e-2
            #expect(abs(numeric - Double(gradient[index])) < 2e-3 + 2e-2 * abs(numeric), "parameter \(index): \(numeric) vs \(gradient[index])")
        }
    }

    /// With exact (not stale) aggregates the user's and the items' final embeddings are whole-graph
    /// LightGCN's: the federated form only delays the other users' terms.
    @Test(arguments: [1, 2])
    func exactAggregates_giveWholeGraphLightGCN(layers: Int) {
        let ego = Self.ego()
        let step = Self.exactStep(layers: layers, ego: ego)
        let whole = LightGCN(training: Self.training, dimension: Self.d, layers: layers, regularization: 0).propagate(ego)
        let local = Self.local(ego)
        let user = step.userEmbedding(local)
        for k in 0..<Self.d { #expect(abs(user[k] - whole[k]) < 1e-5) }
        for item in 0..<6 {
            let mine = step.itemEmbedding(item, local)
            for k in 0..<Self.d { #expect(abs(mine[k] - whole[(3 + item) * Self.d + k]) < 1e-5) }
        }
    }
}
