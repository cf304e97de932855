import FedCore

/// A multilayer perceptron with ReLU hidden layers and a softmax cross-entropy head.
///
/// With no hidden layers it is multinomial logistic regression. Dimension letters: B batch,
/// d_l the width of layer l (d_0 = inputs, d_L = classes). Parameters, in layout order, are
/// `layer{l}.weight` [d_l, d_{l+1}] and `layer{l}.bias` [d_{l+1}], row-major.
public struct MLP: DifferentiableModel {
    /// Layer widths from input to output.
    public let widths: [Int]
    public let layout: ParameterLayout
    /// Offsets of `layer{l}.weight` and `layer{l}.bias` in the flat buffer (read per step, so kept
    /// as plain integers rather than looked up in the layout).
    let weightOffsets: [Int]
    let biasOffsets: [Int]

    /// - Parameters:
    ///   - inputDimension: d_0.
    ///   - hidden: widths of the hidden layers (empty = logistic regression).
    ///   - classCount: d_L.
    public init(inputDimension: Int, hidden: [Int], classCount: Int) {
        precondition(inputDimension > 0 && classCount > 1 && hidden.allSatisfy { $0 > 0 },
                     "MLP needs positive widths and at least 2 classes")
        widths = [inputDimension] + hidden + [classCount]
        var specs = [(name: String, shape: [Int])]()
        for l in 0..<(widths.count - 1) {
            specs.append(("layer\(l).weight", [widths[l], widths[l + 1]]))
            specs.append(("layer\(l).bias", [widths[l + 1]]))
        }
        let entries = ParameterLayout(specs).entries
        layout = ParameterLayout(specs)
        weightOffsets = stride(from: 0, to: entries.count, by: 2).map { entries[$0].offset }
        biasOffsets = stride(from: 1, to: entries.count, by: 2).map { entries[$0].offset }
    }

    public var inputDimension: Int { widths[0] }
    public var classCount: Int { widths[widths.count - 1] }
    var layerCount: Int { widths.count - 1 }

    /// Glorot-uniform weights (Glorot & Bengio 2010) and zero biases; logistic regression (no hidden
    /// layer) starts from all zeros, its usual convention, since its loss is convex.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        guard layerCount > 1 else { return parameters }
        for l in 0..<layerCount {
            let weight = layout.entries[2 * l]
            let limit = (6.0 / Double(widths[l] + widths[l + 1])).squareRoot()
            for i in 0..<weight.count {
                parameters[weight.offset + i] = Float((rng.nextUnitDouble() * 2 - 1) * limit)
            }
        }
        return parameters
    }

    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: Array(widths.dropFirst()))
    }

    // activations[l] holds layer l's output a_{l+1} [B, d_{l+1}]: post-ReLU for hidden layers, logits last.
    public func forward(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch b: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float> {
        precondition(b > 0 && b <= workspace.batchCapacity, "batch \(b) exceeds workspace capacity \(workspace.batchCapacity)")
        let base = parameters.baseAddress!
        var input = x
        for l in 0..<layerCount {
            let (dIn, dOut) = (widths[l], widths[l + 1])
            let weight = base + weightOffsets[l], bias = base + biasOffsets[l]
            let z = workspace.activations[l]
            for row in 0..<b { (z + row * dOut).update(from: bias, count: dOut) }
            Matmul.gemm(.none, .none, m: b, n: dOut, k: dIn, a: input, b: weight, beta: 1, c: z)
            if l < layerCount - 1 { for i in 0..<(b * dOut) where z[i] < 0 { z[i] = 0 } }
            input = UnsafePointer(z)
        }
        return input
    }

    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let logits = forward(parameters: parameters, x: x, batch: b, workspace: workspace)
        let last = layerCount - 1
        let loss = SoftmaxCrossEntropy.forwardBackward(
            logits: logits, labels: labels, batch: b, classCount: classCount, dLogits: workspace.activationGradients[last])
        let base = parameters.baseAddress!, gradBase = gradient.baseAddress!
        // Backward, last layer first. dZ_l lives in activationGradients[l].
        for l in stride(from: last, through: 0, by: -1) {
            let (dIn, dOut) = (widths[l], widths[l + 1])
            let input = l == 0 ? x : UnsafePointer(workspace.activations[l - 1])
            let dZ = UnsafePointer(workspace.activationGradients[l])
            // dW_l += a_lᵀ · dZ_l   ([dIn, B] · [B, dOut])
            Matmul.gemm(.transposed, .none, m: dIn, n: dOut, k: b, a: input, b: dZ, beta: 1, c: gradBase + weightOffsets[l])
            // db_l += column sums of dZ_l
            let dBias = gradBase + biasOffsets[l]
            for row in 0..<b { for j in 0..<dOut { dBias[j] += dZ[row * dOut + j] } }
            guard l > 0 else { break }
            // dA_l = dZ_l · W_lᵀ, then through the ReLU: dZ_{l-1} = dA_l ⊙ [a_l > 0]
            let dA = workspace.activationGradients[l - 1], a = workspace.activations[l - 1]
            Matmul.gemm(.none, .transposed, m: b, n: dIn, k: dOut, a: dZ, b: base + weightOffsets[l], c: dA)
            for i in 0..<(b * dIn) where a[i] <= 0 { dA[i] = 0 }
        }
        return loss
    }
}
