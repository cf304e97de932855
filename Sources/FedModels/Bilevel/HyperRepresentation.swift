import FedCore

/// Hyper-representation learning (optimization.md §3.6 table, §3.8 task 2; the MNIST task of
/// FedNest's code): a one-hidden-layer MLP whose first layer is the shared representation x and
/// whose last layer, the "header", is the lower variable y.
///
///     g(x, y) = mean CE over the training rows + λ (‖W_head‖₂ + ‖b_head‖₂)
///     f(x, y) = mean CE over the validation rows
///
/// Dimension letters: d input features, h hidden units, C classes. Parameters are the MLP's own
/// buffer, `layer0.weight` [d, h], `layer0.bias` [h] (x, p = d·h + h scalars), then
/// `layer1.weight` [h, C], `layer1.bias` [C] (y, q = h·C + C scalars): the MLP lays layers out in
/// order, so x comes first as the bilevel protocol requires, with no remapping.
///
/// Deviations from FedNest: no dropout (oracles stay deterministic, so the protocol's
/// finite-difference second-order products are exact up to rounding). The penalty is a norm, not
/// squared, as in FedNest's code (`0.5 · 0.1 · Σ ‖θ‖`); at a zero tensor its subgradient 0 is used.
/// Second-order products are the protocol's central differences of the gradient.
public struct HyperRepresentation: BilevelProblem {
    /// The network, d → h (ReLU) → C.
    public let network: MLP
    /// λ, the weight of the header's norm penalty in g.
    public let headerPenalty: Double
    public let upperCount: Int
    public let lowerCount: Int

    /// - Parameters:
    ///   - inputDimension: d.
    ///   - hidden: h, the width of the one hidden layer.
    ///   - classCount: C.
    ///   - headerPenalty: λ (FedNest: 0.05).
    public init(inputDimension: Int, hidden: Int, classCount: Int, headerPenalty: Double = 0.05) {
        precondition(headerPenalty >= 0, "header penalty must be non-negative, got \(headerPenalty)")
        network = MLP(inputDimension: inputDimension, hidden: [hidden], classCount: classCount)
        self.headerPenalty = headerPenalty
        upperCount = inputDimension * hidden + hidden
        lowerCount = hidden * classCount + classCount
        precondition(network.layout.totalCount == upperCount + lowerCount, "MLP layout is not first layer, then header")
    }

    public var layout: ParameterLayout { network.layout }
    public var inputDimension: Int { network.inputDimension }
    public var classCount: Int { network.classCount }
    /// h.
    public var hiddenWidth: Int { network.widths[1] }

    /// The MLP's initialisation (Glorot-uniform weights, zero biases).
    public func initialParameters(rng: inout RNGStream) -> [Float] { network.initialParameters(rng: &rng) }

    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace { network.makeWorkspace(batchCapacity: batchCapacity) }

    /// The MLP's logits, so the default evaluation reports test loss and accuracy.
    public func forward(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int,
                        workspace: ModelWorkspace) -> UnsafePointer<Float> {
        network.forward(parameters: parameters, x: x, batch: batch, workspace: workspace)
    }

    /// Plain mean cross-entropy over both layers (only bilevel algorithms train this model, through `gradient`).
    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        network.lossAndGradient(parameters: parameters, x: x, labels: labels, batch: batch, gradient: gradient,
                                workspace: workspace)
    }

    public func gradient(_ level: BilevelLevel, parameters: [Float], rows: [Int], data: Dataset,
                         rng: inout RNGStream) -> (loss: Double, gradient: [Float]) {
        let p = upperCount, q = lowerCount, c = classCount, d = inputDimension
        precondition(parameters.count == p + q, "parameters have \(parameters.count) values, expected \(p + q)")
        precondition(data.dimension == d, "rows have \(data.dimension) features, the network takes \(d)")
        var grad = [Float](repeating: 0, count: p + q)
        var loss = 0.0
        if !rows.isEmpty {
            let capacity = min(rows.count, bilevelChunkRows)
            let workspace = network.makeWorkspace(batchCapacity: capacity)
            let stack = network.stack
            let dLogits = workspace.activationGradients[stack.layerCount - 1]
            // Every row's dLogits carries 1/|rows|, so chunk gradients add up to the mean's gradient.
            let weight = 1 / Float(rows.count)
            parameters.withUnsafeBufferPointer { params in
                grad.withUnsafeMutableBufferPointer { g in
                    var start = 0
                    while start < rows.count {
                        let b = min(capacity, rows.count - start)
                        workspace.gatherRows(rows[start..<(start + b)], of: data)
                        let logits = stack.forward(base: params.baseAddress!, x: workspace.batchX, batch: b,
                                                   activations: workspace.activations[...])
                        for r in 0..<b {
                            let rowLoss = SoftmaxCrossEntropy.rowLossAndGradient(
                                logits + r * c, dLogits + r * c, classCount: c, label: Int(workspace.batchLabels[r]),
                                weight: weight)
                            loss += Double(rowLoss)
                        }
                        stack.backward(base: params.baseAddress!, gradient: g.baseAddress!, x: workspace.batchX, batch: b,
                                       activations: workspace.activations[...],
                                       activationGradients: workspace.activationGradients[...])
                        start += b
                    }
                }
            }
            loss /= Double(rows.count)
        }
        if level == .lower && headerPenalty > 0 {
            let weights = p..<(p + hiddenWidth * c), bias = (p + hiddenWidth * c)..<(p + q)
            loss += headerPenalty * (addNormGradient(parameters, range: weights, into: &grad)
                                     + addNormGradient(parameters, range: bias, into: &grad))
        }
        return (loss, grad)
    }

    /// Adds λ θ/‖θ‖ (the gradient of λ‖θ‖; 0 at θ = 0) over `range` and returns ‖θ‖.
    private func addNormGradient(_ parameters: [Float], range: Range<Int>, into grad: inout [Float]) -> Double {
        var squares = 0.0
        for i in range { squares += Double(parameters[i]) * Double(parameters[i]) }
        let norm = squares.squareRoot()
        guard norm > 0 else { return 0 }
        let scale = headerPenalty / norm
        for i in range { grad[i] += Float(scale * Double(parameters[i])) }
        return norm
    }
}

// MARK: - Chunked batches

/// Oracles walk their rows in chunks of this many, so a workspace stays small whatever the batch.
let bilevelChunkRows = 256

extension ModelWorkspace {
    /// Copies the features [b, d] and labels [b] of `rows` of `data` into `batchX` and `batchLabels`.
    func gatherRows(_ rows: ArraySlice<Int>, of data: Dataset) {
        precondition(rows.count <= batchCapacity, "\(rows.count) rows exceed workspace capacity \(batchCapacity)")
        let d = data.dimension
        data.features.withUnsafeBufferPointer { features in
            for (r, source) in rows.enumerated() {
                precondition(data.labels[source] >= 0, "bilevel row \(source) has no label")
                (batchX + r * d).update(from: features.baseAddress! + source * d, count: d)
                batchLabels[r] = data.labels[source]
            }
        }
    }
}
