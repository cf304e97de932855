import FedCore

/// Data hyper-cleaning (optimization.md §3.8 task 3, §4.6 task 3): learn one weight per training
/// row so that a linear classifier trained on the weighted rows does well on clean validation rows.
///
///     g(x, y) = (1/m) Σ_{j ∈ rows} σ(x_j) CE_j(y) + c ‖y‖²,      f(x, y) = (1/m) Σ_{j ∈ rows} CE_j(y)
///
/// Dimension letters: N training rows of the whole data set, d features, C classes, B rows in a
/// chunk, m = |rows|. x [N] holds one weight logit per training row: x_j belongs to row j of the
/// training `Dataset`, the global index the oracles receive in `rows`. y is the classifier:
/// `classifier.weight` W [C, d] and `classifier.bias` b [C], row-major, with logits z_j = W a_j + b.
/// σ is the logistic function, c = `regularization` (squared norm over W and b).
///
/// Second-order products are exact. With s_j = softmax(z_j), e_j the one-hot label and a direction
/// v = (V, u), δz_j = V a_j + u:
///     ∇²_yy g · v = (1/m) Σ_j σ(x_j) [s_j ⊙ δz_j − s_j (s_jᵀ δz_j)] ⊗ (a_j, 1) + 2c v
///     (∇²_xy g · v)_j = σ'(x_j)/m · (s_j − e_j)ᵀ δz_j   (zero for rows outside the batch)
/// `finiteDifferenceSecondOrder` stays callable for comparison.
public struct HyperCleaning: BilevelProblem {
    public let upperCount: Int
    public let lowerCount: Int
    public let inputDimension: Int
    public let classCount: Int
    /// c in g's c‖y‖².
    public let regularization: Double
    /// The domain tag of every training row (`BilevelData`: 0 clean, 1 validation, 2 corrupted), for
    /// reporting the weights of clean and corrupted rows; nil reports test metrics only.
    public let trainingTags: [UInt8]?
    public let layout: ParameterLayout

    /// - Parameters:
    ///   - inputDimension: d.
    ///   - classCount: C.
    ///   - trainingRowCount: N, the rows of the training data set the oracles will receive.
    ///   - regularization: c (default 0.001).
    ///   - trainingTags: the tags of those N rows, if the model may report on them.
    public init(inputDimension: Int, classCount: Int, trainingRowCount: Int, regularization: Double = 0.001,
                trainingTags: [UInt8]? = nil) {
        precondition(inputDimension > 0 && classCount > 1 && trainingRowCount > 0,
                     "hyper-cleaning needs features, at least 2 classes and training rows")
        precondition(trainingTags.map { $0.count == trainingRowCount } ?? true,
                     "\(trainingTags?.count ?? 0) training tags for \(trainingRowCount) rows")
        self.inputDimension = inputDimension
        self.classCount = classCount
        self.regularization = regularization
        self.trainingTags = trainingTags
        upperCount = trainingRowCount
        lowerCount = classCount * inputDimension + classCount
        layout = ParameterLayout([("sample_logits", [trainingRowCount]), ("classifier.weight", [classCount, inputDimension]),
                                  ("classifier.bias", [classCount])])
    }

    private var weightOffset: Int { upperCount }
    private var biasOffset: Int { upperCount + classCount * inputDimension }

    /// x = 0 (every row weighted σ(0) = ½) and y = 0 (g is convex in y, so no symmetry to break).
    public func initialParameters(rng: inout RNGStream) -> [Float] { [Float](repeating: 0, count: layout.totalCount) }

