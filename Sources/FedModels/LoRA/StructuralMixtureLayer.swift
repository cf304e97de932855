import FedCore

/// S'MoRE (Zeng et al., arXiv 2504.06426; spec §4.2–4.4) on one adapted linear layer of a frozen base:
/// y = W x + b (frozen) + W_proj x_L + c_proj, where x_L aggregates, bottom-up, a tree of residual
/// experts that the gates route top-down for each example.
///
/// Routing of one example: g = D x + e; the gate of the top level L−1 picks f_{L−1} experts from g;
/// for every chosen node τ at level l+1 the gate of level l picks f_l children from
/// u = [g ; K_{L−1}[e(anc)] ; … ; K_{l+1}[e(τ)]] (the chosen ancestors' keys, top-down). One gate per
/// level, shared by all its parents:
/// - `switch`: p = softmax(MLP_l(u) K_lᵀ), the top-f_l renormalised into α, plus the load-balancing loss
///   β·s_l·Σ_e frac_e·mean_p_e, frac over every routing slot of level l in the batch (held constant,
///   as in MixLoRA), mean_p over every call of that gate in the batch.
/// - `dense`: all s_l children with α = p and no auxiliary loss; that is the switch gate keeping
///   every expert (S = 1), so both share `SwitchGate`.
///
/// Backward (spec §4.4): the tree's backward gives ∂α per node and its share of dx; each gate's
/// backward (with the balance loss's ∂p) gives ∂u, whose first d_down values go to g (then D, e and
/// dx through one BLAS call for the batch) and whose key blocks go to the ancestors' keys. W and b get
/// no gradient; dx gets Wᵀ dy from one BLAS call.
///
/// Letters: N batch, d inputs, O outputs, L levels, s_l experts, f_l fan-out, d_g gate width, d_down
/// down-projection width. Offsets are into the model's flat buffer: W [O, d], b [O]; the tree's block
/// at `adapter` (`ResidualExpertTree.offsets`); D [d_down, d], e [d_down]; gate l at `gates[l].offset`.
public struct StructuralMixtureLayer: Sendable, Equatable {
    public enum Gate: String, Sendable, CaseIterable { case `switch`, dense }

    public let tree: ResidualExpertTree
    public let fanout: [Int]
    public let gate: Gate
    public let gateWidth: Int
    public let downWidth: Int
    /// β of the switch gate's load-balancing loss.
    public let auxiliary: Double
    public let weight: Int, bias: Int, adapter: Int, down: Int, downBias: Int
    /// One gate per level, bottom (0) to top (L−1).
    public let gates: [SwitchGate]

    public var inputs: Int { tree.inputs }
    public var outputs: Int { tree.outputs }
    public var levels: Int { tree.layers }

    /// Offsets `adapter` (the tree's block) and `router` (D, e, then the gates bottom-up) come from the
    /// model's layout, which lists the tensors of `adapterTensors` and `routerTensors` in order.
    public init(tree: ResidualExpertTree, fanout: [Int], gate: Gate, gateWidth: Int, downWidth: Int, auxiliary: Double,
                weight: Int, bias: Int, adapter: Int, router: Int) {
        precondition(fanout.count == tree.layers && zip(fanout, tree.experts).allSatisfy { $0 >= 1 && $0 <= $1 },
                     "one fan-out 1…s_l per level: \(fanout) for \(tree.experts)")
        self.tree = tree
        self.fanout = fanout
        self.gate = gate
        self.gateWidth = gateWidth
        self.downWidth = downWidth
        self.auxiliary = auxiliary
        self.weight = weight
        self.bias = bias
        self.adapter = adapter
        down = router
        downBias = router + downWidth * tree.inputs
        var next = downBias + downWidth, gates = [SwitchGate]()
        for l in 0..<tree.layers {
            let made = SwitchGate(inputs: Self.gateInputs(level: l, levels: tree.layers, downWidth: downWidth, gateWidth: gateWidth),
                                  width: gateWidth, experts: tree.experts[l], kept: gate == .dense ? tree.experts[l] : fanout[l], offset: next)
            gates.append(made)
            next += made.count
        }
        self.gates = gates
    }

    /// d_in,l = d_down + (L−1−l)·d_g: the token plus one key per chosen ancestor.
    static func gateInputs(level l: Int, levels: Int, downWidth: Int, gateWidth: Int) -> Int { downWidth + (levels - 1 - l) * gateWidth }

    // MARK: - Tensors

