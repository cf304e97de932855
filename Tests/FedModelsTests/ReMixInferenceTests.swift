import FedCore
import FedModels
import Testing

/// ReMix's two evaluation routings (spec §3.4): top-k of the router's distribution, or k draws as in
/// training. Sampled inference must draw distinct subsets that follow q, and repeat itself exactly
/// for the same batch whatever the workspace evaluated before.
@Suite struct ReMixInferenceTests {
    static func model(sampled: Bool) -> AdapterMLP {
        AdapterMLP(inputs: 6, hidden: 5, classes: 3, experts: 4, rank: 2, routing: .reinforced(topK: 2, selections: 2), baseSeed: 7,
                   sampledInference: sampled)
    }

    static let batch = 200
    static let x: [Float] = {
        var rng = RNGStream(seed: 9, purpose: .custom)
        return (0..<(batch * 6)).map { _ in Float(rng.nextGaussian()) }
    }()

    static func parameters(_ model: AdapterMLP) -> [Float] {
        var rng = RNGStream(seed: 8, purpose: .custom)
        var flat = model.initialParameters(rng: &rng)
        for entry in model.layout.entries where entry.name.hasPrefix("router") {
            for i in entry.offset..<(entry.offset + entry.count) { flat[i] = Float(rng.nextGaussian()) }
        }
        return flat
    }

    @Test func sampledInference_drawsFromTheRouter_andRepeatsForTheSameBatch() {
        let topK = Self.model(sampled: false), sampled = Self.model(sampled: true)
        let p = Self.parameters(topK)
        let greedy = topK.routedExperts(parameters: p, x: Self.x, batch: Self.batch)[0]
        let drawn = sampled.routedExperts(parameters: p, x: Self.x, batch: Self.batch)[0]
        let again = sampled.routedExperts(parameters: p, x: Self.x, batch: Self.batch)[0]
        #expect(drawn == again)
        var differing = 0
        for e in 0..<Self.batch {
            let chosen = Set(drawn[(2 * e)..<(2 * e + 2)])
            #expect(chosen.count == 2, "draws are without replacement")
            if chosen != Set(greedy[(2 * e)..<(2 * e + 2)]) { differing += 1 }
        }
        // Routers with unit-variance weights are far from one-hot: many draws leave the top-k.
        #expect(differing > Self.batch / 10 && differing < Self.batch, "\(differing) of \(Self.batch) sampled subsets differ from the top-k")
        // Same weights, same expert tensors: the two models differ in evaluation routing only.
        #expect(topK.layout == sampled.layout)
    }
}
