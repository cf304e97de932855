import FedCore

/// Forward and backward passes of `GraphConvNet`, side by side (see the type for the notation).
///
/// Backward, with Â symmetric (Âᵀ = Â) and G_X the gradient of the loss with respect to X:
/// ```
/// G_Z = (P − Y) ⊙ M_L / |L|                         rows of non-loss nodes are zero
/// dWc = D(H)ᵀ G_Z ;  dbc = 1ᵀ G_Z ;  G_H = (G_Z Wcᵀ) ⊙ mask      (head)
/// G_U = G_H ⊙ act'(U) ;  S = Â G_U ;  db = 1ᵀ G_U ;  dW = D(H_in)ᵀ S ;  G_Hin = (S Wᵀ) ⊙ mask_in
/// ```
/// plus wd·W for every decayed weight. The first convolution's input is the sparse feature matrix,
/// so dW_0 = D(X)ᵀ S is a scatter over its stored entries in row order (a fixed order).
extension GraphConvNet {
    /// Computes the logits [n, C] into `workspace.logits`. With `dropout` (training) every layer's
    /// input is dropped with the settings' probability, masks drawn from `dropout` in a fixed order.
    public func forward(parameters: UnsafeBufferPointer<Float>, inputs: GraphInputs, workspace: GraphConvWorkspace,
                        dropout: inout RNGStream?) {
        let n = inputs.nodeCount
        precondition(workspace.nodeCount == n && workspace.droppedFeatures.count == inputs.features.nonZeroCount,
                     "workspace made for another graph")
        let p = dropout == nil ? 0 : settings.dropout
        let keepScale = 1 / (1 - p)
        let base = parameters.baseAddress!
        // Convolution 0 reads the sparse features, dropped entry by entry.
        inputs.features.values.withUnsafeBufferPointer { values in
            workspace.droppedFeatures.withUnsafeMutableBufferPointer { dropped in
                // The stream is unwrapped once and written back, not per element.
                guard p > 0, var stream = dropout else {
                    for i in values.indices { dropped[i] = values[i] * keepScale }
                    return
                }
                for i in values.indices { dropped[i] = stream.nextUnitDouble() < Double(p) ? 0 : values[i] * keepScale }
                dropout = stream
            }
        }
        let droppedX = inputs.features.replacingValues(workspace.droppedFeatures)
        for l in settings.widths.indices {
            let width = settings.widths[l]
            let offsets = convolutionOffsets[l]
            if l == 0 {
                workspace.products[0].withUnsafeMutableBufferPointer {
                    droppedX.multiply(base + offsets.weight, width: width, into: $0.baseAddress!)
                }
            } else {
                let inWidth = inputWidth(of: l)
                Self.drop(workspace.outputs[l - 1], into: &workspace.droppedInputs[l], mask: &workspace.inputMasks[l], p: p,
                          rng: &dropout)
                workspace.droppedInputs[l].withUnsafeBufferPointer { input in
                    workspace.products[l].withUnsafeMutableBufferPointer { product in
                        Matmul.gemm(.none, .none, m: n, n: width, k: inWidth, a: input.baseAddress!, b: base + offsets.weight,
                                    c: product.baseAddress!)
                    }
                }
            }
            workspace.products[l].withUnsafeBufferPointer { product in
                workspace.preActivations[l].withUnsafeMutableBufferPointer { u in
                    inputs.adjacency.multiply(product.baseAddress!, width: width, into: u.baseAddress!)
                    if let bias = offsets.bias {
                        for v in 0..<n { for k in 0..<width { u[v * width + k] += base[bias + k] } }
                    }
                }
            }
            let activated = isActivated(l), activation = settings.activation
            workspace.preActivations[l].withUnsafeBufferPointer { u in
                workspace.outputs[l].withUnsafeMutableBufferPointer { h in
                    for i in 0..<(n * width) { h[i] = activated ? activation.apply(u[i]) : u[i] }
                }
            }
        }
        let last = settings.widths.count - 1
        guard let head = headOffsets else {
            Self.copy(workspace.outputs[last], into: &workspace.logits)
            return
        }
        let width = settings.widths[last]
        Self.drop(workspace.outputs[last], into: &workspace.headInput, mask: &workspace.headMask, p: p, rng: &dropout)
        workspace.headInput.withUnsafeBufferPointer { input in
            workspace.logits.withUnsafeMutableBufferPointer { z in
                Matmul.gemm(.none, .none, m: n, n: classCount, k: width, a: input.baseAddress!, b: base + head.weight, c: z.baseAddress!)
                for v in 0..<n { for c in 0..<classCount { z[v * classCount + c] += base[head.bias + c] } }
            }
        }
    }

