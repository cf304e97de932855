import FedCore

/// A chain of dense layers over a slice of a model's flat parameter buffer: ReLU between layers,
/// and optionally after the last one. The building block of the MLP and of multi-head models.
///
/// Dimension letters: B batch, d_l the width of layer l. Layer l's parameters are
/// `{prefix}layer{l}.weight` [d_l, d_{l+1}] and `{prefix}layer{l}.bias` [d_{l+1}], row-major.
/// Buffers: `activations[l]` holds layer l's output [B, d_{l+1}] (after its activation) and
/// `activationGradients[l]` the gradient with respect to it.
struct DenseStack: Sendable {
    let widths: [Int]
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    let reluAfterLast: Bool

    var layerCount: Int { widths.count - 1 }
    var outputWidth: Int { widths[widths.count - 1] }

    /// The parameter specs of a stack, in layout order.
    static func specs(prefix: String, widths: [Int]) -> [(name: String, shape: [Int])] {
        var specs = [(name: String, shape: [Int])]()
        for l in 0..<(widths.count - 1) {
            specs.append((name: "\(prefix)layer\(l).weight", shape: [widths[l], widths[l + 1]]))
            specs.append((name: "\(prefix)layer\(l).bias", shape: [widths[l + 1]]))
        }
        return specs
    }

    /// The layout of a two-player model: the min player's tensors first, then the max player's, and
    /// the scalar range each player owns in the flat buffer.
    static func twoPlayerLayout(
        min minSpecs: [(name: String, shape: [Int])], max maxSpecs: [(name: String, shape: [Int])]
    ) -> (layout: ParameterLayout, minPlayer: Range<Int>, maxPlayer: Range<Int>) {
        let layout = ParameterLayout(minSpecs + maxSpecs)
        let minCount = minSpecs.reduce(0) { $0 + $1.shape.reduce(1, *) }
        return (layout, 0..<minCount, minCount..<layout.totalCount)
    }

    /// The stack whose tensors were laid out by `specs(prefix:widths:)` inside `layout`.
    init(prefix: String, widths: [Int], layout: ParameterLayout, reluAfterLast: Bool) {
        self.widths = widths
        self.reluAfterLast = reluAfterLast
        let offset = { (name: String) -> Int in
            guard let entry = layout.entry(named: name) else { preconditionFailure("layout lacks \(name)") }
            return entry.offset
        }
        weightOffsets = (0..<(widths.count - 1)).map { offset("\(prefix)layer\($0).weight") }
        biasOffsets = (0..<(widths.count - 1)).map { offset("\(prefix)layer\($0).bias") }
    }

    /// Glorot-uniform weights (biases stay as they are, zero in a fresh buffer).
    func initialize(_ parameters: inout [Float], rng: inout RNGStream) {
        for l in 0..<layerCount {
            let limit = (6.0 / Double(widths[l] + widths[l + 1])).squareRoot()
            for i in 0..<(widths[l] * widths[l + 1]) {
                parameters[weightOffsets[l] + i] = Float((rng.nextUnitDouble() * 2 - 1) * limit)
            }
        }
    }

    /// Runs the stack on `x` [B, d_0]; returns its output (the last activation buffer).
    func forward(
        base: UnsafePointer<Float>, x: UnsafePointer<Float>, batch b: Int, activations: ArraySlice<UnsafeMutablePointer<Float>>
    ) -> UnsafePointer<Float> {
        var input = x
        for l in 0..<layerCount {
            let (dIn, dOut) = (widths[l], widths[l + 1])
            let z = activations[activations.startIndex + l]
            for row in 0..<b { (z + row * dOut).update(from: base + biasOffsets[l], count: dOut) }
            Matmul.gemm(.none, .none, m: b, n: dOut, k: dIn, a: input, b: base + weightOffsets[l], beta: 1, c: z)
            if l < layerCount - 1 || reluAfterLast { for i in 0..<(b * dOut) where z[i] < 0 { z[i] = 0 } }
            input = UnsafePointer(z)
        }
        return input
    }

    /// Backward pass, last layer first. On entry the last gradient buffer holds d(loss)/d(output);
    /// parameter gradients are added into `gradient`; `dInput` [B, d_0], if given, is overwritten
    /// with d(loss)/d(x).
    func backward(
        base: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, batch b: Int,
        activations: ArraySlice<UnsafeMutablePointer<Float>>, activationGradients: ArraySlice<UnsafeMutablePointer<Float>>,
        dInput: UnsafeMutablePointer<Float>? = nil
    ) {
        let first = activations.startIndex, firstGradient = activationGradients.startIndex
        if reluAfterLast {
            let a = activations[first + layerCount - 1], dA = activationGradients[firstGradient + layerCount - 1]
            for i in 0..<(b * outputWidth) where a[i] <= 0 { dA[i] = 0 }
        }
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let (dIn, dOut) = (widths[l], widths[l + 1])
            let input = l == 0 ? x : UnsafePointer(activations[first + l - 1])
            let dZ = UnsafePointer(activationGradients[firstGradient + l])
            // dW_l += a_lᵀ · dZ_l   ([dIn, B] · [B, dOut]);  db_l += column sums of dZ_l
            Matmul.gemm(.transposed, .none, m: dIn, n: dOut, k: b, a: input, b: dZ, beta: 1, c: gradient + weightOffsets[l])
            let dBias = gradient + biasOffsets[l]
            for row in 0..<b { for j in 0..<dOut { dBias[j] += dZ[row * dOut + j] } }
            // dA_l = dZ_l · W_lᵀ, then through the ReLU below: dZ_{l-1} = dA_l ⊙ [a_l > 0]
            if l > 0 {
                let dA = activationGradients[firstGradient + l - 1], a = activations[first + l - 1]
                Matmul.gemm(.none, .transposed, m: b, n: dIn, k: dOut, a: dZ, b: base + weightOffsets[l], c: dA)
                for i in 0..<(b * dIn) where a[i] <= 0 { dA[i] = 0 }
            } else if let dInput {
                Matmul.gemm(.none, .transposed, m: b, n: dIn, k: dOut, a: dZ, b: base + weightOffsets[l], c: dInput)
            }
        }
    }
}
