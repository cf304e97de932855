import FedCore

/// A `GraphConvNet` in the model catalogue: the layout, initial parameters and metric names a run
/// needs from any model, for a network that trains over a whole subgraph instead of row batches.
///
/// Graph models are trained by the graph algorithms only (the workload catalogue refuses any other
/// pairing), which call the network's whole-graph passes through `ClientContext.graph`; the row
/// entry points of `DifferentiableModel` are therefore never reached. Test nodes live on the
/// clients, so the run's test and validation metrics come from the clients' reports.
public struct GraphModel: ClientEvaluatedModel {
    public let network: GraphConvNet

    public init(network: GraphConvNet) { self.network = network }

    public var layout: ParameterLayout { network.layout }
    public var inputDimension: Int { network.inputDimension }
    public var classCount: Int { network.classCount }

    public func initialParameters(rng: inout RNGStream) -> [Float] { network.initialParameters(rng: &rng) }

    /// Columns the clients' evaluation reports fill (beside `test_loss` and `test_accuracy`).
    public var evaluationMetricNames: [String] { GraphModel.clientEvaluationColumns }

    public static let clientEvaluationColumns = ["val_accuracy", "val_loss", "test_nodes"]
    public var clientEvaluationCountColumn: (column: String, metric: String)? { ("test_nodes", "test_accuracy") }
}

/// One virtual client's graph as its worker holds it: the network, the client's subgraph inputs,
/// its train/validation/test nodes and the buffers of its passes (allocated once per client).
public final class GraphClient {
    public let network: GraphConvNet
    public let inputs: GraphInputs
    /// Local node ids.
    public let train: [Int]
    public let validation: [Int]
    public let test: [Int]
    /// Training nodes per class (what `js_source: label_distribution` reports).
    public let trainHistogram: [Int]
    /// Nodes per degree bucket 0, 1, 2, 3–4, 5–8, 9–16, > 16 within the subgraph (`degree_distribution`).
    public let degreeHistogram: [Int]
    public static let degreeBucketCount = 7
    public let workspace: GraphConvWorkspace

    public init(network: GraphConvNet, inputs: GraphInputs, train: [Int], validation: [Int], test: [Int]) {
        self.network = network
        self.inputs = inputs
        self.train = train
        self.validation = validation
        self.test = test
        var histogram = [Int](repeating: 0, count: network.classCount)
        for v in train where inputs.labels[v] >= 0 { histogram[Int(inputs.labels[v])] += 1 }
        trainHistogram = histogram
        var degrees = [Int](repeating: 0, count: Self.degreeBucketCount)
        for v in 0..<inputs.nodeCount {
            // Â holds every node's self-loop besides its edges.
            let degree = inputs.adjacency.rowStarts[v + 1] - inputs.adjacency.rowStarts[v] - 1
            let bucket = degree <= 2 ? max(degree, 0) : degree <= 4 ? 3 : degree <= 8 ? 4 : degree <= 16 ? 5 : 6
            degrees[bucket] += 1
        }
        degreeHistogram = degrees
        workspace = network.makeWorkspace(nodeCount: inputs.nodeCount, featureNonZeros: inputs.features.nonZeroCount)
    }
}
