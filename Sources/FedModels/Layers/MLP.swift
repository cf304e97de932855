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
    let stack: DenseStack

    /// - Parameters:
    ///   - inputDimension: d_0.
    ///   - hidden: widths of the hidden layers (empty = logistic regression).
    ///   - classCount: d_L.
    public init(inputDimension: Int, hidden: [Int], classCount: Int) {
        precondition(inputDimension > 0 && classCount > 1 && hidden.allSatisfy { $0 > 0 },
                     "MLP needs positive widths and at least 2 classes")
        widths = [inputDimension] + hidden + [classCount]
        let layout = ParameterLayout(DenseStack.specs(prefix: "", widths: widths))
        self.layout = layout
        stack = DenseStack(prefix: "", widths: widths, layout: layout, reluAfterLast: false)
    }

    public var inputDimension: Int { widths[0] }
    public var classCount: Int { widths[widths.count - 1] }

    /// Glorot-uniform weights (Glorot & Bengio 2010) and zero biases; logistic regression (no hidden
    /// layer) starts from all zeros, its usual convention, since its loss is convex.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        if stack.layerCount > 1 { stack.initialize(&parameters, rng: &rng) }
        return parameters
    }

    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: Array(widths.dropFirst()))
    }

    public func forward(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch b: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float> {
        precondition(b > 0 && b <= workspace.batchCapacity, "batch \(b) exceeds workspace capacity \(workspace.batchCapacity)")
        return stack.forward(base: parameters.baseAddress!, x: x, batch: b, activations: workspace.activations[...])
    }

    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let logits = forward(parameters: parameters, x: x, batch: b, workspace: workspace)
        let loss = SoftmaxCrossEntropy.forwardBackward(
            logits: logits, labels: labels, batch: b, classCount: classCount,
            dLogits: workspace.activationGradients[stack.layerCount - 1])
        stack.backward(base: parameters.baseAddress!, gradient: gradient.baseAddress!, x: x, batch: b,
                       activations: workspace.activations[...], activationGradients: workspace.activationGradients[...])
        return loss
    }
}
