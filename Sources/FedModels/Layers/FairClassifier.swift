import FedCore

/// Fair classification as a minimax game (the "max over a finite set of losses" form used by
/// Local SGDA+ and FESS-GDA; optimization.md §2.6): an MLP x (the min player) against class weights
/// y on the probability simplex (the max player),
///
///     min_x max_{y ∈ Δ_C}  Σ_c y_c L_c(x) − (λ/2)‖y‖²,   L_c = mean loss of x on class c.
///
/// A minibatch estimates Σ_c y_c L_c with per-row weights y_{c_r} / π_{c_r}, where π_c is class c's
/// share of the federation's training rows: the sample-weighted average of the clients' objectives is
/// then the global objective whatever the label skew (optimization.md §2.6 gives the same
/// decomposition for uniform client weights). Gradients come in descent form for both players:
/// x gets ∇_x f, y gets −∇_y f = −(L̂_c / π_c)_c + λ y. `projectMaxPlayer` puts y back on Δ_C.
///
/// Tensors: the MLP's `layer{l}.weight/bias`, then `class_weights` [C].
public struct FairClassifier: DifferentiableModel {
    public let layout: ParameterLayout
    let stack: DenseStack
    /// π_c, the training share of each class (positive, sums to 1).
    public let classPriors: [Float]
    /// λ, the strength of the regulariser that keeps y from collapsing onto one class.
    public let regularization: Float

    public init(inputDimension: Int, hidden: [Int], classCount: Int, classPriors: [Double]? = nil, regularization: Float = 0.1) {
        let widths = [inputDimension] + hidden + [classCount]
        let (layout, _, _) = DenseStack.twoPlayerLayout(min: DenseStack.specs(prefix: "", widths: widths),
                                                         max: [("class_weights", [classCount])])
        self.layout = layout
        stack = DenseStack(prefix: "", widths: widths, layout: layout, reluAfterLast: false)
        // A class absent from training would get an infinite weight; floor the prior instead.
        let priors = (classPriors ?? [Double](repeating: 1, count: classCount)).map { max($0, 1e-6) }
        let total = priors.reduce(0, +)
        self.classPriors = priors.map { Float($0 / total) }
        self.regularization = regularization
    }

    public var inputDimension: Int { stack.widths[0] }
    public var classCount: Int { stack.outputWidth }
    private var weightsOffset: Int { layout.totalCount - classCount }
    public var maxPlayerRange: Range<Int>? { weightsOffset..<layout.totalCount }

    /// The MLP's initialisation; y starts uniform.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        stack.initialize(&parameters, rng: &rng)
        for c in 0..<classCount { parameters[weightsOffset + c] = 1 / Float(classCount) }
        return parameters
    }

    /// The stack's buffers, then per-class loss sums and counts [C] each.
    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension,
                       widths: Array(stack.widths.dropFirst()) + [classCount, classCount])
    }

    public func forward(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float> {
        stack.forward(base: parameters.baseAddress!, x: x, batch: batch, activations: workspace.activations[0..<stack.layerCount])
    }

    /// Returns the batch estimate of f(x, y) (weighted loss minus the regulariser).
    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let c = classCount, y = parameters.baseAddress! + weightsOffset
        let logits = forward(parameters: parameters, x: x, batch: b, workspace: workspace)
        let dLogits = workspace.activationGradients[stack.layerCount - 1]
        let classLoss = workspace.activations[stack.layerCount]
        classLoss.update(repeating: 0, count: c)
        var value: Float = 0
        for row in 0..<b {
            let label = Int(labels[row])
            let weight = y[label] / classPriors[label] / Float(b)
            let loss = SoftmaxCrossEntropy.rowLossAndGradient(logits + row * c, dLogits + row * c, classCount: c, label: label,
                                                              weight: weight)
            classLoss[label] += loss / classPriors[label] / Float(b)
            value += weight * loss
        }
        stack.backward(base: parameters.baseAddress!, gradient: gradient.baseAddress!, x: x, batch: b,
                       activations: workspace.activations[0..<stack.layerCount],
                       activationGradients: workspace.activationGradients[0..<stack.layerCount])
        for k in 0..<c {
            gradient[weightsOffset + k] += -classLoss[k] + regularization * y[k]
            value -= 0.5 * regularization * y[k] * y[k]
        }
        return value
    }

    public func projectMaxPlayer(_ parameters: UnsafeMutableBufferPointer<Float>) {
        SimplexProjection.project(inPlace: UnsafeMutableBufferPointer(rebasing: parameters[weightsOffset...]))
    }

    public var evaluationMetricNames: [String] { ["worst_class_accuracy"] }
    public var headlineMetric: (name: String, logarithmic: Bool) { ("worst_class_accuracy", false) }

    /// Plain `test_loss` and `test_accuracy` of the classifier, and its lowest per-class accuracy.
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        guard data.count > 0 else { return ["test_loss": .nan, "test_accuracy": .nan, "worst_class_accuracy": .nan] }
        var lossSum = 0.0
        var hits = [Int](repeating: 0, count: classCount), rows = [Int](repeating: 0, count: classCount)
        forEachEvaluationBatch(parameters: parameters, on: data, workspace: workspace) { start, b, logits, _, _ in
            for row in 0..<b {
                let label = Int(data.labels[start + row])
                let (loss, argmax) = SoftmaxCrossEntropy.lossAndArgmax(logits + row * classCount, classCount: classCount, label: label)
                lossSum += Double(loss)
                rows[label] += 1
                if argmax == label { hits[label] += 1 }
            }
        }
        let perClass = zip(hits, rows).compactMap { $1 > 0 ? Double($0) / Double($1) : nil }
        return ["test_loss": lossSum / Double(data.count), "test_accuracy": Double(hits.reduce(0, +)) / Double(data.count),
                "worst_class_accuracy": perClass.min() ?? .nan]
    }
}
