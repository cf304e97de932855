import FedCore

/// A frozen two-layer base network with a mixture of LoRAs on each layer (spec §3.9): x ∈ R^I →
/// h = relu(W1 x + b1 + adapters) ∈ R^H → logits = W2 h + b2 + adapters ∈ R^C. The base comes from
/// `baseSeed` alone, so every process builds the same one and it never travels; only the adapters
/// (A, B) and routers (P) are trained.
///
/// Routing per layer and example:
/// - `single`: one LoRA, always on, scaled by 2/r (plain LoRA; rank k·r matches a mixture's active rank).
/// - `learned(k, auxiliary)`: MixLoRA (§3.5): π = softmax(P x), the top-k renormalised, scaled by
///   s = 2/r, plus the load-balancing loss β·n·Σ f_e π̄_e (f held constant).
/// - `reinforced(k, selections)`: ReMix (§3.2–3.4): k LoRAs drawn without replacement from q =
///   softmax(P x) in training, each weighted by the constant ω = 2/(k·r); the router learns only
///   through the leave-one-out estimator over M selections; inference takes the top-k of q.
public struct AdapterMLP: DifferentiableModel, FrozenBaseNetwork {
    public enum Routing: Sendable, Equatable {
        case single
        case learned(topK: Int, auxiliary: Double)
        case reinforced(topK: Int, selections: Int)

        public var active: Int {
            switch self {
            case .single: return 1
            case let .learned(k, _), let .reinforced(k, _): return k
            }
        }
    }

    public let inputDimension: Int
    public let hidden: Int
    public let classCount: Int
    public let experts: Int
    public let rank: Int
    public let routing: Routing
    public let baseSeed: UInt64
    public let layout: ParameterLayout
    let layers: [LoRAMixtureLayer]

    /// ReMix only: evaluation draws k LoRAs from q as in training instead of taking the top-k (spec
    /// §3.4's comparison). The draws restart from a fixed stream at every forward call, so an
    /// evaluation depends on its batch alone, not on what the workspace evaluated before.
    public let sampledInference: Bool

    /// `personalRouter` marks the routers private: each client keeps its own (spec §3.9's federated arm).
    public init(inputs: Int = 32, hidden: Int = 64, classes: Int = 10, experts: Int, rank: Int, routing: Routing, baseSeed: UInt64,
                personalRouter: Bool = false, sampledInference: Bool = false) {
        precondition(routing == .single ? experts == 1 : routing.active <= experts, "routing needs k ≤ n (and one expert for a plain LoRA)")
        if case let .reinforced(_, m) = routing { precondition(m >= 2, "ReMix needs M ≥ 2 selections") }
        inputDimension = inputs
        self.hidden = hidden
        classCount = classes
        self.experts = experts
        self.rank = rank
        self.routing = routing
        self.baseSeed = baseSeed
        self.sampledInference = sampledInference
        var tensors = [(name: String, shape: [Int])]()
        for (l, (i, o)) in [(inputs, hidden), (hidden, classes)].enumerated() {
            tensors += [("base\(l + 1).weight", [o, i]), ("base\(l + 1).bias", [o]), ("adapter\(l + 1).down", [experts, rank, i]),
                        ("adapter\(l + 1).up", [experts, o, rank]), ("router\(l + 1)", [experts, i])]
        }
        layout = ParameterLayout(tensors).assigningRoles {
            $0.name.hasPrefix("base") ? .frozen : personalRouter && $0.name.hasPrefix("router") ? .private : .shared
        }
        let offsets = Dictionary(uniqueKeysWithValues: layout.entries.map { ($0.name, $0.offset) })
        layers = [(inputs, hidden), (hidden, classes)].enumerated().map { l, dims in
            LoRAMixtureLayer(inputs: dims.0, outputs: dims.1, experts: experts, rank: rank, weight: offsets["base\(l + 1).weight"]!,
                             bias: offsets["base\(l + 1).bias"]!, down: offsets["adapter\(l + 1).down"]!, up: offsets["adapter\(l + 1).up"]!,
                             router: offsets["router\(l + 1)"]!)
        }
    }

    /// The adapters' scale: s = 2/r for plain LoRA and MixLoRA, ω = 2/(k·r) for ReMix.
    public var scale: Float {
        if case let .reinforced(k, _) = routing { return 2 / Float(k * rank) }
        return 2 / Float(rank)
    }

    public var drawsInSteps: Bool { if case .reinforced = routing { return true } else { return false } }

    /// The frozen base: Kaiming-normal weights and zero biases from `baseSeed` (the teacher uses the same).
    public func baseParameters() -> [(weight: [Float], bias: [Float])] {
        FrozenBase.parameters(seed: baseSeed, dims: layers.map { ($0.inputs, $0.outputs) })
    }