    /// Inverted dropout of `source` into `target`, recording each element's scale (0 or 1/(1−p)).
    static func drop(_ source: [Float], into target: inout [Float], mask: inout [Float], p: Float, rng: inout RNGStream?) {
        guard p > 0 else {
            copy(source, into: &target)
            mask.withUnsafeMutableBufferPointer { m in for i in m.indices { m[i] = 1 } }
            return
        }
        let keepScale = 1 / (1 - p)
        guard var stream = rng else { preconditionFailure("dropout with p > 0 needs a stream") }
        source.withUnsafeBufferPointer { x in
            target.withUnsafeMutableBufferPointer { y in
                mask.withUnsafeMutableBufferPointer { m in
                    for i in x.indices {
                        let scale: Float = stream.nextUnitDouble() < Double(p) ? 0 : keepScale
                        m[i] = scale
                        y[i] = x[i] * scale
                    }
                }
            }
        }
        rng = stream
    }

    /// Copies into an existing buffer of the same size (assignment would share storage, and the next
    /// write would then allocate a fresh copy every step).
    static func copy(_ source: [Float], into target: inout [Float]) {
        precondition(source.count == target.count, "copy of \(source.count) values into \(target.count)")
        source.withUnsafeBufferPointer { x in target.withUnsafeMutableBufferPointer { y in y.baseAddress!.update(from: x.baseAddress!, count: x.count) } }
    }

    /// Mean cross-entropy over `lossNodes` plus the weight decay; adds the gradient into `gradient`.
    ///
    /// - Parameter dropout: the step's random stream (nil: no dropout, as in evaluation).
    public func lossAndGradient(parameters: UnsafeBufferPointer<Float>, inputs: GraphInputs, lossNodes: [Int],
                                gradient: UnsafeMutableBufferPointer<Float>, workspace: GraphConvWorkspace,
                                dropout: inout RNGStream?) -> Float {
        precondition(!lossNodes.isEmpty, "no loss nodes")
        forward(parameters: parameters, inputs: inputs, workspace: workspace, dropout: &dropout)
        let n = inputs.nodeCount, c = classCount
        let base = parameters.baseAddress!, grad = gradient.baseAddress!
        // G_Z: softmax minus one-hot on the loss nodes, scaled by 1/|L|; zero elsewhere.
        var loss: Float = 0
        let weight = 1 / Float(lossNodes.count)
        workspace.gradientOutput.withUnsafeMutableBufferPointer { g in
            for i in 0..<(n * c) { g[i] = 0 }
            workspace.logits.withUnsafeBufferPointer { z in
                for v in lossNodes {
                    let label = Int(inputs.labels[v])
                    precondition(label >= 0 && label < c, "loss node \(v) has no valid label (\(label))")
                    loss += SoftmaxCrossEntropy.rowLossAndGradient(z.baseAddress! + v * c, g.baseAddress! + v * c, classCount: c,
                                                                   label: label, weight: weight)
                }
            }
        }
        loss *= weight
        var outputWidth = c
        if let head = headOffsets {
            let width = settings.widths[settings.widths.count - 1]
            workspace.headInput.withUnsafeBufferPointer { input in
                workspace.gradientOutput.withUnsafeBufferPointer { gz in
                    Matmul.gemm(.transposed, .none, m: width, n: c, k: n, a: input.baseAddress!, b: gz.baseAddress!, beta: 1,
                                c: grad + head.weight)
                    for v in 0..<n { for k in 0..<c { grad[head.bias + k] += gz[v * c + k] } }
                    workspace.gradientInput.withUnsafeMutableBufferPointer { gh in
                        Matmul.gemm(.none, .transposed, m: n, n: width, k: c, a: gz.baseAddress!, b: base + head.weight,
                                    c: gh.baseAddress!)
                        workspace.headMask.withUnsafeBufferPointer { m in for i in 0..<(n * width) { gh[i] *= m[i] } }
                    }
                }
            }
            swap(&workspace.gradientOutput, &workspace.gradientInput)
            outputWidth = width
        }
        for l in settings.widths.indices.reversed() {
            let width = settings.widths[l]
            precondition(width == outputWidth, "layer \(l) width \(width) vs gradient width \(outputWidth)")
            let offsets = convolutionOffsets[l]
            if isActivated(l) {
                let activation = settings.activation
                workspace.preActivations[l].withUnsafeBufferPointer { u in
                    workspace.gradientOutput.withUnsafeMutableBufferPointer { g in
                        for i in 0..<(n * width) { g[i] *= activation.derivative(u[i]) }
                    }
                }
            }
            workspace.gradientOutput.withUnsafeBufferPointer { gu in
                workspace.gradientPropagated.withUnsafeMutableBufferPointer { s in
                    inputs.adjacency.multiply(gu.baseAddress!, width: width, into: s.baseAddress!)
                }
                if let bias = offsets.bias { for v in 0..<n { for k in 0..<width { grad[bias + k] += gu[v * width + k] } } }
            }
            if l == 0 {
                // dW_0 += D(X)ᵀ S, scattered row by row over the stored features.
                let features = inputs.features
                workspace.gradientPropagated.withUnsafeBufferPointer { s in
                  workspace.droppedFeatures.withUnsafeBufferPointer { dropped in
                    for row in 0..<n {
                        for position in features.rowStarts[row]..<features.rowStarts[row + 1] {
                            let value = dropped[position]
                            guard value != 0 else { continue }
                            let target = grad + offsets.weight + Int(features.columns[position]) * width
                            for k in 0..<width { target[k] += value * s[row * width + k] }
                        }
                    }
                  }
                }
            } else {
                let inWidth = inputWidth(of: l)
                workspace.droppedInputs[l].withUnsafeBufferPointer { input in
                    workspace.gradientPropagated.withUnsafeBufferPointer { s in
                        Matmul.gemm(.transposed, .none, m: inWidth, n: width, k: n, a: input.baseAddress!, b: s.baseAddress!, beta: 1,
                                    c: grad + offsets.weight)
                        workspace.gradientInput.withUnsafeMutableBufferPointer { gh in
                            Matmul.gemm(.none, .transposed, m: n, n: inWidth, k: width, a: s.baseAddress!, b: base + offsets.weight,
                                        c: gh.baseAddress!)
                            workspace.inputMasks[l].withUnsafeBufferPointer { m in for i in 0..<(n * inWidth) { gh[i] *= m[i] } }
                        }
                    }
                }
                swap(&workspace.gradientOutput, &workspace.gradientInput)
                outputWidth = inWidth
            }
        }
        loss += addWeightDecay(parameters: base, gradient: grad)
        return loss
    }

