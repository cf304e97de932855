import FedAlgorithms
import FedCore
import FedModels
import FedTestSupport

/// Shared set-up for algorithm tests: a small model, client data and hand-built config sections.
enum AlgorithmFixtures {
    static let model = MLP(inputDimension: 4, hidden: [5], classCount: 3)
    static let data = Fixtures.blobs(count: 60, dimension: 4, classes: 3, seed: 4)

    static func settings(epochs: Int = 2, batch: Int = 8, lr: Float = 0.1) -> LocalTrainer.Settings {
        LocalTrainer.Settings(epochs: epochs, batchSize: batch, optimizer: SGD.Settings(learningRate: lr))
    }

    static func initialParameters(seed: UInt64 = 1) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .parameterInit)
        return model.initialParameters(rng: &rng)
    }

    /// The context of `client` in `round`, holding rows `indices` of `data`.
    static func context(client: Int, round: Int = 1, indices: [Int]? = nil, batch: Int = 8) -> ClientContext {
        ClientContext(
            model: model, data: DatasetShard(base: data, indices: indices ?? Array(0..<data.count)),
            rng: RNGStream(seed: 77, purpose: .localTraining, client: UInt64(client), round: UInt64(round)),
            workspace: model.makeWorkspace(batchCapacity: batch))
    }

    /// A mapping section with one scalar per key, as if read from `algorithm:` in a topology file.
    static func section(_ pairs: [(String, String)]) throws -> ConfigSection {
        let entries = pairs.enumerated().map { offset, pair in
            (key: pair.0, keyMark: SourceMark(file: "t.yaml", line: offset + 2, column: 3),
             node: ConfigNode(value: .scalar(pair.1), mark: SourceMark(file: "t.yaml", line: offset + 2, column: 10),
                              path: ConfigNode.path("algorithm", key: pair.0)))
        }
        return try ConfigSection(ConfigNode(value: .mapping(entries), mark: SourceMark(file: "t.yaml", line: 1, column: 1),
                                            path: "algorithm"))
    }
}
