import FedCore
import FedModels

/// `workload:` — model, data set and how it is split among clients.
public struct WorkloadSpec: Sendable {
    public var model: ModelCatalog.Spec
    public var dataset: DatasetSpec
    public var partition: Partition
    /// How a graph data set's nodes are divided (graph data sets only; `partition` is unused then).
    public var graphPartition: GraphPartition?
    public init(model: ModelCatalog.Spec, dataset: DatasetSpec, partition: Partition, graphPartition: GraphPartition? = nil) {
        self.model = model
        self.dataset = dataset
        self.partition = partition
        self.graphPartition = graphPartition
    }
}

/// `workload.dataset:`.
public struct DatasetSpec: Sendable, Equatable {
    /// One of `WorkloadCatalog.datasetNames`.
    public var name: String
    /// A CSV file to read instead of the bundled copy (header row, label last).
    public var path: String?
    /// Share of each class held out as the central test set.
    public var testFraction: Double
    /// Share of each target-domain class held out for testing (two-domain data sets).
    public var targetTestFraction: Double = 0.3
    /// Sizes for `synthetic_gaussians`.
    public var syntheticTrain: Int
    public var syntheticTest: Int
    public var syntheticDimension: Int
    public var syntheticClasses: Int
    public var syntheticCentreStd: Double
    /// skill_teacher: the hierarchical teacher of spec §4.10 (tops refined by sub-skills) instead of §3.9's.
    public var hierarchicalSkills = false
    /// Settings of the graph data sets.
    public var graph = GraphDataSpec()
    /// Settings of the interaction data sets.
    public var interactions = InteractionDataSpec()
}
