import FedCore

/// S'MoRE (spec §4, §4.10) on the frozen toy base of `AdapterMLP`: x ∈ R^I → h = relu(W1 x + b1 +
/// adapter1) ∈ R^H → logits = W2 h + b2 + adapter2 ∈ R^C, each adapter a `StructuralMixtureLayer`.
/// The base comes from `baseSeed` alone (`FrozenBase`, the same numbers as `AdapterMLP`'s); only the
/// residual experts and the routers are trained. Loss: softmax cross-entropy plus the switch gates'
/// load-balancing losses. Routing is deterministic (top-f, or every expert for the dense gate), in
/// training and evaluation alike.
///
/// Tensors: `base{1,2}.weight`, `.bias` (frozen); `adapter{1,2}.…` the experts (A, a, B, b per
/// level and expert), the mix weights W_l, c_l and the projection W_proj, c_proj; `router{1,2}.…` the
/// down-projection D, e and each level's gate MLP and keys (shared; a personal-router variant can
/// mark `router*` private).
///
/// Size (I = 32, H = 64, C = 10, trainable scalars, routers included): the spec's s = [4, 4],
/// f = [2, 2], r = [4, 4] gives 8,586 in the trees alone (B_{l,n} maps into all of d_{l+1}, and W_1 is
/// 32 × 16: on these narrow layers that overhead is ~60 % of a rank-32 LoRA, not the paper's 1–6 %),
/// 10,202 with d_g = d_down = 8, far above MixLoRA's 6,208 (8 experts, rank 4, routers included) and
/// LoRA rank 32's 5,536. The defaults therefore take r = [2, 2] (d_L = 16; trees 3,690) with d_g = 8,
/// d_down = 16 (routers 2,656): 6,346 in all, +2.2 % of MixLoRA's.
public struct StructuralMixtureMLP: DifferentiableModel, FrozenBaseNetwork {
    public enum Initialisation: String, Sendable, CaseIterable {
        /// W_proj = 0: each adapter starts at zero and the model at its frozen base.
        case wFinalZero = "w_final_zero"
        /// `ResidualExpertTree.oneLayerEquivalent` (also W_proj = 0).
        case eqOneLayer = "eq_1_layer"
    }

    public struct Settings: Sendable, Equatable {
        /// s_l, experts per level, bottom first.
        public var experts = [4, 4]
        /// f_l, children kept per parent by the switch gate (the dense gate keeps all s_l).
        public var fanout = [2, 2]
        /// r_l, each expert's rank ([2, 2] matches MixLoRA's parameter count; see the type's note).
        public var ranks = [2, 2]
        public var gate: StructuralMixtureLayer.Gate = .switch
        public var initialisation: Initialisation = .wFinalZero
        public var activation: ResidualExpertTree.Activation = .tanh
        /// d_g, the gates' hidden and key width.
        public var gateWidth = 8
        /// d_down, the width of g = D x + e.
        public var downWidth = 16
        /// β of the switch gates' load-balancing loss.
        public var auxiliary = 0.01
        /// Routers (D, gate MLPs, keys) stay on their clients: never sent, never averaged (spec §4.9).
        public var personalRouter = false
        public init() {}
    }

    public let inputDimension: Int
    public let hidden: Int
    public let classCount: Int
    public let settings: Settings
    public let baseSeed: UInt64
    public let layout: ParameterLayout
    public let layers: [StructuralMixtureLayer]

    public init(inputs: Int = 32, hidden: Int = 64, classes: Int = 10, settings: Settings = Settings(), baseSeed: UInt64) {
        inputDimension = inputs
        self.hidden = hidden
        classCount = classes
        self.settings = settings
        self.baseSeed = baseSeed
        let trees = [(inputs, hidden), (hidden, classes)].map { i, o in
            ResidualExpertTree(inputs: i, outputs: o, experts: settings.experts, ranks: settings.ranks, activation: settings.activation)
        }
        var tensors = [(name: String, shape: [Int])]()
        for (l, tree) in trees.enumerated() {
            tensors += [("base\(l + 1).weight", [tree.outputs, tree.inputs]), ("base\(l + 1).bias", [tree.outputs])]
            tensors += StructuralMixtureLayer.adapterTensors(tree, prefix: "adapter\(l + 1)")
            tensors += StructuralMixtureLayer.routerTensors(tree, prefix: "router\(l + 1)", gateWidth: settings.gateWidth,
                                                            downWidth: settings.downWidth)
        }
        let layout = ParameterLayout(tensors).assigningRoles {
            $0.name.hasPrefix("base") ? .frozen : settings.personalRouter && $0.name.hasPrefix("router") ? .private : .shared
        }
        self.layout = layout
        func offset(_ name: String) -> Int {
            guard let entry = layout.entry(named: name) else { preconditionFailure("no tensor \(name) in \(layout.entries.map(\.name))") }
            return entry.offset
        }
        layers = trees.enumerated().map { l, tree in
            let layer = StructuralMixtureLayer(tree: tree, fanout: settings.fanout, gate: settings.gate, gateWidth: settings.gateWidth,
                                               downWidth: settings.downWidth, auxiliary: settings.auxiliary,
                                               weight: offset("base\(l + 1).weight"), bias: offset("base\(l + 1).bias"),
                                               adapter: offset("adapter\(l + 1).level0.expert0.down"), router: offset("router\(l + 1).down"))
            // The layer addresses its blocks by offset arithmetic: check it against the layout's names.
            precondition(layer.adapter + tree.offsets.projectionBias == offset("adapter\(l + 1).projection_bias")
                         && layer.gates.last!.keys == offset("router\(l + 1).gate\(tree.layers - 1).keys"), "S'MoRE layout out of step")
            return layer
        }
    }

