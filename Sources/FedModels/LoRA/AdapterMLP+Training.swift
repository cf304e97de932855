import FedCore

/// Buffers of an `AdapterMLP` step, one per workspace.
final class AdapterScratch {
    let layers: [LoRAScratch]
    var selections: [LoRAMixtureLayer.Selection]
    /// Router logits [N, n] per layer; MixLoRA's routing distributions [N·n] per layer.
    let logits: [UnsafeMutablePointer<Float>]
    var probabilities: [[Double]] = [[], []]
    /// ∂L/∂(slot weight) [N·k] per layer, and a router-logit gradient [N, n].
    var slotGradients: [[Float]]
    var routerGradient: [Float]
    /// ReMix: per selection m, each layer's scores [N·n], the second layer's input [N·H], per-example losses.
    var scores: [[[Float]]] = []
    var layerInputs: [[Float]] = []
    var losses: [[Double]] = []

    init(model: AdapterMLP, capacity: Int) {
        let k = model.routing.active
        layers = model.layers.map { LoRAScratch(capacity: capacity * k, inputs: $0.inputs, outputs: $0.outputs, rank: $0.rank) }
        let empty = LoRAMixtureLayer.Selection(slots: k, experts: [], weights: [])
        selections = [empty, empty]
        logits = (0..<2).map { _ in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity * model.experts, 1))
            buffer.initialize(repeating: 0, count: max(capacity * model.experts, 1))
            return buffer
        }
        slotGradients = [[Float]](repeating: [Float](repeating: 0, count: capacity * k), count: 2)
        routerGradient = [Float](repeating: 0, count: capacity * model.experts)
    }

    deinit { for buffer in logits { buffer.deallocate() } }
}