    /// Base from `baseSeed`; A Kaiming-uniform, B zero (the adapters start at 0), P ~ N(0, 0.02²) from `rng`.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var flat = [Float](repeating: 0, count: layout.totalCount)
        for (layer, base) in zip(layers, baseParameters()) {
            flat.replaceSubrange(layer.weight..<(layer.weight + base.weight.count), with: base.weight)
            let bound = (6 / Double(layer.inputs)).squareRoot() / 2
            for i in 0..<(experts * rank * layer.inputs) { flat[layer.down + i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
            for i in 0..<(experts * layer.inputs) { flat[layer.router + i] = Float(rng.nextGaussian() * 0.02) }
        }
        return flat
    }

    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        let workspace = ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: [hidden, hidden, classCount])
        workspace.modelScratch = AdapterScratch(model: self, capacity: batchCapacity)
        return workspace
    }

    func scratch(_ workspace: ModelWorkspace) -> AdapterScratch {
        if let made = workspace.modelScratch as? AdapterScratch { return made }
        let made = AdapterScratch(model: self, capacity: workspace.batchCapacity)
        workspace.modelScratch = made
        return made
    }

    public func forward(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace) -> UnsafePointer<Float> {
        let p = parameters.baseAddress!, s = scratch(workspace)
        var pick = { (layer: Int, input: UnsafePointer<Float>) -> LoRAMixtureLayer.Selection in
            self.inferenceSelection(layer: layer, p: p, input: input, batch: batch, scratch: s)
        }
        runForward(p: p, x: x, batch: batch, workspace: workspace, scratch: s, select: &pick)
        return UnsafePointer(workspace.activations[2])
    }

    /// Both layers forward; `select` routes a layer given its input.
    func runForward(p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace, scratch s: AdapterScratch,
                    select: inout (Int, UnsafePointer<Float>) -> LoRAMixtureLayer.Selection) {
        let pre = workspace.activations[0], h = workspace.activations[1], logits = workspace.activations[2]
        s.selections[0] = select(0, x)
        layers[0].forward(p, x: x, batch: batch, selection: s.selections[0], y: pre, scratch: s.layers[0])
        for i in 0..<(batch * hidden) { h[i] = max(pre[i], 0) }
        s.selections[1] = select(1, UnsafePointer(h))
        layers[1].forward(p, x: h, batch: batch, selection: s.selections[1], y: logits, scratch: s.layers[1])
    }

    /// Top-k routing for evaluation (every routing is deterministic at inference).
    func inferenceSelection(layer l: Int, p: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, scratch s: AdapterScratch) -> LoRAMixtureLayer.Selection {
        switch routing {
        case .single:
            return LoRAMixtureLayer.Selection(slots: 1, experts: [Int32](repeating: 0, count: batch), weights: [Float](repeating: scale, count: batch))
        case let .learned(k, _):
            return learnedSelection(layer: l, p: p, input: input, batch: batch, k: k, scratch: s)
        case let .reinforced(k, _):
            layers[l].routerLogits(p, x: input, batch: batch, z: s.logits[l])
            var chosen = [Int32](), weights = [Float]()
            var draws = RNGStream(seed: baseSeed, purpose: .evaluation, client: UInt64(l))
            for e in 0..<batch {
                let q = SubsetRouting.softmax(s.logits[l] + e * experts, count: experts)
                chosen += (sampledInference ? SubsetRouting.sampleWithoutReplacement(q, k: k, rng: &draws) : SubsetRouting.topK(q, k: k)).map(Int32.init)
                weights += [Float](repeating: scale, count: k)
            }
            return LoRAMixtureLayer.Selection(slots: k, experts: chosen, weights: weights)
        }
    }

    /// MixLoRA: top-k of π = softmax(P x), weights s·π_i/S; keeps π for the backward pass.
    func learnedSelection(layer l: Int, p: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, k: Int,
                          scratch s: AdapterScratch) -> LoRAMixtureLayer.Selection {
        layers[l].routerLogits(p, x: input, batch: batch, z: s.logits[l])
        var chosen = [Int32](), weights = [Float]()
        chosen.reserveCapacity(batch * k)
        s.probabilities[l].removeAll(keepingCapacity: true)
        for e in 0..<batch {
            let q = SubsetRouting.softmax(s.logits[l] + e * experts, count: experts)
            let top = SubsetRouting.topK(q, k: k)
            let mass = top.reduce(0.0) { $0 + q[$1] }
            chosen += top.map(Int32.init)
            weights += top.map { Float(Double(scale) * q[$0] / mass) }
            s.probabilities[l] += q
        }
        return LoRAMixtureLayer.Selection(slots: k, experts: chosen, weights: weights)
    }
}

extension AdapterMLP {
    /// The experts each example uses at inference, per layer ([N·k] each): top-k of the router's
    /// distribution (diagnostics, and tests that must stay away from top-k ties).
    public func routedExperts(parameters: [Float], x: [Float], batch: Int) -> [[Int32]] {
        let workspace = makeWorkspace(batchCapacity: batch)
        let s = scratch(workspace)
        parameters.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in _ = forward(parameters: p, x: xs.baseAddress!, batch: batch, workspace: workspace) }
        }
        return s.selections.map(\.experts)
    }
}
