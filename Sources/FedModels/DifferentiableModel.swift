import FedCore

/// A classifier with hand-written forward and backward passes over one flat parameter buffer.
///
/// Buffers: `x` is [B, inputDimension] row-major, `labels` is [B], `gradient` has the layout's
/// total count. Implementations keep every per-batch buffer in the workspace, so training
/// allocates nothing per step.
public protocol DifferentiableModel: Sendable {
    /// Where each named parameter tensor sits in the flat buffer.
    var layout: ParameterLayout { get }
    /// Features per example.
    var inputDimension: Int { get }
    /// Number of output classes.
    var classCount: Int { get }

    /// Fresh parameters drawn from `rng`.
    func initialParameters(rng: inout RNGStream) -> [Float]

    /// A workspace able to hold batches of up to `batchCapacity` examples.
    func makeWorkspace(batchCapacity: Int) -> ModelWorkspace

    /// Mean cross-entropy of the batch; adds d(mean loss)/d(parameters) into `gradient` (accumulates).
    func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float

    /// Writes the logits [B, classCount] of the batch into `workspace.logits` and returns a pointer to them.
    func forward(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float>

    /// Metrics this model reports beyond `test_loss` and `test_accuracy` (extra metrics.csv columns).
    var evaluationMetricNames: [String] { get }

    /// `test_loss`, `test_accuracy` and the `evaluationMetricNames` of `parameters` on `data`.
    func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double]

    /// The metric a run's own convergence plot shows, and whether it reads best on a log axis.
    var headlineMetric: (name: String, logarithmic: Bool) { get }

    /// For models evaluated on their clients: the column that totals the examples the clients'
    /// reports cover, and the metric whose count it is (nil for models evaluated by the coordinator).
    var clientEvaluationCountColumn: (column: String, metric: String)? { get }

    /// For two-player (minimax) models: the scalars of the max player, which sit after the min
    /// player's. Gradients of both players come in descent form (the max player's part is −∇_y f),
    /// so descent-based trainers play gradient descent–ascent. Nil for ordinary models.
    var maxPlayerRange: Range<Int>? { get }

    /// Puts the max player back on its feasible set Y (for example the simplex); the identity when
    /// Y is the whole space. Projected methods call it after every step on the max player.
    func projectMaxPlayer(_ parameters: UnsafeMutableBufferPointer<Float>)

    /// For generative models: `count` points the model generates, flat [count, inputDimension], from
    /// a fixed noise set (the same points every call for the same parameters), so a run can show what
    /// its final model produces. Nil for models that generate nothing.
    func generatedSamples(parameters: [Float], count: Int) -> [Float]?

    /// Whether `lossAndGradient` draws random numbers (from `workspace.stepRandomness`).
    var drawsInSteps: Bool { get }
}

/// Scratch buffers reused across steps (one per training loop, never shared between threads).
///
/// The buffers are allocated once, never resized, and freed with the workspace, so kernels may
/// hold their addresses for the duration of a call without copying.
public final class ModelWorkspace {
    /// Largest batch the buffers hold.
    public let batchCapacity: Int
    /// Layer outputs, one per layer, each [batchCapacity, width].
    public let activations: [UnsafeMutablePointer<Float>]
    /// Gradients with respect to `activations`, same shapes.
    public let activationGradients: [UnsafeMutablePointer<Float>]
    /// A gathered batch of inputs [batchCapacity, inputDimension].
    public let batchX: UnsafeMutablePointer<Float>
    /// The gathered batch's labels [batchCapacity].
    public let batchLabels: UnsafeMutablePointer<Int32>
    /// Buffers a model needs beyond the layer activations (its own type), made on first use.
    public var modelScratch: AnyObject?
    /// The stream a model's step draws from (DESIGN §10), for models whose `drawsInSteps` is true:
    /// the trainer sets it from the client's stream for the round before the first step.
    public var stepRandomness = RNGStream(seed: 0, purpose: .localTraining)

