import FedCore

/// S'MoRE's hierarchy of low-rank residual experts on one adapted layer (spec §4.2–4.4), for one
/// input and one routed tree: the experts' residuals R_{l,n}(x) = ρ(B_{l,n}(A_{l,n} x + a) + b), a
/// bottom-up aggregation along the tree with an activation at every node, and the projection
/// W_proj x_L + c_proj (the frozen W x is the caller's). Forward and hand-written backward side by
/// side; the gates that choose the tree and its α are separate.
///
/// Letters: d input width, L layers, s_l experts, r_l rank, d_0 = 0, d_{l+1} = d_l + s_l·r_l,
/// d_out output width. Layer 0 is the bottom. Parameters sit in one flat buffer at `offsets`.
public struct ResidualExpertTree: Sendable, Equatable {
    public enum Activation: String, Sendable { case tanh, identity }

    public let inputs: Int
    public let outputs: Int
    public let experts: [Int]
    public let ranks: [Int]
    public let activation: Activation
    /// ρ_l, the residual scaling.
    public let scaling: Float

    /// d_l for l = 0 … L.
    public var widths: [Int] {
        var d = [0]
        for l in experts.indices { d.append(d[l] + experts[l] * ranks[l]) }
        return d
    }
    public var layers: Int { experts.count }

    public init(inputs: Int, outputs: Int, experts: [Int], ranks: [Int], activation: Activation, scaling: Float = 1) {
        precondition(!experts.isEmpty && experts.count == ranks.count, "one expert count and one rank per layer")
        self.inputs = inputs
        self.outputs = outputs
        self.experts = experts
        self.ranks = ranks
        self.activation = activation
        self.scaling = scaling
    }

    /// Where each tensor sits (relative to the tree's first scalar).
    public struct Offsets: Sendable, Equatable {
        /// [l][n]: A_{l,n} [r_l, d], a [r_l], B_{l,n} [d_{l+1}, r_l], b [d_{l+1}].
        public var down: [[Int]], downBias: [[Int]], up: [[Int]], upBias: [[Int]]
        /// [l] for l ≥ 1 (index 0 unused): W_l [d_{l+1}, d_l], c_l [d_{l+1}].
        public var mix: [Int], mixBias: [Int]
        public var projection: Int, projectionBias: Int
        public var count: Int
    }

    public var offsets: Offsets {
        let d = widths
        var next = 0
        func take(_ n: Int) -> Int { defer { next += n }; return next }
        var o = Offsets(down: [], downBias: [], up: [], upBias: [], mix: [], mixBias: [], projection: 0, projectionBias: 0, count: 0)
        for l in 0..<layers {
            o.down.append([]); o.downBias.append([]); o.up.append([]); o.upBias.append([])
            for _ in 0..<experts[l] {
                o.down[l].append(take(ranks[l] * inputs)); o.downBias[l].append(take(ranks[l]))
                o.up[l].append(take(d[l + 1] * ranks[l])); o.upBias[l].append(take(d[l + 1]))
            }
            o.mix.append(l == 0 ? -1 : take(d[l + 1] * d[l]))
            o.mixBias.append(l == 0 ? -1 : take(d[l + 1]))
        }
        o.projection = take(outputs * d[layers])
        o.projectionBias = take(outputs)
        o.count = next
        return o
    }

    /// A routed tree: nodes top-down; each node's layer, expert, weight α and children (indices).
    public struct Tree: Sendable, Equatable {
        public var layer: [Int] = [], expert: [Int] = [], alpha: [Float] = [], children: [[Int]] = []
        /// The nodes at the top layer.
        public var top: [Int] = []
        public init() {}

        /// Adds a node; returns its index.
        @discardableResult
        public mutating func add(layer l: Int, expert e: Int, alpha a: Float, parent: Int?) -> Int {
            layer.append(l); expert.append(e); alpha.append(a); children.append([])
            let index = layer.count - 1
            if let parent { children[parent].append(index) } else { top.append(index) }
            return index
        }
    }

    /// What the forward pass keeps for the backward pass.
    public struct Cache {
        /// Per node: u = A x + a [r], pre-activation z [d_{l+1}], output o, aggregated input in [d_l].
        public var u: [[Float]] = [], z: [[Float]] = [], o: [[Float]] = [], input: [[Float]] = []
        public var top = [Float]()
    }

    func act(_ v: Float) -> Float { activation == .tanh ? fastTanh(v) : v }
    func actDerivative(output o: Float) -> Float { activation == .tanh ? 1 - o * o : 1 }