    /// Adds wd·W into the gradient of every decayed weight; returns (wd/2)·Σ‖W‖².
    func addWeightDecay(parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        let wd = settings.weightDecay
        guard wd > 0 else { return 0 }
        var penalty: Double = 0
        for entry in layout.entries where entry.name.hasSuffix(".weight") {
            if settings.decayFirstLayerOnly && entry.name != "conv0.weight" { continue }
            for i in entry.offset..<(entry.offset + entry.count) {
                penalty += Double(parameters[i]) * Double(parameters[i])
                gradient[i] += wd * parameters[i]
            }
        }
        return Float(0.5 * Double(wd) * penalty)
    }

    /// Cross-entropy (without weight decay) and accuracy on `nodes`, without dropout.
    public func evaluate(parameters: [Float], inputs: GraphInputs, nodes: [Int], workspace: GraphConvWorkspace)
        -> (loss: Double, accuracy: Double, correct: Int) {
        evaluate(parameters: parameters, inputs: inputs, nodeSets: [nodes], workspace: workspace)[0]
    }

    /// The same for several node sets from one forward pass (validation and test nodes, say).
    public func evaluate(parameters: [Float], inputs: GraphInputs, nodeSets: [[Int]], workspace: GraphConvWorkspace)
        -> [(loss: Double, accuracy: Double, correct: Int)] {
        var none: RNGStream? = nil
        parameters.withUnsafeBufferPointer { forward(parameters: $0, inputs: inputs, workspace: workspace, dropout: &none) }
        return nodeSets.map { scoreLogits(inputs: inputs, nodes: $0, workspace: workspace) }
    }

    /// Loss and accuracy of the logits in the workspace on `nodes` (unlabelled nodes are skipped).
    func scoreLogits(inputs: GraphInputs, nodes: [Int], workspace: GraphConvWorkspace) -> (loss: Double, accuracy: Double, correct: Int) {
        var lossSum = 0.0, correct = 0, counted = 0
        workspace.logits.withUnsafeBufferPointer { z in
            for v in nodes where inputs.labels[v] >= 0 {
                let (rowLoss, argmax) = SoftmaxCrossEntropy.lossAndArgmax(z.baseAddress! + v * classCount, classCount: classCount,
                                                                          label: Int(inputs.labels[v]))
                lossSum += Double(rowLoss)
                if argmax == Int(inputs.labels[v]) { correct += 1 }
                counted += 1
            }
        }
        guard counted > 0 else { return (.nan, .nan, 0) }
        return (lossSum / Double(counted), Double(correct) / Double(counted), correct)
    }
}

extension GraphConvNet {
    /// The node embeddings E [n, w_{L−1}] (the last convolution's output, dropout off): what the
    /// head of a separated network reads.
    public func embeddings(parameters: [Float], inputs: GraphInputs, workspace: GraphConvWorkspace) -> [Float] {
        var none: RNGStream? = nil
        parameters.withUnsafeBufferPointer { forward(parameters: $0, inputs: inputs, workspace: workspace, dropout: &none) }
        return workspace.outputs[settings.widths.count - 1]
    }
}
