import FedCore
import FedModels
import Foundation
import Testing

/// Spec §5.8: NeuMF ≥ max(GMF, MLP) on HR@10 within seed noise, on a small synthetic set (protocol B).
@Suite struct NCFProtocolBTests {
    @Test func neumf_matchesOrBeatsItsParts() {
        var data = SyntheticInteractions.Settings()
        data.users = 120
        data.items = 150
        data.meanExtra = 10
        let set = SyntheticInteractions.make(data, seed: 5)
        var splitRNG = RNGStream(seed: 5, purpose: .dataSplit)
        let split = InteractionSplit.leaveOneOut(set, rng: &splitRNG)
        var settings = RecommenderTraining.Settings()
        settings.epochs = 8
        settings.learningRate = 0.005
        var results = [NeuralCollaborativeFiltering.Variant: Double]()
        for variant in NeuralCollaborativeFiltering.Variant.allCases {
            let model = NeuralCollaborativeFiltering(variant: variant, userCount: 120, itemCount: 150, factors: 8, tower: [16, 8, 4])
            var initRNG = RNGStream(seed: 5, purpose: .parameterInit)
            var parameters = model.initialParameters(rng: &initRNG)
            var rng = RNGStream(seed: 5, purpose: .localTraining)
            let losses = RecommenderTraining.fit(model, parameters: &parameters, training: split.train, settings: settings, rng: &rng)
            #expect(losses.last! < losses.first!, "\(variant): \(losses)")
            results[variant] = RecommenderTraining.evaluate(split) { model.predict(user: $0, item: $1, parameters: parameters) }.hitRate
        }
        print("synthetic HR@10: GMF \(results[.gmf]!), MLP \(results[.mlp]!), NeuMF \(results[.neumf]!)")
        // Random ranking gives HR@10 = 0.1; "within seed noise": 0.03 (about 4 of 120 users).
        #expect(results[.neumf]! > 0.2)
        #expect(results[.neumf]! >= max(results[.gmf]!, results[.mlp]!) - 0.03)
    }
}
