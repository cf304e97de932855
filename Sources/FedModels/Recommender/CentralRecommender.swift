import FedCore

/// Central training of a catalogue recommender on every user's training interactions, with the
/// protocol's metrics every few epochs: the centralised curves federated runs are compared with
/// (spec §5.7). Adam on minibatches of sampled examples (`RecommenderTraining`); BPR-MF is LightGCN
/// with K = 0, from the same initial parameters a federated run starts from.
public enum CentralRecommender {
    /// One evaluated epoch: its mean training loss and the protocol's metrics (headline first).
    public struct Point: Sendable {
        public let epoch: Int
        public let loss: Double
        public let metrics: [Double]
    }

    /// `pretraining`: for NeuMF, train GMF and MLP this many epochs each first (Adam, `settings`'
    /// batch and step), start NeuMF from them and fine-tune with plain SGD at `fineTuneRate`.
    public static func train(_ model: RecommenderModel, settings: RecommenderTraining.Settings, negatives: Int, seed: UInt64,
                             evaluateEvery: Int, pretraining: (epochs: Int, fineTuneRate: Float)? = nil, report: (Point) -> Void) {
        let data = model.data
        var parameters = model.initialParameters(seed: seed)
        var settings = settings
        if let pretraining, case let .neuralCF(.neumf, factors, tower) = model.network {
            parameters = pretrainedNeuMF(data: data, factors: factors, tower: tower, epochs: pretraining.epochs, settings: settings,
                                         negatives: negatives, seed: seed)
            settings.plainSGD = true
            settings.learningRate = pretraining.fineTuneRate
        }
        var rng = RNGStream(seed: seed, purpose: .localTraining)
        func measured(_ epoch: Int) -> Bool { epoch % evaluateEvery == 0 || epoch == settings.epochs }
        switch model.network {
        case .matrixFactorization(let d, let lambda), .lightGCN(let d, _, let lambda):
            let layers: Int
            if case .lightGCN(_, let k, _) = model.network { layers = k } else { layers = 0 }
            let network = LightGCN(training: data.training, dimension: d, layers: layers, regularization: lambda)
            _ = RecommenderTraining.fit(network, ego: &parameters, training: data.training, settings: settings, rng: &rng) { epoch, loss, ego in
                guard measured(epoch) else { return }
                report(Point(epoch: epoch, loss: loss, metrics: evaluate(embeddings: network.propagate(ego), width: d, data: data)))
            }
        case .ngcf:
            let network = model.ngcfNetwork
            _ = RecommenderTraining.fit(parameters: &parameters, training: data.training, settings: settings, rng: &rng, afterEpoch: { epoch, loss, p in
                guard measured(epoch) else { return }
                let (embeddings, width) = network.finalEmbeddings(p)
                report(Point(epoch: epoch, loss: loss, metrics: evaluate(embeddings: embeddings, width: width, data: data)))
            }) { batch, p, gradient, stream in
                var dropout: RNGStream? = stream
                defer { stream = dropout ?? stream }
                return network.lossAndGradient(triples: batch, parameters: p, gradient: &gradient, dropout: &dropout)
            }
        case let .neuralCF(variant, factors, tower):
            let network = NeuralCollaborativeFiltering(variant: variant, userCount: data.userCount, itemCount: data.itemCount,
                                                       factors: factors, tower: tower)
            _ = RecommenderTraining.fit(network, parameters: &parameters, training: data.training, negatives: negatives, settings: settings,
                                        rng: &rng) { epoch, loss, p in
                guard measured(epoch) else { return }
                report(Point(epoch: epoch, loss: loss, metrics: evaluate(data: data) { user, item in network.predict(user: user, item: item, parameters: p) }))
            }
        }
    }

    /// GMF and MLP trained on their own, combined into NeuMF's starting point.
    static func pretrainedNeuMF(data: RecommenderData, factors: Int, tower: [Int], epochs: Int, settings: RecommenderTraining.Settings,
                                negatives: Int, seed: UInt64) -> [Float] {
        var settings = settings
        settings.epochs = epochs
        var trained = [[Float]]()
        var parts = [NeuralCollaborativeFiltering]()
        for variant in [NeuralCollaborativeFiltering.Variant.gmf, .mlp] {
            let part = RecommenderModel(network: .neuralCF(variant: variant, factors: factors, tower: tower), data: data)
            var p = part.initialParameters(seed: seed)
            var rng = RNGStream(seed: seed, purpose: .localTraining, round: variant == .gmf ? 1 : 2)
            let network = NeuralCollaborativeFiltering(variant: variant, userCount: data.userCount, itemCount: data.itemCount,
                                                       factors: factors, tower: tower)
            _ = RecommenderTraining.fit(network, parameters: &p, training: data.training, negatives: negatives, settings: settings, rng: &rng)
            trained.append(p)
            parts.append(network)
        }
        let neuMF = NeuralCollaborativeFiltering(variant: .neumf, userCount: data.userCount, itemCount: data.itemCount, factors: factors,
                                                 tower: tower)
        return neuMF.pretrained(gmf: trained[0], of: parts[0], mlp: trained[1], of: parts[1])
    }

    /// The protocol's two metrics from final embeddings [users + items, width] (score = dot product).
    static func evaluate(embeddings: [Float], width d: Int, data: RecommenderData) -> [Double] {
        switch data.heldOut {
        case .allRanking(let test):
            let result = RecommenderTraining.evaluate(embeddings: embeddings, width: d, training: data.training, test: test,
                                                      k: data.evaluation.cutoff)
            return [result.recall, result.ndcg]
        case .leaveOneOut:
            let users = data.userCount
            return evaluate(data: data) { user, item in
                var score: Float = 0
                for k in 0..<d { score += embeddings[user * d + k] * embeddings[(users + item) * d + k] }
                return score
            }
        }
    }

    /// The protocol's two metrics from a score function (NCF, or leave-one-out for any model).
    static func evaluate(data: RecommenderData, score: (Int, Int) -> Float) -> [Double] {
        switch data.heldOut {
        case .allRanking(let test):
            var recall = 0.0, ndcg = 0.0, users = 0
            var scores = [Float](repeating: 0, count: data.itemCount)
            for user in 0..<data.userCount where !test.items(of: user).isEmpty {
                for item in 0..<data.itemCount { scores[item] = score(user, item) }
                let result = scores.withUnsafeBufferPointer {
                    RankingMetrics.allRanking(scores: $0, excluded: Set(data.training.items(of: user)), relevant: Set(test.items(of: user)),
                                              k: data.evaluation.cutoff)
                }
                recall += result?.recall ?? 0
                ndcg += result?.ndcg ?? 0
                users += 1
            }
            return users > 0 ? [recall / Double(users), ndcg / Double(users)] : [.nan, .nan]
        case .leaveOneOut(let testItem, let negatives):
            let split = InteractionSplit.LeaveOneOut(train: data.training, testItem: testItem, negatives: negatives)
            let result = RecommenderTraining.evaluate(split, k: data.evaluation.cutoff, score: score)
            return [result.hitRate, result.ndcg]
        }
    }
}