extension AdapterMLP {
    public func lossAndGradient(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace) -> Float {
        let p = parameters.baseAddress!, g = gradient.baseAddress!, s = scratch(workspace)
        let logits = workspace.activations[2], dLogits = workspace.activationGradients[2]
        switch routing {
        case .single:
            var pick = { (l: Int, input: UnsafePointer<Float>) in self.inferenceSelection(layer: l, p: p, input: input, batch: batch, scratch: s) }
            runForward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, select: &pick)
            let loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, batch: batch, classCount: classCount, dLogits: dLogits)
            runBackward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, gradient: g, routerPath: nil)
            return loss
        case let .learned(k, auxiliary):
            var pick = { (l: Int, input: UnsafePointer<Float>) in self.learnedSelection(layer: l, p: p, input: input, batch: batch, k: k, scratch: s) }
            runForward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, select: &pick)
            let loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, batch: batch, classCount: classCount, dLogits: dLogits)
            let balance = runBackward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, gradient: g, routerPath: auxiliary)
            return loss + Float(balance)
        case let .reinforced(k, m):
            return reinforcedStep(p: p, x: x, labels: labels, batch: batch, k: k, selections: m, gradient: g, workspace: workspace, scratch: s)
        }
    }

    /// dLogits (in the workspace) back through both layers into `gradient`. With `routerPath` (MixLoRA's
    /// β), the routing weights' gradients flow into the routers and the layers' inputs; returns the
    /// load-balancing loss.
    @discardableResult
    func runBackward(p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace, scratch s: AdapterScratch,
                     gradient g: UnsafeMutablePointer<Float>, routerPath: Double?) -> Double {
        let pre = workspace.activations[0], h = workspace.activations[1]
        let dpre = workspace.activationGradients[0], dh = workspace.activationGradients[1], dLogits = workspace.activationGradients[2]
        dh.update(repeating: 0, count: batch * hidden)
        var balance = 0.0
        s.slotGradients[1].withUnsafeMutableBufferPointer { w in
            layers[1].backward(p, x: h, batch: batch, selection: s.selections[1], dy: dLogits, gradient: g,
                               weightGradient: routerPath == nil ? nil : w.baseAddress!, dx: dh, scratch: s.layers[1])
        }
        if let beta = routerPath { balance += learnedRouterBackward(layer: 1, p: p, input: h, batch: batch, beta: beta, scratch: s, gradient: g, dx: dh) }
        for i in 0..<(batch * hidden) { dpre[i] = pre[i] > 0 ? dh[i] : 0 }
        s.slotGradients[0].withUnsafeMutableBufferPointer { w in
            layers[0].backward(p, x: x, batch: batch, selection: s.selections[0], dy: dpre, gradient: g,
                               weightGradient: routerPath == nil ? nil : w.baseAddress!, dx: nil, scratch: s.layers[0])
        }
        if let beta = routerPath { balance += learnedRouterBackward(layer: 0, p: p, input: x, batch: batch, beta: beta, scratch: s, gradient: g, dx: nil) }
        return balance
    }

    /// MixLoRA's router: ∂π_j = (s/S)(g_j − Σ_{i∈T} (π_i/S) g_i) on the top-k, plus β·n·f_j/N from
    /// the load-balancing loss; ∂z = π ⊙ (∂π − ⟨π, ∂π⟩); then ∂P and dx. Returns the balance loss.
    func learnedRouterBackward(layer l: Int, p: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, beta: Double,
                               scratch s: AdapterScratch, gradient g: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?) -> Double {
        let selection = s.selections[l], k = selection.slots, q = s.probabilities[l], n = experts
        var frequency = [Double](repeating: 0, count: n), meanProbability = [Double](repeating: 0, count: n)
        for e in 0..<batch {
            for j in 0..<k { frequency[Int(selection.experts[e * k + j])] += 1 / Double(batch) }
            for i in 0..<n { meanProbability[i] += q[e * n + i] / Double(batch) }
        }
        let balance = beta * Double(n) * zip(frequency, meanProbability).reduce(0) { $0 + $1.0 * $1.1 }
        for e in 0..<batch {
            var dq = (0..<n).map { beta * Double(n) * frequency[$0] / Double(batch) }
            let top = (0..<k).map { Int(selection.experts[e * k + $0]) }
            let mass = top.reduce(0.0) { $0 + q[e * n + $1] }
            let mixed = (0..<k).reduce(0.0) { $0 + q[e * n + top[$1]] / mass * Double(s.slotGradients[l][e * k + $1]) }
            for (j, i) in top.enumerated() { dq[i] += Double(scale) / mass * (Double(s.slotGradients[l][e * k + j]) - mixed) }
            let inner = (0..<n).reduce(0.0) { $0 + q[e * n + $1] * dq[$1] }
            for i in 0..<n { s.routerGradient[e * n + i] = Float(q[e * n + i] * (dq[i] - inner)) }
        }
        s.routerGradient.withUnsafeBufferPointer { dz in
            layers[l].routerBackward(p, x: input, batch: batch, dz: dz.baseAddress!, gradient: g, dx: dx)
        }
        return balance
    }

    /// ReMix: M selections per example, each a forward and backward pass through the drawn LoRAs
    /// (LoRA gradients averaged over the M), then the routers' leave-one-out gradient
    /// (1/(M−1)) Σ_m (L_m − L̄) ∇ log Q(J_m) per example, averaged over the batch.
    func reinforcedStep(p: UnsafePointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, k: Int, selections m: Int,
                        gradient g: UnsafeMutablePointer<Float>, workspace: ModelWorkspace, scratch s: AdapterScratch) -> Float {
        let n = experts, logits = workspace.activations[2], dLogits = workspace.activationGradients[2], h = workspace.activations[1]
        // Buffers sized for the batch, reused across steps (every entry is overwritten below).
        if s.losses.count != m || s.losses.first?.count != batch {
            s.scores = [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: 0, count: batch * n), count: 2), count: m)
            s.layerInputs = [[Float]](repeating: [Float](repeating: 0, count: batch * hidden), count: m)
            s.losses = [[Double]](repeating: [Double](repeating: 0, count: batch), count: m)
        }
        var total = 0.0
        for draw in 0..<m {
            var pick = { (l: Int, input: UnsafePointer<Float>) -> LoRAMixtureLayer.Selection in
                self.layers[l].routerLogits(p, x: input, batch: batch, z: s.logits[l])
                var chosen = [Int32](), weights = [Float]()
                chosen.reserveCapacity(batch * k)
                for e in 0..<batch {
                    let q = SubsetRouting.softmax(s.logits[l] + e * n, count: n)
                    let subset = SubsetRouting.sampleWithoutReplacement(q, k: k, rng: &workspace.stepRandomness)
                    var score = [Double](repeating: 0, count: n)
                    SubsetRouting.addScore(q, ordered: subset, into: &score)
                    for i in 0..<n { s.scores[draw][l][e * n + i] = Float(score[i]) }
                    chosen += subset.map(Int32.init)
                    weights += [Float](repeating: self.scale, count: k)
                }
                return LoRAMixtureLayer.Selection(slots: k, experts: chosen, weights: weights)
            }
            runForward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, select: &pick)
            s.layerInputs[draw].withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: h, count: batch * hidden) }
            for e in 0..<batch {
                let loss = SoftmaxCrossEntropy.rowLossAndGradient(logits + e * classCount, dLogits + e * classCount, classCount: classCount,
                                                                  label: Int(labels[e]), weight: 1 / Float(batch * m))
                s.losses[draw][e] = Double(loss)
                total += Double(loss)
            }
            runBackward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, gradient: g, routerPath: nil)
        }
        for draw in 0..<m {
            for l in 0..<2 {
                for e in 0..<batch {
                    let mean = (0..<m).reduce(0.0) { $0 + s.losses[$1][e] } / Double(m)
                    let weight = Float((s.losses[draw][e] - mean) / Double((m - 1) * batch))
                    for i in 0..<n { s.routerGradient[e * n + i] = weight * s.scores[draw][l][e * n + i] }
                }
                s.routerGradient.withUnsafeBufferPointer { dz in
                    s.layerInputs[draw].withUnsafeBufferPointer { stored in
                        layers[l].routerBackward(p, x: l == 0 ? x : stored.baseAddress!, batch: batch, dz: dz.baseAddress!, gradient: g, dx: nil)
                    }
                }
            }
        }
        return Float(total / Double(batch * m))
    }
}