    public init(batchCapacity: Int, inputDimension: Int, widths: [Int]) {
        func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            buffer.initialize(repeating: 0, count: max(count, 1))
            return buffer
        }
        self.batchCapacity = batchCapacity
        activations = widths.map { zeroed(batchCapacity * $0) }
        activationGradients = widths.map { zeroed(batchCapacity * $0) }
        batchX = zeroed(batchCapacity * inputDimension)
        batchLabels = UnsafeMutablePointer<Int32>.allocate(capacity: max(batchCapacity, 1))
        batchLabels.initialize(repeating: 0, count: max(batchCapacity, 1))
    }

    deinit {
        for buffer in activations { buffer.deallocate() }
        for buffer in activationGradients { buffer.deallocate() }
        batchX.deallocate()
        batchLabels.deallocate()
    }
}

extension DifferentiableModel {
    public var evaluationMetricNames: [String] { [] }
    public var headlineMetric: (name: String, logarithmic: Bool) { ("test_accuracy", false) }
    public var clientEvaluationCountColumn: (column: String, metric: String)? { nil }
    public var maxPlayerRange: Range<Int>? { nil }
    public func projectMaxPlayer(_ parameters: UnsafeMutableBufferPointer<Float>) {}
    public func generatedSamples(parameters: [Float], count: Int) -> [Float]? { nil }
    public var drawsInSteps: Bool { false }

    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        let (loss, accuracy) = evaluate(parameters: parameters, on: data, workspace: workspace)
        return ["test_loss": loss, "test_accuracy": accuracy]
    }

    /// Runs the forward pass over `data` in fixed batches of up to 256 rows (fixed order, so results
    /// are deterministic) and hands each batch to `visit`: its first row, its size, its logits
    /// [b, classCount], the parameters and the workspace (still holding the batch's activations).
    public func forEachEvaluationBatch(
        parameters: [Float], on data: Dataset, workspace: ModelWorkspace?,
        _ visit: (_ start: Int, _ batch: Int, _ logits: UnsafePointer<Float>, _ parameters: UnsafeBufferPointer<Float>,
                  _ workspace: ModelWorkspace) -> Void
    ) {
        guard data.count > 0 else { return }
        let batchSize = min(256, data.count)
        let space = workspace.flatMap { $0.batchCapacity >= batchSize ? $0 : nil } ?? makeWorkspace(batchCapacity: batchSize)
        parameters.withUnsafeBufferPointer { params in
            data.features.withUnsafeBufferPointer { features in
                var start = 0
                while start < data.count {
                    let b = min(batchSize, data.count - start)
                    let logits = forward(parameters: params, x: features.baseAddress! + start * inputDimension, batch: b, workspace: space)
                    visit(start, b, logits, params, space)
                    start += b
                }
            }
        }
    }

    /// Mean loss and accuracy over a whole data set.
    public func evaluate(parameters: [Float], on data: Dataset, workspace: ModelWorkspace? = nil) -> (loss: Double, accuracy: Double) {
        guard data.count > 0 else { return (.nan, .nan) }
        var lossSum = 0.0
        var correct = 0
        let c = classCount
        forEachEvaluationBatch(parameters: parameters, on: data, workspace: workspace) { start, b, logits, _, _ in
            for row in 0..<b {
                let label = Int(data.labels[start + row])
                let (rowLoss, argmax) = SoftmaxCrossEntropy.lossAndArgmax(logits + row * c, classCount: c, label: label)
                lossSum += Double(rowLoss)
                if argmax == label { correct += 1 }
            }
        }
        return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
}

/// A model whose training and evaluation happen on the clients through a specialised algorithm
/// (graph networks over subgraphs, recommenders one user at a time): the row entry points are never
/// reached, the workspace is empty, and the coordinator's evaluation is left to the clients' reports.
public protocol ClientEvaluatedModel: DifferentiableModel {}

extension ClientEvaluatedModel {
    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace { ModelWorkspace(batchCapacity: 0, inputDimension: 0, widths: []) }

    public func lossAndGradient(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                batch: Int, gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace) -> Float {
        preconditionFailure("\(Self.self) trains through its own algorithm, not over row batches")
    }

    public func forward(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int,
                        workspace: ModelWorkspace) -> UnsafePointer<Float> {
        preconditionFailure("\(Self.self) evaluates on its clients, not on row batches")
    }

    /// No rows to evaluate at the coordinator: every metric comes from the clients.
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        ["test_loss": .nan, "test_accuracy": .nan]
    }
}
