import FedCore
import FedModels

/// What building a run's workload needs from its topology: the `workload:` section, the seed, the
/// number of virtual clients and the file (bundled data is also looked for beside it).
public struct WorkloadContext: Sendable {
    public var workload: WorkloadSpec
    public var seed: UInt64
    public var clients: Int
    public var sourceFile: String?
    public init(workload: WorkloadSpec, seed: UInt64, clients: Int, sourceFile: String?) {
        self.workload = workload
        self.seed = seed
        self.clients = clients
        self.sourceFile = sourceFile
    }
}

/// The data and model of a run, built identically in every process from the topology and seed.
///
/// No training data crosses the network: each worker loads the data set and computes the
/// partition itself, which is cheap and keeps the wire for model traffic only.
public struct PreparedWorkload: Sendable {
    public let model: any DifferentiableModel
    public let split: DataSplit
    /// Row indices (into `split.train`) of each virtual client, indexed by client id.
    public let shards: [[Int]]
    /// Each client's example count (known to the coordinator too, which checks `num_samples` with it).
    public let shardSizes: [Int]
    /// Graph data sets: the graph and its division among the clients (every process builds it).
    public var graph: GraphWorkload? = nil
    /// Interaction data sets: the interactions, one user per client (every process builds them).
    public var recommender: RecommenderWorkload? = nil

    /// Row workloads whose model has private tensors (a personal router): the test rows of each
    /// client, indices into `split.test`, divided by the training partition's rule. Only the client
    /// holds its whole model, so only the client can evaluate it.
    public var clientTestShards: [[Int]]? = nil

    /// Whether the clients hold the test data and report the run's evaluation (graph and interaction
    /// data sets, and row workloads with private tensors).
    public var evaluatesOnClients: Bool { graph != nil || recommender != nil || clientTestShards != nil }

    /// The test rows `client` evaluates its own model on (nil unless the clients evaluate row data).
    public func testRows(of client: Int) -> Dataset? {
        guard let shards = clientTestShards, client < shards.count else { return nil }
        return split.test.subset(shards[client])
    }

    /// Whether clients report their evaluation on some rounds only (recommenders: every `eval_every`).
    public var clientEvaluationIsPeriodic: Bool { recommender != nil }

    /// The subgraph inputs of `client` for the workload's graph model (nil for row workloads).
    public func graphClient(_ client: Int) -> GraphClient? {
        guard let graph, let model = model as? GraphModel, client < graph.shards.count else { return nil }
        return graph.client(client, network: model.network)
    }

    /// Per client, the validation and test examples its evaluation reports must count (when known).
    public var clientEvaluationCounts: [[String: Int]]? {
        if let recommender { return recommender.evaluationCounts }
        if let clientTestShards { return clientTestShards.map { ["test_accuracy": $0.count] } }
        return graph?.shards.map { ["test_accuracy": $0.test.count, "val_accuracy": $0.validation.count] }
    }

    /// Per client statistics for the run directory's clients.csv (graph and interaction data sets).
    public var clientStatisticsCSV: String? { graph?.statisticsCSV() ?? recommender?.statisticsCSV() }

    /// The shard of one client.
    public func shard(of client: Int) -> DatasetShard { DatasetShard(base: split.train, indices: shards[client]) }

    /// Which process the workload is for: the coordinator needs the test part and the model only,
    /// workers need the training part and the partition.
    public enum Role: Sendable { case coordinator, worker }

    /// Loads the data set, splits it, partitions the training part (workers) and builds the model.
    public static func prepare(_ context: WorkloadContext, role: Role = .worker) throws -> PreparedWorkload {
        // The adapter kinds' frozen base comes from the run seed, in every process and in the teacher.
        var context = context
        context.workload.model.adapter.baseSeed = context.seed
        if WorkloadCatalog.graphDatasets.contains(context.workload.dataset.name) { return try prepareGraph(context) }
        if WorkloadCatalog.interactionDatasets.contains(context.workload.dataset.name) { return try prepareRecommender(context) }
        let split = bilevelLevels(try loadSplit(context, role: role), context)
        // The partition needs only the training labels, which the coordinator has even when it holds
        // no training features (synthetic data: labels come from their own stream).
        let spec = context.workload.dataset
        let trainLabels = role == .coordinator && spec.name == "synthetic_gaussians"
            ? SyntheticGaussians.labels(.train, count: spec.syntheticTrain, classCount: spec.syntheticClasses, seed: context.seed)
            : split.train.labels
        var partitionRNG = RNGStream(seed: context.seed, purpose: .partition)
        let shards = try context.workload.partition.assign(
            labels: trainLabels, classCount: split.train.classCount, clients: context.clients, rng: &partitionRNG)
        let shape = role == .worker ? split.train : split.test
        // Class shares of the training rows, from the labels every process has (fair_mlp weighs by them).
        var counts = [Double](repeating: 0, count: shape.classCount)
        for label in trainLabels where label >= 0 { counts[Int(label)] += 1 }
        let total = counts.reduce(0, +)
        let bilevelData = ModelCatalog.bilevelDataKinds.contains(context.workload.model.kind)
        let model = ModelCatalog.make(context.workload.model, inputDimension: shape.dimension, classCount: shape.classCount,
                                      classPriors: total > 0 ? counts.map { $0 / total } : nil,
                                      trainingTags: bilevelData ? split.train.domains : nil)
        var prepared = PreparedWorkload(model: model, split: split, shards: role == .worker ? shards : [], shardSizes: shards.map(\.count))
        if model.layout.count(of: .private) > 0 {
            // The same rule as the training rows, on the test rows (own stream): for data laid out task
            // by task with the contiguous partition, each client is tested on its own tasks.
            var testRNG = RNGStream(seed: context.seed, purpose: .partition, round: 1)
            prepared.clientTestShards = try context.workload.partition.assign(
                labels: split.test.labels, classCount: split.test.classCount, clients: context.clients, rng: &testRNG)
        }
        return prepared
    }