    /// The frozen base (same numbers as an `AdapterMLP` with the same seed and widths).
    public func baseParameters() -> [(weight: [Float], bias: [Float])] {
        FrozenBase.parameters(seed: baseSeed, dims: layers.map { ($0.inputs, $0.outputs) })
    }

    /// Base from `baseSeed`; adapters and routers from `rng` (`StructuralMixtureLayer.initialise`).
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var flat = [Float](repeating: 0, count: layout.totalCount)
        for (layer, base) in zip(layers, baseParameters()) {
            flat.replaceSubrange(layer.weight..<(layer.weight + base.weight.count), with: base.weight)
            flat.replaceSubrange(layer.bias..<(layer.bias + base.bias.count), with: base.bias)
        }
        flat.withUnsafeMutableBufferPointer { p in
            for layer in layers { layer.initialise(p.baseAddress!, oneLayerEquivalent: settings.initialisation == .eqOneLayer, rng: &rng) }
        }
        return flat
    }

    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        let workspace = ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: [hidden, hidden, classCount])
        workspace.modelScratch = StructuralMixtureScratch()
        return workspace
    }

    func scratch(_ workspace: ModelWorkspace) -> StructuralMixtureScratch {
        if let made = workspace.modelScratch as? StructuralMixtureScratch { return made }
        let made = StructuralMixtureScratch()
        workspace.modelScratch = made
        return made
    }

    public func forward(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace) -> UnsafePointer<Float> {
        runForward(parameters.baseAddress!, x: x, batch: batch, workspace: workspace, scratch: scratch(workspace))
        return UnsafePointer(workspace.activations[2])
    }

    /// pre [N, H] = layer 1 (x); h = relu(pre); logits [N, C] = layer 2 (h), in the workspace's activations.
    func runForward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace, scratch s: StructuralMixtureScratch) {
        let pre = workspace.activations[0], h = workspace.activations[1], logits = workspace.activations[2]
        layers[0].forward(p, x: x, batch: batch, y: pre, cache: s.layers[0])
        for i in 0..<(batch * hidden) { h[i] = max(pre[i], 0) }
        layers[1].forward(p, x: h, batch: batch, y: logits, cache: s.layers[1])
    }

    /// Mean cross-entropy plus both layers' load-balancing losses; the backward runs the layers in reverse.
    public func lossAndGradient(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace) -> Float {
        let p = parameters.baseAddress!, g = gradient.baseAddress!, s = scratch(workspace)
        let pre = workspace.activations[0], h = workspace.activations[1], logits = workspace.activations[2]
        let dpre = workspace.activationGradients[0], dh = workspace.activationGradients[1], dLogits = workspace.activationGradients[2]
        runForward(p, x: x, batch: batch, workspace: workspace, scratch: s)
        let loss = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, batch: batch, classCount: classCount, dLogits: dLogits)
        dh.update(repeating: 0, count: batch * hidden)
        layers[1].backward(p, x: h, batch: batch, dy: dLogits, gradient: g, dx: dh, cache: s.layers[1])
        for i in 0..<(batch * hidden) { dpre[i] = pre[i] > 0 ? dh[i] : 0 }
        // The input is data: layer 1 needs no dx.
        layers[0].backward(p, x: x, batch: batch, dy: dpre, gradient: g, dx: nil, cache: s.layers[0])
        return loss + Float(s.layers[0].auxiliaryLoss + s.layers[1].auxiliaryLoss)
    }

    /// Per adapted layer, level (bottom first) and expert: how many tree nodes chose the expert over
    /// the batch x [N, I] (diagnostics; a switch gate's level l has N·Π_{l' ≥ l} f_{l'} nodes).
    public func expertUsage(parameters: [Float], x: [Float], batch: Int) -> [[[Int]]] {
        let workspace = makeWorkspace(batchCapacity: batch)
        let s = scratch(workspace)
        parameters.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in runForward(p.baseAddress!, x: xs.baseAddress!, batch: batch, workspace: workspace, scratch: s) }
        }
        return s.layers.map { $0.expertUsage(batch: batch, experts: settings.experts) }
    }
}

/// Buffers of a `StructuralMixtureMLP` step, one per workspace.
final class StructuralMixtureScratch {
    let layers = [StructuralMixtureCache(), StructuralMixtureCache()]
}
