import FedCore
import FedModels
import Foundation
import Testing

/// Central recommenders on the synthetic MovieLens-shaped set (spec §5.8, synthetic part).
@Suite struct RecommenderTrainingTests {
    init() { Matmul.setThreadCount(1) }

    @Test func lightGCN_beatsBPRMF_onRecallAt20() {
        var data = SyntheticInteractions.Settings()
        data.users = 300
        data.items = 400
        data.meanExtra = 25
        let set = SyntheticInteractions.make(data, seed: 3)
        var splitRNG = RNGStream(seed: 3, purpose: .dataSplit)
        let (train, test) = InteractionSplit.random(set, rng: &splitRNG)
        var settings = RecommenderTraining.Settings()
        settings.epochs = 25
        var results = [Int: (recall: Double, ndcg: Double)]()
        for layers in [0, 2] {
            let model = LightGCN(training: train, dimension: 32, layers: layers, regularization: 1e-4)
            var initRNG = RNGStream(seed: 3, purpose: .parameterInit)
            var ego = (0..<((300 + 400) * 32)).map { _ in Float(initRNG.nextGaussian() * 0.1) }
            var rng = RNGStream(seed: 3, purpose: .localTraining)
            let losses = RecommenderTraining.fit(model, ego: &ego, training: train, settings: settings, rng: &rng)
            #expect(losses.last! < losses.first!, "K = \(layers): \(losses)")
            results[layers] = RecommenderTraining.evaluate(model, ego: ego, training: train, test: test)
        }
        print("synthetic recall@20 / ndcg@20: BPR-MF \(results[0]!), LightGCN K=2 \(results[2]!)")
        #expect(results[2]!.recall > results[0]!.recall)
    }
}
