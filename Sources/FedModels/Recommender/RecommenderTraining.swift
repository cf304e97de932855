import FedCore

/// Central training of the embedding recommenders (BPR-MF is LightGCN with K = 0): each epoch draws
/// one fresh negative per training positive (uniform over the user's non-interacted items), shuffles
/// the triples and takes Adam steps on minibatches; then protocol A on the test interactions.
public enum RecommenderTraining {
    public struct Settings: Sendable, Equatable {
        public var epochs = 20
        public var batchSize = 256
        public var learningRate: Float = 0.01
        /// Plain SGD instead of Adam (NeuMF's fine-tuning after pre-training, spec §5.3).
        public var plainSGD = false
        public init() {}
    }

    /// Trains `parameters` in place with Adam on minibatches of triples; `lossAndGradient` adds the
    /// gradient of a batch's mean loss into its buffer (and may draw dropout masks from the stream).
    /// Returns the mean loss of each epoch.
    public static func fit(parameters: inout [Float], training: InteractionSet, settings: Settings, rng: inout RNGStream,
                           afterEpoch: (Int, Double, [Float]) -> Void = { _, _, _ in },
                           lossAndGradient: ([BPRMatrixFactorization.Triple], [Float], inout [Float], inout RNGStream) -> Float)
        -> [Double] {
        minimize(parameters: &parameters, settings: settings, rng: &rng, examples: { sampleTriples(training, rng: &$0) },
                 afterEpoch: afterEpoch, lossAndGradient: lossAndGradient)
    }

    /// The loop every recipe shares: per epoch, fresh examples, shuffled, then Adam on minibatches;
    /// `afterEpoch` sees each epoch's number (1-based), mean loss and parameters.
    static func minimize<Example>(parameters: inout [Float], settings: Settings, rng: inout RNGStream,
                                  examples makeExamples: (inout RNGStream) -> [Example],
                                  afterEpoch: (Int, Double, [Float]) -> Void = { _, _, _ in },
                                  lossAndGradient: ([Example], [Float], inout [Float], inout RNGStream) -> Float) -> [Double] {
        var adam = Adam(settings: Adam.Settings(learningRate: settings.learningRate), parameterCount: settings.plainSGD ? 0 : parameters.count)
        var sgd = SGD(settings: SGD.Settings(learningRate: settings.learningRate), parameterCount: parameters.count)
        var losses = [Double]()
        var gradient = [Float](repeating: 0, count: parameters.count)
        for _ in 0..<settings.epochs {
            var examples = makeExamples(&rng)
            rng.shuffle(&examples)
            var total = 0.0
            for start in stride(from: 0, to: examples.count, by: settings.batchSize) {
                for i in gradient.indices { gradient[i] = 0 }
                let batch = Array(examples[start..<min(start + settings.batchSize, examples.count)])
                total += Double(lossAndGradient(batch, parameters, &gradient, &rng)) * Double(batch.count)
                if settings.plainSGD { sgd.step(parameters: &parameters, gradient: gradient) } else { adam.step(parameters: &parameters, gradient: gradient) }
            }
            losses.append(total / Double(max(examples.count, 1)))
            afterEpoch(losses.count, losses[losses.count - 1], parameters)
        }
        return losses
    }

    /// LightGCN (and BPR-MF as K = 0) on its ego embeddings.
    public static func fit(_ model: LightGCN, ego: inout [Float], training: InteractionSet, settings: Settings,
                           rng: inout RNGStream, afterEpoch: (Int, Double, [Float]) -> Void = { _, _, _ in }) -> [Double] {
        fit(parameters: &ego, training: training, settings: settings, rng: &rng, afterEpoch: afterEpoch) { batch, parameters, gradient, _ in
            model.lossAndGradient(triples: batch, ego: parameters, gradient: &gradient)
        }
    }

    /// One triple per training positive with a negative the user has not interacted with.
    public static func sampleTriples(_ training: InteractionSet, rng: inout RNGStream) -> [BPRMatrixFactorization.Triple] {
        var triples = [BPRMatrixFactorization.Triple]()
        triples.reserveCapacity(training.count)
        for user in 0..<training.userCount {
            let items = training.items(of: user)
            guard !items.isEmpty, items.count < training.itemCount else { continue }
            let seen = Set(items)
            for item in items {
                var negative: Int32
                repeat { negative = Int32(rng.nextInt(below: training.itemCount)) } while seen.contains(negative)
                triples.append(.init(user: Int32(user), positive: item, negative: negative))
            }
        }
        return triples
    }

