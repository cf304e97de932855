import FedCore
import FedModels
import Foundation
import Testing

/// Central recommenders on the synthetic MovieLens-shaped set (spec §5.8, synthetic part).
@Suite struct RecommenderTrainingTests {
    init() { Matmul.setThreadCount(1) }

    /// Spec §5.8 on the synthetic set: LightGCN ≥ NGCF and LightGCN > BPR-MF on Recall@20.
    @Test func lightGCN_beatsBPRMFAndMatchesOrBeatsNGCF_onRecallAt20() {
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
        let ngcf = NGCF(training: train, widths: [32, 32, 32], decay: 1e-4, messageDropout: 0.1)
        var initRNG = RNGStream(seed: 3, purpose: .parameterInit)
        var parameters = ngcf.initialParameters(rng: &initRNG)
        var rng = RNGStream(seed: 3, purpose: .localTraining)
        _ = RecommenderTraining.fit(parameters: &parameters, training: train, settings: settings, rng: &rng) { batch, p, gradient, stream in
            var dropout: RNGStream? = stream
            defer { stream = dropout ?? stream }
            return ngcf.lossAndGradient(triples: batch, parameters: p, gradient: &gradient, dropout: &dropout)
        }
        let (embeddings, width) = ngcf.finalEmbeddings(parameters)
        let ngcfResult = RecommenderTraining.evaluate(embeddings: embeddings, width: width, training: train, test: test)
        print("synthetic recall@20 / ndcg@20: BPR-MF \(results[0]!), NGCF \(ngcfResult), LightGCN K=2 \(results[2]!)")
        #expect(results[2]!.recall > results[0]!.recall)
        #expect(results[2]!.recall >= ngcfResult.recall - 0.01, "LightGCN \(results[2]!.recall), NGCF \(ngcfResult.recall)")
    }
}