    /// activations[0] logits [B, C], activations[1] δz [B, C], activationGradients[0] per-row coefficients [B, C].
    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: [classCount, classCount])
    }

    /// The classifier's logits, so the default evaluation reports test loss and accuracy.
    public func forward(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int,
                        workspace: ModelWorkspace) -> UnsafePointer<Float> {
        let base = parameters.baseAddress!
        linear(weight: base + weightOffset, bias: base + biasOffset, x: x, batch: batch, into: workspace.activations[0])
        return UnsafePointer(workspace.activations[0])
    }

    /// Plain mean cross-entropy of the classifier; x gets no gradient (only bilevel algorithms train this model).
    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let logits = forward(parameters: parameters, x: x, batch: b, workspace: workspace)
        let dLogits = workspace.activationGradients[0]
        let loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, batch: b, classCount: classCount,
                                                       dLogits: dLogits)
        addClassifierGradient(UnsafePointer(dLogits), x: x, batch: b, into: gradient.baseAddress!)
        return loss
    }

    // MARK: - Oracles

    public func gradient(_ level: BilevelLevel, parameters: [Float], rows: [Int], data: Dataset,
                         rng: inout RNGStream) -> (loss: Double, gradient: [Float]) {
        check(parameters: parameters, data: data)
        let c = classCount, m = Float(max(rows.count, 1))
        var grad = [Float](repeating: 0, count: layout.totalCount)
        var loss = 0.0
        parameters.withUnsafeBufferPointer { params in
            grad.withUnsafeMutableBufferPointer { g in
                forEachChunk(rows, of: data, parameters: params) { start, b, workspace in
                    let logits = UnsafePointer(workspace.activations[0]), coefficients = workspace.activationGradients[0]
                    for r in 0..<b {
                        let j = rows[start + r], label = Int(workspace.batchLabels[r])
                        // Lower level: row j enters with weight σ(x_j); ∂g/∂x_j = σ'(x_j) CE_j / m.
                        let weight = level == .lower ? logistic(params[j]) : 1
                        let rowLoss = SoftmaxCrossEntropy.rowLossAndGradient(
                            logits + r * c, coefficients + r * c, classCount: c, label: label, weight: weight / m)
                        loss += Double(weight) * Double(rowLoss)
                        if level == .lower { g[j] += weight * (1 - weight) * rowLoss / m }
                    }
                    addClassifierGradient(UnsafePointer(coefficients), x: workspace.batchX, batch: b, into: g.baseAddress!)
                }
            }
        }
        loss /= Double(m)
        if level == .lower {
            for i in weightOffset..<layout.totalCount {
                let value = Double(parameters[i])
                loss += regularization * value * value
                grad[i] += Float(2 * regularization * value)
            }
        }
        return (loss, grad)
    }

    public func lowerSecondOrder(parameters: [Float], rows: [Int], data: Dataset, direction: [Float],
                                 rng: inout RNGStream) -> (hvp: [Float], jvp: [Float]) {
        check(parameters: parameters, data: data)
        precondition(direction.count == lowerCount, "direction has \(direction.count) values, y has \(lowerCount)")
        let c = classCount, m = Float(max(rows.count, 1))
        // The HVP is written at y's offsets of a full-length buffer so the classifier gradient kernel applies.
        var hvp = [Float](repeating: 0, count: layout.totalCount)
        var jvp = [Float](repeating: 0, count: upperCount)
        parameters.withUnsafeBufferPointer { params in
            direction.withUnsafeBufferPointer { v in
                hvp.withUnsafeMutableBufferPointer { h in
                    forEachChunk(rows, of: data, parameters: params) { start, b, workspace in
                        let s = workspace.activations[0], dz = workspace.activations[1]
                        let coefficients = workspace.activationGradients[0]
                        // δz = X Vᵀ + u, the change of the logits along v.
                        linear(weight: v.baseAddress!, bias: v.baseAddress! + c * inputDimension, x: workspace.batchX,
                               batch: b, into: dz)
                        for r in 0..<b {
                            let j = rows[start + r], label = Int(workspace.batchLabels[r])
                            let sr = s + r * c, dzr = dz + r * c, out = coefficients + r * c
                            softmaxInPlace(sr, count: c)
                            var sDotDz: Float = 0
                            for k in 0..<c { sDotDz += sr[k] * dzr[k] }
                            // (s − e)ᵀ δz = sᵀδz − δz_label
                            let sigma = logistic(params[j])
                            jvp[j] += sigma * (1 - sigma) / m * (sDotDz - dzr[label])
                            let weight = sigma / m
                            for k in 0..<c { out[k] = weight * sr[k] * (dzr[k] - sDotDz) }
                        }
                        addClassifierGradient(UnsafePointer(coefficients), x: workspace.batchX, batch: b, into: h.baseAddress!)
                    }
                }
            }
        }
        let twoC = Float(2 * regularization)
        let hvpY = (0..<lowerCount).map { hvp[upperCount + $0] + twoC * direction[$0] }
        return (hvpY, jvp)
    }

    // MARK: - Evaluation

    public var evaluationMetricNames: [String] { trainingTags == nil ? [] : ["corrupted_weight", "clean_weight"] }

    /// Test loss and accuracy on `data`, plus the mean weight σ(x_j) of the corrupted (tag 2) and clean
    /// (tag 0) training rows when the tags are known (NaN for a group with no rows).
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        let (loss, accuracy) = evaluate(parameters: parameters, on: data, workspace: workspace)
        var metrics = ["test_loss": loss, "test_accuracy": accuracy]
        if let trainingTags {
            var sums = [0.0, 0.0], counts = [0, 0]
            for (j, tag) in trainingTags.enumerated() {
                let group = tag == BilevelData.corruptedTag ? 0 : tag == BilevelData.trainingTag ? 1 : -1
                guard group >= 0 else { continue }
                sums[group] += Double(logistic(parameters[j]))
                counts[group] += 1
            }
            metrics["corrupted_weight"] = counts[0] > 0 ? sums[0] / Double(counts[0]) : .nan
            metrics["clean_weight"] = counts[1] > 0 ? sums[1] / Double(counts[1]) : .nan
        }
        return metrics
    }

    // MARK: - Kernels

    private func check(parameters: [Float], data: Dataset) {
        precondition(parameters.count == layout.totalCount, "parameters have \(parameters.count) values, expected \(layout.totalCount)")
        precondition(data.dimension == inputDimension && data.count == upperCount,
                     "data is [\(data.count), \(data.dimension)], the problem has \(upperCount) training rows of \(inputDimension)")
    }

    /// Gathers `rows` in chunks, computes their logits into activations[0] and hands each chunk to
    /// `body` (its first position in `rows`, its size, the workspace).
    private func forEachChunk(_ rows: [Int], of data: Dataset, parameters: UnsafeBufferPointer<Float>,
                              _ body: (_ start: Int, _ batch: Int, _ workspace: ModelWorkspace) -> Void) {
        guard !rows.isEmpty else { return }
        let capacity = min(rows.count, bilevelChunkRows)
        let workspace = makeWorkspace(batchCapacity: capacity)
        var start = 0
        while start < rows.count {
            let b = min(capacity, rows.count - start)
            workspace.gatherRows(rows[start..<(start + b)], of: data)
            _ = forward(parameters: parameters, x: workspace.batchX, batch: b, workspace: workspace)
            body(start, b, workspace)
            start += b
        }
    }

    /// out [B, C] = x [B, d] · weightᵀ ([C, d]) + bias [C].
    private func linear(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, x: UnsafePointer<Float>, batch b: Int,
                        into out: UnsafeMutablePointer<Float>) {
        for row in 0..<b { (out + row * classCount).update(from: bias, count: classCount) }
        Matmul.gemm(.none, .transposed, m: b, n: classCount, k: inputDimension, a: x, b: weight, beta: 1, c: out)
    }

    /// For per-row logit coefficients G [B, C]: gradient's W part [C, d] += Gᵀ x, its b part += column sums of G.
    private func addClassifierGradient(_ coefficients: UnsafePointer<Float>, x: UnsafePointer<Float>, batch b: Int,
                                       into gradient: UnsafeMutablePointer<Float>) {
        Matmul.gemm(.transposed, .none, m: classCount, n: inputDimension, k: b, a: coefficients, b: x, beta: 1,
                    c: gradient + weightOffset)
        let bias = gradient + biasOffset
        for row in 0..<b { for k in 0..<classCount { bias[k] += coefficients[row * classCount + k] } }
    }

    private func softmaxInPlace(_ z: UnsafeMutablePointer<Float>, count c: Int) {
        var top = z[0]
        for k in 1..<c where z[k] > top { top = z[k] }
        var sum: Float = 0
        for k in 0..<c { z[k] = fastExp(z[k] - top); sum += z[k] }
        for k in 0..<c { z[k] /= sum }
    }

    /// σ(t) = 1 / (1 + e^{−t}); saturates cleanly to 0 or 1 for large |t|.
    private func logistic(_ t: Float) -> Float { 1 / (1 + fastExp(-t)) }
}
