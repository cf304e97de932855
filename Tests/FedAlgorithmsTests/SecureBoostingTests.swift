import FedAlgorithms
import FedSecure
import FedCore
import FedModels
import FedTestSupport
import Testing

/// Secure vertical boosting end to end (spec §2.6 tests 3–6): two parties over an in-memory link
/// with a dealer, against the fixed-point emulator (bit for bit) and the float reference.
@Suite struct SecureBoostingTests {
    struct Case {
        let inputs: [SecureBoostingParty.Input]
        let shape: SecureBoostingParty.Shape
        let labels: [Double]
        let settings: BinnedBoosting.Settings
    }

    /// Synthetic regression (spec §2.6 test 3): 5 + 5 features, labels in [−1, 1] from both parties'
    /// columns.
    static func regression(rows: Int = 2000, seed: UInt64 = 3) -> (features: [Float], labels: [Double]) {
        var rng = RNGStream(seed: seed, purpose: .synthetic)
        var features = [Float](), labels = [Double]()
        for _ in 0..<rows {
            let x = (0..<10).map { _ in rng.nextUnitDouble() * 2 - 1 }
            features += x.map(Float.init)
            let signal = 0.6 * x[0] - 0.4 * x[7] * x[1] + 0.5 * (x[5] > 0.2 ? 1 : -1) * x[9] + 0.1 * rng.nextGaussian()
            labels.append(max(-1, min(1, signal)))
        }
        return (features, labels)
    }

    static func makeCase(features: [Float], dimension: Int, labels: [Double], split: Int, buckets: Int,
                         settings: BinnedBoosting.Settings) -> Case {
        let columns = [Array(0..<split), Array(split..<dimension)]
        let inputs = VerticalColumns.inputs(features: features, dimension: dimension, labels: labels, columns: columns, buckets: buckets)
        let shape = SecureBoostingParty.Shape(rows: labels.count, features: [split, dimension - split], buckets: buckets)
        return Case(inputs: inputs, shape: shape, labels: labels, settings: settings)
    }

    struct Trained: Sendable {
        let models: [PartyModel]
        let margins: [[UInt64]]
    }

    static func trainSecurely(_ c: Case, seed: UInt64 = 1) throws -> (Trained, [SecureEngine]) {
        let outcome = try SecureFixtures.run(seed: seed) { engine in
            let party = try SecureBoostingParty(engine: engine, input: c.inputs[engine.party], shape: c.shape, settings: c.settings)
            let model = try party.run()
            return (model, party.margins)
        }
        return (Trained(models: outcome.results.map(\.0), margins: outcome.results.map(\.1)), outcome.engines)
    }

    /// Every owner bit, split, leaf weight and training margin equals the emulator's.
    static func expectBitExact(_ trained: Trained, _ c: Case) throws -> FixedPointBoosting.Model {
        let (emulated, margins) = try FixedPointBoosting.train(bins0: c.inputs[0].binned, features0: c.shape.features[0],
                                                               bins1: c.inputs[1].binned, features1: c.shape.features[1],
                                                               buckets: c.shape.buckets, labels: c.labels, settings: c.settings)
        let k0 = c.shape.columns.0
        for (t, tree) in emulated.trees.enumerated() {
            let halves = trained.models.map { $0.trees[t] }
            #expect(halves[0].owners == halves[1].owners, "tree \(t): parties disagree on owners")
            #expect(halves[0].owners == tree.candidates.map { $0 < k0 ? 0 : 1 }, "tree \(t) owners")
            for (node, candidate) in tree.candidates.enumerated() {
                let (owner, feature, bucket) = emulated.locate(candidate)
                #expect(halves[owner].splits[node] == DistributedTree.OwnSplit(feature: feature, bucket: bucket), "tree \(t) node \(node)")
                #expect(halves[1 - owner].splits[node] == nil, "tree \(t) node \(node): the non-owner must not hold the split")
            }
            let leaves = zip(halves[0].leafShares, halves[1].leafShares).map { Int64(bitPattern: $0 &+ $1) }
            #expect(leaves == tree.leaves, "tree \(t) leaf weights")
        }
        let secureMargins = zip(trained.margins[0], trained.margins[1]).map { Int64(bitPattern: $0 &+ $1) }
        #expect(secureMargins == margins, "training margins")
        return emulated
    }