    /// A graph data set: both roles build the whole division (the coordinator records each client's
    /// statistics and checks the clients' evaluation counts against it). No row data exists.
    static func prepareGraph(_ context: WorkloadContext) throws -> PreparedWorkload {
        let graph = try GraphWorkload.prepare(context)
        let model = ModelCatalog.make(context.workload.model, inputDimension: graph.graph.featureDimension, classCount: graph.graph.classCount)
        let empty = Dataset(features: [], labels: [], dimension: graph.graph.featureDimension, classCount: graph.graph.classCount)
        return PreparedWorkload(model: model, split: DataSplit(train: empty, test: empty), shards: graph.shards.map { _ in [] },
                                shardSizes: graph.shardSizes, graph: graph)
    }

    /// An interaction data set: both roles build the interactions (the coordinator sends each client
    /// the item rows it trains and checks the clients' evaluation counts). No row data exists.
    static func prepareRecommender(_ context: WorkloadContext) throws -> PreparedWorkload {
        let recommender = try RecommenderWorkload.prepare(context)
        let model = RecommenderModel(network: context.workload.model.recommender, data: recommender.data)
        let empty = Dataset(features: [], labels: [], dimension: 1, classCount: 2)
        return PreparedWorkload(model: model, split: DataSplit(train: empty, test: empty), shards: recommender.shardSizes.map { _ in [] },
                                shardSizes: recommender.shardSizes, recommender: recommender)
    }

    /// For the bilevel data problems: a share of each class's training rows becomes the upper level's
    /// validation rows, and (hyper_cleaning) a share of the rest get a wrong label. Done on the whole
    /// training part before partitioning, from the run seed, so every process holds the same rows.
    static func bilevelLevels(_ split: DataSplit, _ context: WorkloadContext) -> DataSplit {
        let spec = context.workload.model
        guard ModelCatalog.bilevelDataKinds.contains(spec.kind) else { return split }
        var rng = RNGStream(seed: context.seed, purpose: .dataSplit, round: 400)
        var train = BilevelData.tagValidation(split.train, fraction: spec.bilevel.validationFraction, rng: &rng)
        if spec.kind == "hyper_cleaning" { train = BilevelData.corruptLabels(train, rate: spec.bilevel.labelNoise, rng: &rng) }
        return DataSplit(train: train, test: split.test)
    }

