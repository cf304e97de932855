import FedCore
import FedModels
import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// Spec §5.7–5.8, federated part, through real coordinators and workers: federated BPR-MF with one
/// user per client learns the synthetic set's structure, improves as rounds grow, and ends near the
/// centralised model trained on the same split for as many passes over each user's data.
@Suite(.serialized) struct RecommenderClaimTests {
    init() { Matmul.setThreadCount(1) }

    static let users = 200, items = 300, meanExtra = 30, rounds = 40, perRound = 50

    /// Recall@20 of ranking every unseen item by its training popularity: the floor a model must beat.
    static func popularityRecall(_ data: RecommenderData) -> Double {
        guard case .allRanking(let test) = data.heldOut else { return .nan }
        let degrees = data.training.itemDegrees
        var recall = 0.0, users = 0
        for user in 0..<data.userCount where !test.items(of: user).isEmpty {
            let scores = degrees.map(Float.init)
            let result = scores.withUnsafeBufferPointer {
                RankingMetrics.allRanking(scores: $0, excluded: Set(data.training.items(of: user)), relevant: Set(test.items(of: user)), k: 20)
            }
            recall += result?.recall ?? 0
            users += 1
        }
        return recall / Double(users)
    }

    /// Recall@20 of a federated run of `model` on the claim's set, every 10 rounds (the last over all users).
    static func federatedRecall(_ model: String) throws -> [Double] {
        let topology = try TopologyFixtures.recommender(model: model, rounds: rounds, users: users, items: items, perRound: perRound,
                                                        evalEvery: 10, localEpochs: 5, meanExtra: meanExtra)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("fedrec-claim"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory, transport: .inproc, workerOptions: nil, resume: false)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        return try #require(table.column("recall_20")).filter(\.isFinite)
    }

    @Test func federatedBPRMF_improvesWithRounds_beatsPopularity_andApproachesCentral() throws {
        let recall = try Self.federatedRecall("{kind: bpr_mf, dimension: 32}")
        let early = recall[0], final = recall[recall.count - 1]

        // The same split, trained centrally (BPR-MF = LightGCN with K = 0) for as many passes over each
        // user's data as a federated user gets: rounds × (per round / users) participations × E epochs.
        var settings = SyntheticInteractions.Settings()
        settings.users = Self.users
        settings.items = Self.items
        settings.minimumPerUser = 5
        settings.meanExtra = Double(Self.meanExtra)
        let data = RecommenderData(splitting: SyntheticInteractions.make(settings, seed: 1), evaluation: .allRanking, seed: 1)
        let model = LightGCN(training: data.training, dimension: 32, layers: 0, regularization: 1e-4)
        var initRNG = RNGStream(seed: 1, purpose: .parameterInit)
        var ego = (0..<((Self.users + Self.items) * 32)).map { _ in Float(initRNG.nextGaussian() * 0.1) }
        var central = RecommenderTraining.Settings()
        central.epochs = Self.rounds * Self.perRound * 5 / Self.users
        var rng = RNGStream(seed: 1, purpose: .localTraining)
        _ = RecommenderTraining.fit(model, ego: &ego, training: data.training, settings: central, rng: &rng)
        let centralRecall = RecommenderTraining.evaluate(model, ego: ego, training: data.training, test: data.heldOut.testSet!).recall
        let popularity = Self.popularityRecall(data)
        print("fedrec claim: recall@20 round 10 \(early), round \(Self.rounds) \(final); central \(centralRecall); popularity \(popularity)")
        #expect(final > early + 0.02)
        #expect(final > popularity + 0.05)
        #expect(final > 0.8 * centralRecall)
    }

    /// Spec §5.8's ordering, federated: LightGCN in its federated form (K = 2, aggregates one round
    /// stale) beats BPR-MF trained the same way.
    @Test func federatedLightGCN_beatsFederatedBPRMF() throws {
        let lightGCN = try Self.federatedRecall("{kind: lightgcn, dimension: 32, layers: 2}")
        let matrixFactorization = try Self.federatedRecall("{kind: bpr_mf, dimension: 32}")
        print("fedrec claim: final recall@20 LightGCN \(lightGCN.last!), BPR-MF \(matrixFactorization.last!)")
        #expect(lightGCN.last! > matrixFactorization.last! + 0.02)
    }
}

extension RecommenderData.HeldOut {
    var testSet: InteractionSet? {
        if case .allRanking(let test) = self { return test }
        return nil
    }
}