    /// Protocol A for LightGCN's propagated embeddings.
    public static func evaluate(_ model: LightGCN, ego: [Float], training: InteractionSet, test: InteractionSet,
                                k: Int = 20) -> (recall: Double, ndcg: Double) {
        evaluate(embeddings: model.propagate(ego), width: model.dimension, training: training, test: test, k: k)
    }

    /// Protocol A: mean Recall@k and NDCG@k over users with test items, from final embeddings
    /// [users + items, width] (score = dot product). One matrix product per block of users
    /// (E_users · E_itemsᵀ), not a loop per item.
    public static func evaluate(embeddings final: [Float], width d: Int, training: InteractionSet, test: InteractionSet,
                                k: Int = 20) -> (recall: Double, ndcg: Double) {
        let (n, m) = (training.userCount, training.itemCount)
        precondition(final.count == (n + m) * d, "embeddings do not fit the interaction set")
        let block = 64
        var scores = [Float](repeating: 0, count: block * m)
        var recall = 0.0, ndcg = 0.0, counted = 0
        for first in stride(from: 0, to: n, by: block) {
            let rows = min(block, n - first)
            final.withUnsafeBufferPointer { e in
                scores.withUnsafeMutableBufferPointer { s in
                    Matmul.gemm(.none, .transposed, m: rows, n: m, k: d, a: e.baseAddress! + first * d, b: e.baseAddress! + n * d,
                                c: s.baseAddress!)
                }
            }
            for row in 0..<rows {
                let user = first + row
                let result = scores.withUnsafeBufferPointer { s in
                    RankingMetrics.allRanking(scores: UnsafeBufferPointer(rebasing: s[(row * m)..<((row + 1) * m)]),
                                              excluded: Set(training.items(of: user)), relevant: Set(test.items(of: user)), k: k)
                }
                guard let result else { continue }
                recall += result.recall
                ndcg += result.ndcg
                counted += 1
            }
        }
        return counted > 0 ? (recall / Double(counted), ndcg / Double(counted)) : (.nan, .nan)
    }
}

/// NCF's recipe (spec §5.3): pointwise BCE over each training positive and `negatives` sampled
/// negatives, resampled every epoch; evaluation by protocol B (leave-one-out, 99 fixed negatives).
extension RecommenderTraining {
    public static func fit(_ model: NeuralCollaborativeFiltering, parameters: inout [Float], training: InteractionSet,
                           negatives: Int = 4, settings: Settings, rng: inout RNGStream,
                           afterEpoch: (Int, Double, [Float]) -> Void = { _, _, _ in }) -> [Double] {
        minimize(parameters: &parameters, settings: settings, rng: &rng, examples: { rng in
            var examples = [NeuralCollaborativeFiltering.Example]()
            for triple in sampleTriples(training, rng: &rng) {
                examples.append(.init(user: triple.user, item: triple.positive, label: 1))
                examples.append(.init(user: triple.user, item: triple.negative, label: 0))
                let seen = Set(training.items(of: Int(triple.user)))
                for _ in 1..<max(negatives, 1) {
                    var item: Int32
                    repeat { item = Int32(rng.nextInt(below: training.itemCount)) } while seen.contains(item)
                    examples.append(.init(user: triple.user, item: item, label: 0))
                }
            }
            return examples
        }, afterEpoch: afterEpoch, lossAndGradient: { batch, parameters, gradient, _ in
            model.lossAndGradient(examples: batch, parameters: parameters, gradient: &gradient)
        })
    }

    /// Protocol B: mean HR@k and NDCG@k over the evaluated users, scoring with `score(user, item)`.
    public static func evaluate(_ split: InteractionSplit.LeaveOneOut, k: Int = 10,
                                score: (Int, Int) -> Float) -> (hitRate: Double, ndcg: Double) {
        var hits = 0.0, ndcg = 0.0, users = 0
        for user in split.testItem.indices where split.testItem[user] >= 0 {
            let result = RankingMetrics.leaveOneOut(testScore: score(user, Int(split.testItem[user])),
                                                    negativeScores: split.negatives[user].map { score(user, Int($0)) }, k: k)
            hits += result.hit
            ndcg += result.ndcg
            users += 1
        }
        return users > 0 ? (hits / Double(users), ndcg / Double(users)) : (.nan, .nan)
    }
}