    /// Both parties' bins side by side [rows, d0 + d1], the float reference's input.
    static func concatenated(_ c: Case) -> [UInt8] {
        VerticalColumns.joined(c.inputs.map(\.binned), features: c.shape.features, rows: c.shape.rows)
    }

    @Test func squaredLoss_reproducesTheEmulatorBitForBit_andTracksTheFloatReference() throws {
        let data = Self.regression()
        var settings = BinnedBoosting.Settings()
        settings.trees = 5; settings.depth = 4; settings.lambda = 1; settings.learningRate = 0.3
        let c = Self.makeCase(features: data.features, dimension: 10, labels: data.labels, split: 5, buckets: 16, settings: settings)
        let (trained, engines) = try Self.trainSecurely(c)
        let emulated = try Self.expectBitExact(trained, c)
        // Float reference on the same bins: the same trees except at near-ties, nearly equal predictions.
        let combined = Self.concatenated(c)
        let reference = BinnedBoosting.train(bins: combined, dimension: 10, buckets: 16, labels: c.labels.map(Float.init), settings: settings)
        var differing = 0, nodes = 0
        for (t, tree) in reference.trees.enumerated() {
            for (node, split) in tree.splits.enumerated() {
                nodes += 1
                if split.feature * 16 + split.bucket != emulated.trees[t].candidates[node] { differing += 1 }
            }
        }
        #expect(Double(differing) <= 0.02 * Double(nodes), "\(differing) of \(nodes) splits differ from the float reference")
        // Where a whole tree has the float reference's splits, its leaf weights agree within 10^-3.
        var compared = 0
        for (t, tree) in reference.trees.enumerated()
        where tree.splits.enumerated().allSatisfy({ $0.element.feature * 16 + $0.element.bucket == emulated.trees[t].candidates[$0.offset] }) {
            for (leaf, weight) in tree.leaves.enumerated() {
                #expect(abs(FixedPoint.decode(emulated.trees[t].leaves[leaf]) - weight) < 1e-3, "tree \(t) leaf \(leaf)")
            }
            compared += 1
        }
        #expect(compared >= 1, "no tree matched the float reference split for split")
        let secure = zip(trained.margins[0], trained.margins[1]).map { FixedPoint.decode(Int64(bitPattern: $0 &+ $1)) }
        let float = reference.margins(combined, dimension: 10)
        func rmse(_ p: [Double]) -> Double {
            var sum = 0.0
            for (prediction, label) in zip(p, c.labels) { sum += (prediction - label) * (prediction - label) }
            return (sum / Double(p.count)).squareRoot()
        }
        let mean = c.labels.reduce(0, +) / Double(c.labels.count)
        #expect(abs(rmse(secure) - rmse(float)) < 1e-3, "RMSE secure \(rmse(secure)) vs float \(rmse(float))")
        #expect(rmse(secure) < 0.8 * rmse(c.labels.map { _ in mean }))
        print("secure squared-loss training: \(engines[0].rounds) rounds, \(engines[0].wordsSent + engines[1].wordsSent) words exchanged, \(engines[0].andGates) AND gates")
    }

    /// Breast cancer split over two parties (P0: columns 0–14 and the label, P1: 15–29); the first
    /// 455 rows train, the last 114 are predicted securely.
    static func breastCancer() throws -> (train: Case, test: (features: [Float], labels: [Double]), columns: [[Int]]) {
        let data = try CSVDatasetLoader.load(path: Fixtures.path("data/breast_cancer/breast_cancer.csv"))
        let dimension = data.dimension, trainRows = 455
        let features = Array(data.features[0..<(trainRows * dimension)])
        let labels = data.labels[0..<trainRows].map(Double.init)
        var settings = BinnedBoosting.Settings()
        settings.trees = 5; settings.depth = 4; settings.lambda = 1; settings.learningRate = 0.3; settings.loss = .logistic
        let c = makeCase(features: features, dimension: dimension, labels: labels, split: 15, buckets: 16, settings: settings)
        return (c, (Array(data.features[(trainRows * dimension)...]), data.labels[trainRows...].map(Double.init)),
                [Array(0..<15), Array(15..<30)])
    }