    /// The model's initial parameters (same in every process).
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .parameterInit)
        return model.initialParameters(rng: &rng)
    }

    static func loadSplit(_ context: WorkloadContext, role: Role) throws -> DataSplit {
        let spec = context.workload.dataset
        var splitRNG = RNGStream(seed: context.seed, purpose: .dataSplit)
        switch spec.name {
        case "quadratic_saddle":
            // One row (one game) per client; the coordinator evaluates against all of them.
            let games = QuadraticSaddle.make(clients: context.clients, dimension: spec.syntheticDimension,
                                             heterogeneity: spec.syntheticCentreStd, seed: context.seed)
            return DataSplit(train: games, test: games)
        case "quadratic_bilevel":
            // One row (one problem) per client; the coordinator computes the exact ∇Φ from all of them.
            let problems = QuadraticBilevel.make(
                clients: context.clients, upper: context.workload.model.bilevel.upperDimension,
                lower: context.workload.model.bilevel.lowerDimension, heterogeneity: spec.syntheticCentreStd, seed: context.seed)
            return DataSplit(train: problems, test: problems)
        case "synthetic_gaussians":
            // Each process generates only the part it uses (the parts have independent streams).
            func part(_ which: SyntheticGaussians.Part, _ count: Int) -> Dataset {
                SyntheticGaussians.make(which, count: count, dimension: spec.syntheticDimension,
                                        classCount: spec.syntheticClasses, centreStd: spec.syntheticCentreStd, seed: context.seed)
            }
            let empty = Dataset(features: [], labels: [], dimension: spec.syntheticDimension, classCount: spec.syntheticClasses)
            return role == .worker
                ? DataSplit(train: part(.train, spec.syntheticTrain), test: empty)
                : DataSplit(train: empty, test: part(.test, spec.syntheticTest))
        case "skill_teacher":
            // The teacher is the student's own frozen base plus task skills (spec §3.9).
            let student = context.workload.model.adapter.model(kind: "lora", inputs: spec.syntheticDimension, classes: spec.syntheticClasses)
            let structure = spec.hierarchicalSkills ? SkillTeacher.hierarchicalStructure(student: student, seed: context.seed)
                : SkillTeacher.structure(student: student, seed: context.seed)
            return DataSplit(train: SkillTeacher.rows(structure, count: spec.syntheticTrain, seed: context.seed, part: 0).data,
                             test: SkillTeacher.rows(structure, count: spec.syntheticTest, seed: context.seed, part: 1).data)
        case "gaussian_mixture":
            // A few thousand 2-D rows: every process builds both parts (independent streams).
            return DataSplit(train: GaussianMixture2D.make(count: spec.syntheticTrain, seed: context.seed, part: .train),
                             test: GaussianMixture2D.make(count: spec.syntheticTest, seed: context.seed, part: .test))
        case "digits":
            let data = try CSVDatasetLoader.load(path: try path(spec, bundled: "digits/digits.csv", context), featureScale: 1.0 / 16)
            return DataSplit.stratified(data, testFraction: spec.testFraction, rng: &splitRNG)
        case "digits_to_mnist8":
            // Source: the digits set; target: MNIST test digits reduced to 8x8 (data/mnist8).
            let source = try CSVDatasetLoader.load(path: try path(spec, bundled: "digits/digits.csv", context), featureScale: 1.0 / 16)
            let target = try CSVDatasetLoader.load(path: try path(nil, bundled: "mnist8/mnist8.csv", context), featureScale: 1.0 / 16)
            return domainSplit(source: source, target: target, spec, rng: &splitRNG)
        case "mnist8_to_textured":
            // Source: half of the 8x8 MNIST digits; target: the other half, each image blended with a random
            // background (TextureShift). Split by class so both halves hold every digit in equal shares.
            let all = try CSVDatasetLoader.load(path: try path(spec, bundled: "mnist8/mnist8.csv", context), featureScale: 1.0 / 16)
            let halves = DataSplit.stratified(all, testFraction: 0.5, rng: &splitRNG)
            var shiftRNG = RNGStream(seed: context.seed, purpose: .synthetic)
            let target = TextureShift.apply(to: halves.test, side: 8, rng: &shiftRNG)
            return domainSplit(source: halves.train, target: target, spec, rng: &splitRNG)
        case "breast_cancer":
            let data = try CSVDatasetLoader.load(path: try path(spec, bundled: "breast_cancer/breast_cancer.csv", context))
            let split = DataSplit.stratified(data, testFraction: spec.testFraction, rng: &splitRNG)
            // Features span five orders of magnitude; standardise with training statistics only.
            let scaler = Standardizer(fitting: split.train)
            return DataSplit(train: scaler.apply(to: split.train), test: scaler.apply(to: split.test))
        default:
            throw DataError.unknownDataset(name: spec.name, known: WorkloadCatalog.datasetNames)
        }
    }

    /// Source and target split on their own; the target's training rows lose their labels here, before
    /// any client sees them, and every row is tagged with its domain.
    static func domainSplit(source: Dataset, target: Dataset, _ spec: DatasetSpec, rng: inout RNGStream) -> DataSplit {
        let sourceSplit = DataSplit.stratified(source, testFraction: spec.testFraction, rng: &rng)
        let targetSplit = DataSplit.stratified(target, testFraction: spec.targetTestFraction, rng: &rng)
        return DataSplit(
            train: sourceSplit.train.tagged(domain: 0).appending(targetSplit.train.withoutLabels().tagged(domain: 1)),
            test: sourceSplit.test.tagged(domain: 0).appending(targetSplit.test.tagged(domain: 1)))
    }

    static func path(_ spec: DatasetSpec?, bundled: String, _ context: WorkloadContext) throws -> String {
        if let path = spec?.path { return path }
        let (found, searched) = DataLocator.locate(bundled, topologyFile: context.sourceFile)
        guard let found else {
            throw DataError.unreadable(path: bundled, reason: "bundled data not found; searched \(searched.joined(separator: ", ")); set FEDSIM_DATA_DIR")
        }
        return found
    }
}
