import FedCore
import FedModels
import Foundation
import Testing

/// NCF's three variants: the hand-written backward against central differences (in Double, by
/// perturbing a Float copy at a step the Float arithmetic resolves), and learning a toy preference.
@Suite struct NeuralCollaborativeFilteringTests {
    let examples = [NeuralCollaborativeFiltering.Example(user: 0, item: 1, label: 1), .init(user: 0, item: 2, label: 0),
                    .init(user: 2, item: 0, label: 1), .init(user: 1, item: 3, label: 0), .init(user: 2, item: 3, label: 1)]

    @Test(arguments: NeuralCollaborativeFiltering.Variant.allCases)
    func gradient_matchesCentralDifferences(variant: NeuralCollaborativeFiltering.Variant) {
        let model = NeuralCollaborativeFiltering(variant: variant, userCount: 3, itemCount: 4, factors: 3, tower: [6, 5, 4])
        var rng = RNGStream(seed: 6, purpose: .parameterInit)
        // Larger than the default init, so the tower's ReLUs see both signs and the gradient is not tiny.
        let parameters = (0..<model.layout.totalCount).map { _ in Float(rng.nextGaussian() * 0.7) }
        var gradient = [Float](repeating: 0, count: parameters.count)
        _ = model.lossAndGradient(examples: examples, parameters: parameters, gradient: &gradient)
        var worst = 0.0
        for index in parameters.indices {
            var plus = parameters, minus = parameters, scratch = [Float](repeating: 0, count: parameters.count)
            plus[index] += 3e-3
            minus[index] -= 3e-3
            let numeric = (Double(model.lossAndGradient(examples: examples, parameters: plus, gradient: &scratch))
                - Double(model.lossAndGradient(examples: examples, parameters: minus, gradient: &scratch))) / Double(plus[index] - minus[index])
            worst = max(worst, abs(numeric - Double(gradient[index])))
        }
        #expect(worst < 2e-3, "\(variant): worst gradient error \(worst)")
    }

    @Test func neumf_learnsWhichItemsEachUserLikes() {
        let model = NeuralCollaborativeFiltering(variant: .neumf, userCount: 6, itemCount: 8, factors: 4, tower: [8, 8, 4])
        var rng = RNGStream(seed: 1, purpose: .parameterInit)
        var parameters = model.initialParameters(rng: &rng)
        // Even users like even items, odd users odd items.
        var data = [NeuralCollaborativeFiltering.Example]()
        for u in 0..<6 { for i in 0..<8 { data.append(.init(user: Int32(u), item: Int32(i), label: u % 2 == i % 2 ? 1 : 0)) } }
        var adam = Adam(settings: Adam.Settings(learningRate: 0.05), parameterCount: parameters.count)
        for _ in 0..<300 {
            var gradient = [Float](repeating: 0, count: parameters.count)
            _ = model.lossAndGradient(examples: data, parameters: parameters, gradient: &gradient)
            adam.step(parameters: &parameters, gradient: gradient)
        }
        let correct = data.filter { (model.predict(user: Int($0.user), item: Int($0.item), parameters: parameters) > 0.5) == ($0.label == 1) }
        #expect(correct.count == data.count)
    }
}

/// NeuMF's pre-training start (spec §5.3): from a GMF and an MLP, NeuMF's logit is the even mix of
/// their logits, whatever the example.
@Suite struct NeuMFPretrainingTests {
    @Test func pretrainedNeuMF_startsAtTheMixOfTheTwoLogits() {
        let (users, items) = (3, 5)
        let gmf = NeuralCollaborativeFiltering(variant: .gmf, userCount: users, itemCount: items, factors: 4, tower: [8, 4])
        let mlp = NeuralCollaborativeFiltering(variant: .mlp, userCount: users, itemCount: items, factors: 4, tower: [8, 4])
        let neuMF = NeuralCollaborativeFiltering(variant: .neumf, userCount: users, itemCount: items, factors: 4, tower: [8, 4])
        var rng = RNGStream(seed: 9, purpose: .custom)
        // Large random values, so every part of both models matters.
        let g = (0..<gmf.layout.totalCount).map { _ in Float(rng.nextGaussian()) }
        let m = (0..<mlp.layout.totalCount).map { _ in Float(rng.nextGaussian()) }
        let combined = neuMF.pretrained(gmf: g, of: gmf, mlp: m, of: mlp)
        func logit(_ y: Float) -> Double { Double(log(y / (1 - y))) }
        for user in 0..<users {
            for item in 0..<items {
                let expected = 0.5 * logit(gmf.predict(user: user, item: item, parameters: g))
                    + 0.5 * logit(mlp.predict(user: user, item: item, parameters: m))
                #expect(abs(logit(neuMF.predict(user: user, item: item, parameters: combined)) - expected) < 1e-3)
            }
        }
    }
}