    @Test func logisticLoss_onBreastCancer_isBitExact_closeToFloatAUC_andPredictsSecurelyForTheLabelHolderOnly() throws {
        let (c, test, columns) = try Self.breastCancer()
        let (trained, engines) = try Self.trainSecurely(c, seed: 4)
        let emulated = try Self.expectBitExact(trained, c)
        // Secure prediction on held-out rows: party 0 receives the emulator's values exactly; party 1 nothing.
        let testBins = VerticalColumns.binned(test.features, dimension: 30, columns: columns, inputs: c.inputs)
        let rows = test.labels.count
        let models = Box(trained.models)
        let outcome = try SecureFixtures.run(seed: 5) { engine in
            try SecurePrediction.predict(engine: engine, model: models.value[engine.party], binned: testBins[engine.party], rows: rows)
        }
        let expected = emulated.predict(bins0: testBins[0], bins1: testBins[1], rows: rows)
        #expect(outcome.results[0] == expected)
        #expect(outcome.results[1] == nil)
        // Float reference with the exact sigmoid: AUC within 0.01.
        let reference = BinnedBoosting.train(bins: Self.concatenated(c), dimension: 30, buckets: 16, labels: c.labels.map(Float.init),
                                             settings: c.settings)
        let testCombined = VerticalColumns.joined(testBins, features: [15, 15], rows: rows)
        let secureAUC = ReceiverOperating.areaUnderCurve((outcome.results[0] ?? []).map(FixedPoint.decode), labels: test.labels)
        let floatAUC = ReceiverOperating.areaUnderCurve(reference.predictions(testCombined, dimension: 30), labels: test.labels)
        #expect(abs(secureAUC - floatAUC) < 0.01 && secureAUC > 0.95, "AUC secure \(secureAUC), float \(floatAUC)")
        print("breast cancer: secure AUC \(secureAUC), float AUC \(floatAUC), \(engines[0].rounds) rounds")
    }

    /// Spec §2.6 test 6 and claim 4: only whitelisted values leave a party, and party 0's half of the
    /// model alone holds neither party 1's splits nor usable leaf weights.
    @Test func transcriptAudit_findsOnlyWhitelistedOpenings_andPartyZeroAloneCannotPredict() throws {
        let data = Self.regression(rows: 600, seed: 8)
        var settings = BinnedBoosting.Settings()
        settings.trees = 3; settings.depth = 3
        let c = Self.makeCase(features: data.features, dimension: 10, labels: data.labels, split: 5, buckets: 8, settings: settings)
        let (trained, engines) = try Self.trainSecurely(c, seed: 9)
        let owners = trained.models[0].trees.flatMap(\.owners)
        let counts = [owners.filter { $0 == 0 }.count, owners.filter { $0 == 1 }.count]
        #expect(counts[1] > 0 && counts[0] > 0, "both parties should own splits in this data: \(counts)")
        let transcripts = engines.compactMap(\.transcript)
        #expect(TranscriptAudit.violations(transcripts, ownerCounts: counts, internalNodes: owners.count).isEmpty)
        // The audit is not vacuous: a plain value among the masked ones is caught.
        let plain = [UInt64](repeating: 3, count: 1 << 16)
        transcripts[1].recordForAudit(ShareFrame(tag: ShareTag(tree: 0, level: 0, step: 0), purpose: .beaverMasked, words: plain), sent: true)
        #expect(!TranscriptAudit.violations(transcripts, ownerCounts: counts, internalNodes: owners.count).isEmpty)
        for (t, tree) in trained.models[0].trees.enumerated() {
            for node in tree.owners.indices where tree.owners[node] == 1 { #expect(tree.splits[node] == nil, "tree \(t) node \(node)") }
            // Party 0's leaf shares are uniform ring elements, far outside any weight's range.
            #expect(tree.leafShares.allSatisfy { Int64(bitPattern: $0).magnitude > UInt64(FixedPoint.valueLimit) })
        }
    }
}