    /// y [d_out] = W_proj x_L + c_proj for input x [d] and `tree`; returns x_L in the cache.
    public func forward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, tree: Tree, y: UnsafeMutablePointer<Float>) -> Cache {
        let o = offsets, d = widths
        let count = tree.layer.count
        var cache = Cache(u: .init(repeating: [], count: count), z: .init(repeating: [], count: count),
                          o: .init(repeating: [], count: count), input: .init(repeating: [], count: count))
        // Bottom-up: children before parents (nodes are added top-down, so walk backwards).
        for node in stride(from: count - 1, through: 0, by: -1) {
            let l = tree.layer[node], e = tree.expert[node], r = ranks[l], width = d[l + 1]
            var u = [Float](repeating: 0, count: r)
            for q in 0..<r {
                var sum = p[o.downBias[l][e] + q]
                for i in 0..<inputs { sum += p[o.down[l][e] + q * inputs + i] * x[i] }
                u[q] = sum
            }
            var z = [Float](repeating: 0, count: width)
            for j in 0..<width {
                var sum = p[o.upBias[l][e] + j]
                for q in 0..<r { sum += p[o.up[l][e] + j * r + q] * u[q] }
                z[j] = scaling * sum
            }
            if l >= 1 {
                var input = [Float](repeating: 0, count: d[l])
                for child in tree.children[node] { for j in 0..<d[l] { input[j] += tree.alpha[child] * cache.o[child][j] } }
                for j in 0..<width {
                    var sum = p[o.mixBias[l] + j]
                    for k in 0..<d[l] { sum += p[o.mix[l] + j * d[l] + k] * input[k] }
                    z[j] += sum
                }
                cache.input[node] = input
            }
            cache.u[node] = u
            cache.z[node] = z
            cache.o[node] = z.map(act)
        }
        var top = [Float](repeating: 0, count: d[layers])
        for node in tree.top { for j in 0..<d[layers] { top[j] += tree.alpha[node] * cache.o[node][j] } }
        for j in 0..<outputs {
            var sum = p[o.projectionBias + j]
            for k in 0..<d[layers] { sum += p[o.projection + j * d[layers] + k] * top[k] }
            y[j] = sum
        }
        cache.top = top
        return cache
    }

    /// Given dy [d_out]: adds every parameter's gradient into `gradient`, returns ∂L/∂α per node,
    /// and adds ∂L/∂x into `dx` (spec §4.4).
    public func backward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, tree: Tree, cache: Cache, dy: UnsafePointer<Float>,
                         gradient g: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>) -> [Float] {
        let o = offsets, d = widths, count = tree.layer.count
        var dTop = [Float](repeating: 0, count: d[layers])
        for j in 0..<outputs {
            g[o.projectionBias + j] += dy[j]
            for k in 0..<d[layers] {
                g[o.projection + j * d[layers] + k] += dy[j] * cache.top[k]
                dTop[k] += p[o.projection + j * d[layers] + k] * dy[j]
            }
        }
        var dOutput = [[Float]](repeating: [], count: count)
        var dAlpha = [Float](repeating: 0, count: count)
        for node in tree.top {
            dOutput[node] = dTop.map { $0 * tree.alpha[node] }
            dAlpha[node] = zip(cache.o[node], dTop).reduce(0) { $0 + $1.0 * $1.1 }
        }
        // Top-down: parents before children.
        for node in 0..<count {
            let l = tree.layer[node], e = tree.expert[node], r = ranks[l], width = d[l + 1]
            let dz = (0..<width).map { dOutput[node][$0] * actDerivative(output: cache.o[node][$0]) }
            var du = [Float](repeating: 0, count: r)
            for j in 0..<width {
                g[o.upBias[l][e] + j] += scaling * dz[j]
                for q in 0..<r {
                    g[o.up[l][e] + j * r + q] += scaling * dz[j] * cache.u[node][q]
                    du[q] += scaling * p[o.up[l][e] + j * r + q] * dz[j]
                }
            }
            for q in 0..<r {
                g[o.downBias[l][e] + q] += du[q]
                for i in 0..<inputs {
                    g[o.down[l][e] + q * inputs + i] += du[q] * x[i]
                    dx[i] += p[o.down[l][e] + q * inputs + i] * du[q]
                }
            }
            guard l >= 1 else { continue }
            var dInput = [Float](repeating: 0, count: d[l])
            for j in 0..<width {
                g[o.mixBias[l] + j] += dz[j]
                for k in 0..<d[l] {
                    g[o.mix[l] + j * d[l] + k] += dz[j] * cache.input[node][k]
                    dInput[k] += p[o.mix[l] + j * d[l] + k] * dz[j]
                }
            }
            for child in tree.children[node] {
                dOutput[child] = dInput.map { $0 * tree.alpha[child] }
                dAlpha[child] = zip(cache.o[child], dInput).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
        return dAlpha
    }

    /// The `eq_1_layer` initialisation (spec §4.2): B_{l,n} is the identity on rows [n·r_l, (n+1)·r_l),
    /// W_l the identity on its last d_l rows, every other up-projection, mix weight and the final
    /// projection zero, so that with the identity activation the hierarchy equals a one-layer mixture.
    public func oneLayerEquivalent(_ p: UnsafeMutablePointer<Float>) {
        let o = offsets, d = widths
        for l in 0..<layers {
            for n in 0..<experts[l] {
                (p + o.up[l][n]).update(repeating: 0, count: d[l + 1] * ranks[l])
                for q in 0..<ranks[l] { p[o.up[l][n] + (n * ranks[l] + q) * ranks[l] + q] = 1 }
            }
            if l >= 1 {
                (p + o.mix[l]).update(repeating: 0, count: d[l + 1] * d[l])
                for k in 0..<d[l] { p[o.mix[l] + (d[l + 1] - d[l] + k) * d[l] + k] = 1 }
            }
        }
        (p + o.projection).update(repeating: 0, count: outputs * d[layers])
    }
}