    /// The tree's tensors in `ResidualExpertTree.offsets` order, named `<prefix>.level<l>.expert<n>.down` …
    public static func adapterTensors(_ tree: ResidualExpertTree, prefix: String) -> [(name: String, shape: [Int])] {
        let d = tree.widths
        var tensors = [(name: String, shape: [Int])]()
        for l in 0..<tree.layers {
            for n in 0..<tree.experts[l] {
                let name = "\(prefix).level\(l).expert\(n)"
                tensors += [("\(name).down", [tree.ranks[l], tree.inputs]), ("\(name).down_bias", [tree.ranks[l]]),
                            ("\(name).up", [d[l + 1], tree.ranks[l]]), ("\(name).up_bias", [d[l + 1]])]
            }
            if l >= 1 { tensors += [("\(prefix).level\(l).mix", [d[l + 1], d[l]]), ("\(prefix).level\(l).mix_bias", [d[l + 1]])] }
        }
        return tensors + [("\(prefix).projection", [tree.outputs, d[tree.layers]]), ("\(prefix).projection_bias", [tree.outputs])]
    }

    /// D, e, then each level's gate (W1, b1, W2, b2, keys, the `SwitchGate` order), bottom-up.
    public static func routerTensors(_ tree: ResidualExpertTree, prefix: String, gateWidth: Int, downWidth: Int) -> [(name: String, shape: [Int])] {
        var tensors: [(name: String, shape: [Int])] = [("\(prefix).down", [downWidth, tree.inputs]), ("\(prefix).down_bias", [downWidth])]
        for l in 0..<tree.layers {
            let n = gateInputs(level: l, levels: tree.layers, downWidth: downWidth, gateWidth: gateWidth)
            tensors += [("\(prefix).gate\(l).w1", [gateWidth, n]), ("\(prefix).gate\(l).b1", [gateWidth]),
                        ("\(prefix).gate\(l).w2", [gateWidth, gateWidth]), ("\(prefix).gate\(l).b2", [gateWidth]),
                        ("\(prefix).gate\(l).keys", [tree.experts[l], gateWidth])]
        }
        return tensors
    }

