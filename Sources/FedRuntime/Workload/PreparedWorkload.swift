import FedCore
import FedModels

/// The data and model of a run, built identically in every process from the topology and seed.
///
/// No training data crosses the network: each worker loads the data set and computes the
/// partition itself, which is cheap and keeps the wire for model traffic only.
public struct PreparedWorkload: Sendable {
    public let model: any DifferentiableModel
    public let split: DataSplit
    /// Row indices (into `split.train`) of each virtual client, indexed by client id.
    public let shards: [[Int]]

    /// The shard of one client.
    public func shard(of client: Int) -> DatasetShard { DatasetShard(base: split.train, indices: shards[client]) }

    /// Loads the data set, splits it, partitions the training part and builds the model.
    public static func prepare(_ topology: Topology) throws -> PreparedWorkload {
        let split = try loadSplit(topology)
        var partitionRNG = RNGStream(seed: topology.seed, purpose: .partition)
        let shards = try topology.workload.partition.assign(split.train, clients: topology.federation.clients, rng: &partitionRNG)
        let model = ModelCatalog.make(
            topology.workload.model, inputDimension: split.train.dimension, classCount: split.train.classCount)
        return PreparedWorkload(model: model, split: split, shards: shards)
    }

    /// The model's initial parameters (same in every process).
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .parameterInit)
        return model.initialParameters(rng: &rng)
    }

    static func loadSplit(_ topology: Topology) throws -> DataSplit {
        let spec = topology.workload.dataset
        var splitRNG = RNGStream(seed: topology.seed, purpose: .dataSplit)
        switch spec.name {
        case "synthetic_gaussians":
            return SyntheticGaussians.make(
                train: spec.syntheticTrain, test: spec.syntheticTest, dimension: spec.syntheticDimension,
                classCount: spec.syntheticClasses, centreStd: spec.syntheticCentreStd, seed: topology.seed)
        case "digits":
            let data = try CSVDatasetLoader.load(path: try path(spec, bundled: "digits/digits.csv", topology), featureScale: 1.0 / 16)
            return DataSplit.stratified(data, testFraction: spec.testFraction, rng: &splitRNG)
        case "breast_cancer":
            let data = try CSVDatasetLoader.load(path: try path(spec, bundled: "breast_cancer/breast_cancer.csv", topology))
            let split = DataSplit.stratified(data, testFraction: spec.testFraction, rng: &splitRNG)
            // Features span five orders of magnitude; standardise with training statistics only.
            let scaler = Standardizer(fitting: split.train)
            return DataSplit(train: scaler.apply(to: split.train), test: scaler.apply(to: split.test))
        default:
            throw DataError.unknownDataset(name: spec.name, known: Topology.datasetNames)
        }
    }

    static func path(_ spec: Topology.DatasetSpec, bundled: String, _ topology: Topology) throws -> String {
        if let path = spec.path { return path }
        let (found, searched) = DataLocator.locate(bundled, topologyFile: topology.sourceFile)
        guard let found else {
            throw DataError.unreadable(path: bundled, reason: "bundled data not found; searched \(searched.joined(separator: ", ")); set FEDSIM_DATA_DIR")
        }
        return found
    }
}