    /// Initial adapter and router values (spec §4.2): A, B, W_l Kaiming-uniform(a = √5), i.e. uniform
    /// ±1/√fan_in; their biases 0; W_proj, c_proj 0 (`w_final_zero`: the layer starts as the frozen one),
    /// or `oneLayerEquivalent`; D, e and the gate MLPs as PyTorch's Linear default (uniform ±1/√fan_in,
    /// bias too); keys uniform(0, 1). The frozen W, b are the caller's.
    public func initialise(_ flat: UnsafeMutablePointer<Float>, oneLayerEquivalent: Bool, rng: inout RNGStream) {
        func uniform(_ target: UnsafeMutablePointer<Float>, count: Int, fanIn: Int) {
            let bound = 1 / Double(fanIn).squareRoot()
            for i in 0..<count { target[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
        }
        let t = flat + adapter, o = tree.offsets, d = tree.widths
        t.update(repeating: 0, count: o.count)
        for l in 0..<levels {
            for n in 0..<tree.experts[l] {
                uniform(t + o.down[l][n], count: tree.ranks[l] * inputs, fanIn: inputs)
                uniform(t + o.up[l][n], count: d[l + 1] * tree.ranks[l], fanIn: tree.ranks[l])
            }
            if l >= 1 { uniform(t + o.mix[l], count: d[l + 1] * d[l], fanIn: d[l]) }
        }
        if oneLayerEquivalent { tree.oneLayerEquivalent(t) }
        uniform(flat + down, count: downWidth * inputs, fanIn: inputs)
        uniform(flat + downBias, count: downWidth, fanIn: inputs)
        for gate in gates {
            uniform(flat + gate.offset, count: gateWidth * gate.inputs, fanIn: gate.inputs)
            uniform(flat + gate.offset + gateWidth * gate.inputs, count: gateWidth, fanIn: gate.inputs)
            uniform(flat + gate.offset + gateWidth * (gate.inputs + 1), count: gateWidth * gateWidth, fanIn: gateWidth)
            uniform(flat + gate.offset + gateWidth * (gate.inputs + 1 + gateWidth), count: gateWidth, fanIn: gateWidth)
            for i in 0..<(gate.experts * gateWidth) { flat[gate.keys + i] = Float(rng.nextUnitDouble()) }
        }
    }
}

// MARK: - Forward and backward over a batch

extension StructuralMixtureLayer {
    /// One call of a level's gate while routing one example.
    struct GateCall {
        var level: Int
        /// The node whose children the call chose (−1: the top gate, whose picks are the tree's top).
        var parent: Int
        /// The ancestors' experts whose keys follow g in the gate input, top-down (levels L−1 … level+1).
        var ancestors: [Int]
        var input: [Float]
        var cache: SwitchGate.Cache
    }

    /// y [N, O] = x Wᵀ + b + the routed trees' outputs for x [N, d]; keeps what `backward` needs in `cache`
    /// and sets the batch's load-balancing loss.
    public func forward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, y: UnsafeMutablePointer<Float>,
                        cache: StructuralMixtureCache) {
        cache.reserve(batch: batch, layer: self)
        Matmul.gemm(.none, .transposed, m: batch, n: outputs, k: inputs, a: x, b: p + weight, c: y)
        for e in 0..<batch { for o in 0..<outputs { y[e * outputs + o] += p[bias + o] } }
        // g = D x + e for the whole batch in one BLAS call; the gates then read rows of it.
        cache.down.withUnsafeMutableBufferPointer { g in
            Matmul.gemm(.none, .transposed, m: batch, n: downWidth, k: inputs, a: x, b: p + down, c: g.baseAddress!)
            for e in 0..<batch { for j in 0..<downWidth { g[e * downWidth + j] += p[downBias + j] } }
        }
        for e in 0..<batch {
            let (tree, calls) = route(p, g: cache.down, row: e)
            let treeCache = cache.adapterOutput.withUnsafeMutableBufferPointer { out in
                self.tree.forward(p + adapter, x: x + e * inputs, tree: tree, y: out.baseAddress!)
            }
            for o in 0..<outputs { y[e * outputs + o] += cache.adapterOutput[o] }
            cache.trees[e] = tree
            cache.treeCaches[e] = treeCache
            cache.calls[e] = calls
        }
        balance(batch: batch, cache: cache)
    }

    /// Builds one example's tree top-down: the top gate on g, then breadth-first every node above level
    /// 0 routes its children, so parents always precede their children (the order the tree expects).
    func route(_ p: UnsafePointer<Float>, g: [Float], row: Int) -> (ResidualExpertTree.Tree, [GateCall]) {
        var tree = ResidualExpertTree.Tree(), calls = [GateCall](), paths = [[Int]]()
        func expand(level l: Int, parent: Int, ancestors: [Int]) {
            var input = Array(g[(row * downWidth)..<((row + 1) * downWidth)])
            input.reserveCapacity(gates[l].inputs)
            for (j, expert) in ancestors.enumerated() {
                let keys = gates[levels - 1 - j].keys + expert * gateWidth
                for i in 0..<gateWidth { input.append(p[keys + i]) }
            }
            let gateCache = input.withUnsafeBufferPointer { gates[l].forward(p, input: $0.baseAddress!) }
            for (slot, expert) in gateCache.chosen.enumerated() {
                tree.add(layer: l, expert: expert, alpha: gateCache.alpha[slot], parent: parent < 0 ? nil : parent)
                paths.append(ancestors + [expert])
            }
            calls.append(GateCall(level: l, parent: parent, ancestors: ancestors, input: input, cache: gateCache))
        }
        expand(level: levels - 1, parent: -1, ancestors: [])
        var node = 0
        while node < tree.layer.count {
            if tree.layer[node] >= 1 { expand(level: tree.layer[node] - 1, parent: node, ancestors: paths[node]) }
            node += 1
        }
        return (tree, calls)
    }

    /// The switch gates' load-balancing loss Σ_l β·s_l·Σ_e frac_e·mean_p_e over the batch, and its
    /// constant ∂/∂p_e = β·s_l·frac_e / calls_l for every call of level l (frac is held constant).
    func balance(batch: Int, cache: StructuralMixtureCache) {
        cache.auxiliaryLoss = 0
        for l in 0..<levels { for e in cache.dProbability[l].indices { cache.dProbability[l][e] = 0 } }
        cache.balanced = gate == .switch && auxiliary != 0
        guard cache.balanced else { return }
        for l in 0..<levels {
            let s = tree.experts[l]
            var frequency = [Double](repeating: 0, count: s), meanProbability = [Double](repeating: 0, count: s)
            var calls = 0.0, slots = 0.0
            // Example order, then call order: a fixed summation order, so runs match bit for bit.
            for e in 0..<batch {
                for call in cache.calls[e] where call.level == l {
                    calls += 1
                    for expert in call.cache.chosen { frequency[expert] += 1; slots += 1 }
                    for i in 0..<s { meanProbability[i] += call.cache.p[i] }
                }
            }
            var loss = 0.0
            for i in 0..<s {
                loss += frequency[i] / slots * meanProbability[i] / calls
                cache.dProbability[l][i] = auxiliary * Double(s) * frequency[i] / slots / calls
            }
            cache.auxiliaryLoss += auxiliary * Double(s) * loss
        }
    }

    /// Given dy [N, O]: adds every adapter and router gradient into `gradient` and, when given, ∂L/∂x
    /// into dx [N, d] (accumulates). Needs the `cache` of this batch's forward.
    public func backward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, dy: UnsafePointer<Float>,
                         gradient g: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?, cache: StructuralMixtureCache) {
        // The frozen part: dx += dy W for the whole batch; W and b themselves get nothing.
        if let dx { Matmul.gemm(.none, .none, m: batch, n: inputs, k: outputs, a: dy, b: p + weight, beta: 1, c: dx) }
        for i in 0..<(batch * downWidth) { cache.dDown[i] = 0 }
        for e in 0..<batch {
            for i in 0..<inputs { cache.dInput[i] = 0 }
            let tree = cache.trees[e]
            let dAlpha = cache.dInput.withUnsafeMutableBufferPointer { dInput in
                self.tree.backward(p + adapter, x: x + e * inputs, tree: tree, cache: cache.treeCaches[e], dy: dy + e * outputs,
                                   gradient: g + adapter, dx: dInput.baseAddress!)
            }
            // Every gate call: ∂α of the nodes it chose (in its `chosen` order, the order they were added).
            for call in cache.calls[e] {
                let chosen = call.parent < 0 ? tree.top : tree.children[call.parent]
                let dInput = call.input.withUnsafeBufferPointer { u in
                    gates[call.level].backward(p, input: u.baseAddress!, cache: call.cache, dAlpha: chosen.map { dAlpha[$0] },
                                               dProbability: cache.balanced ? cache.dProbability[call.level] : nil, gradient: g)
                }
                for j in 0..<downWidth { cache.dDown[e * downWidth + j] += dInput[j] }
                // The key blocks of u are the ancestors' keys: their gradient goes back to those keys.
                for (j, expert) in call.ancestors.enumerated() {
                    let keys = gates[levels - 1 - j].keys + expert * gateWidth, block = downWidth + j * gateWidth
                    for i in 0..<gateWidth { g[keys + i] += dInput[block + i] }
                }
            }
            if let dx { for i in 0..<inputs { dx[e * inputs + i] += cache.dInput[i] } }
        }
        // g = D x + e: ∂D += ∂gᵀ x, ∂e += Σ ∂g, dx += ∂g D, each one call over the batch.
        cache.dDown.withUnsafeBufferPointer { dg in
            Matmul.gemm(.transposed, .none, m: downWidth, n: inputs, k: batch, a: dg.baseAddress!, b: x, beta: 1, c: g + down)
            for e in 0..<batch { for j in 0..<downWidth { g[downBias + j] += dg[e * downWidth + j] } }
            if let dx { Matmul.gemm(.none, .none, m: batch, n: inputs, k: downWidth, a: dg.baseAddress!, b: p + down, beta: 1, c: dx) }
        }
    }
}

/// What one `StructuralMixtureLayer` keeps between its forward and backward passes (one per layer and
/// workspace, reused across steps).
public final class StructuralMixtureCache {
    /// g = D x + e [N, d_down] and ∂L/∂g.
    var down: [Float] = [], dDown: [Float] = []
    /// Per example: its routed tree, the tree's forward cache, and its gate calls in routing order.
    var trees: [ResidualExpertTree.Tree] = []
    var treeCaches: [ResidualExpertTree.Cache] = []
    var calls: [[StructuralMixtureLayer.GateCall]] = []
    /// The batch's load-balancing loss, whether it applies, and its ∂/∂p per level [s_l].
    public internal(set) var auxiliaryLoss = 0.0
    var balanced = false
    var dProbability: [[Double]] = []
    /// One example's adapter output [O] and ∂L/∂x [d].
    var adapterOutput: [Float] = [], dInput: [Float] = []

    public init() {}

    func reserve(batch: Int, layer: StructuralMixtureLayer) {
        if down.count < batch * layer.downWidth {
            down = [Float](repeating: 0, count: batch * layer.downWidth)
            dDown = down
        }
        if trees.count < batch {
            trees = [ResidualExpertTree.Tree](repeating: .init(), count: batch)
            treeCaches = [ResidualExpertTree.Cache](repeating: .init(), count: batch)
            calls = [[StructuralMixtureLayer.GateCall]](repeating: [], count: batch)
        }
        if dProbability.count != layer.levels { dProbability = layer.tree.experts.map { [Double](repeating: 0, count: $0) } }
        if adapterOutput.count != layer.outputs { adapterOutput = [Float](repeating: 0, count: layer.outputs) }
        if dInput.count != layer.inputs { dInput = [Float](repeating: 0, count: layer.inputs) }
    }

    /// How many tree nodes of each level (bottom first) chose each expert, over the last forward's
    /// first `batch` examples: [level][expert].
    public func expertUsage(batch: Int, experts: [Int]) -> [[Int]] {
        var usage = experts.map { [Int](repeating: 0, count: $0) }
        for tree in trees.prefix(batch) { for (l, e) in zip(tree.layer, tree.expert) { usage[l][e] += 1 } }
        return usage
    }
}
