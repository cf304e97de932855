import FedCore

/// NCF (He et al., WWW 2017; spec `models-and-protocols.md` §5.3): GMF, MLP and NeuMF over one flat
/// parameter buffer, trained pointwise with binary cross-entropy.
///
/// ```
/// φ_G = p^G_u ⊙ q^G_i                      (factors)
/// z_0 = [p^M_u ; q^M_i],  z_l = relu(W_l z_{l−1} + b_l)   (the tower, widths `tower`)
/// ŷ   = σ(hᵀ [φ_G ; z_L] + b_out)          (GMF: hᵀ φ_G; MLP: hᵀ z_L)
/// ```
/// Layout: `user_gmf` [users, f], `item_gmf` [items, f] (GMF, NeuMF); `user_mlp` [users, e/2],
/// `item_mlp` [items, e/2], `tower{l}.weight` [w_l, w_{l−1}] (out × in), `tower{l}.bias` [w_l]
/// (MLP, NeuMF); `output.weight` [f + w_L or the one used], `output.bias` [1]. The loss is the mean
/// BCE over the examples; no regularisation (the README default).
public struct NeuralCollaborativeFiltering: Sendable {
    public enum Variant: String, Sendable, CaseIterable { case gmf, mlp, neumf }

    public let variant: Variant
    public let userCount: Int
    public let itemCount: Int
    public let factors: Int
    /// Widths: the embedding input e (= 2 × the MLP embedding), then each layer's output.
    public let tower: [Int]
    public let layout: ParameterLayout

    public init(variant: Variant, userCount: Int, itemCount: Int, factors: Int = 8, tower: [Int] = [64, 32, 16, 8]) {
        precondition(userCount > 0 && itemCount > 0 && factors > 0 && tower.count >= 2 && tower[0] % 2 == 0,
                     "NCF needs users, items, factors and a tower [e, w1, ...] with an even e")
        self.variant = variant
        self.userCount = userCount
        self.itemCount = itemCount
        self.factors = factors
        self.tower = tower
        var specs = [(name: String, shape: [Int])]()
        if variant != .mlp { specs += [("user_gmf", [userCount, factors]), ("item_gmf", [itemCount, factors])] }
        if variant != .gmf {
            specs += [("user_mlp", [userCount, tower[0] / 2]), ("item_mlp", [itemCount, tower[0] / 2])]
            for l in 1..<tower.count { specs += [("tower\(l).weight", [tower[l], tower[l - 1]]), ("tower\(l).bias", [tower[l]])] }
        }
        specs += [("output.weight", [outputWidth(variant, factors, tower)]), ("output.bias", [1])]
        layout = ParameterLayout(specs)
        offsets = Offsets(layout, layers: tower.count - 1)
    }

    /// Where each tensor starts, looked up once (the passes run per example).
    struct Offsets: Sendable {
        let userGMF, itemGMF, userMLP, itemMLP, outputWeight, outputBias: Int
        let towerWeight, towerBias: [Int]  // index l − 1 for tower layer l

        init(_ layout: ParameterLayout, layers: Int) {
            func at(_ name: String) -> Int { layout.entry(named: name)?.offset ?? -1 }
            userGMF = at("user_gmf")
            itemGMF = at("item_gmf")
            userMLP = at("user_mlp")
            itemMLP = at("item_mlp")
            outputWeight = at("output.weight")
            outputBias = at("output.bias")
            towerWeight = (0..<layers).map { at("tower\($0 + 1).weight") }
            towerBias = (0..<layers).map { at("tower\($0 + 1).bias") }
        }
    }
    let offsets: Offsets

    var outputInputs: Int { outputWidth(variant, factors, tower) }

    /// Embeddings N(0, 0.01²), tower and output weights LeCun-uniform (bound √(3/fan_in)), biases 0.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        for entry in layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            if entry.name.hasPrefix("user_") || entry.name.hasPrefix("item_") {
                for i in range { parameters[i] = Float(rng.nextGaussian() * 0.01) }
            } else if entry.name.hasSuffix(".weight") {
                let bound = (3 / Double(entry.shape.count == 2 ? entry.shape[1] : entry.shape[0])).squareRoot()
                for i in range { parameters[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
            }
        }
        return parameters
    }

    /// NeuMF's parameters from a trained GMF and a trained MLP of the same sizes (spec §5.3 pre-training):
    /// their embeddings and tower as they are, `h = [α h_G ; (1 − α) h_M]` and `b = α b_G + (1 − α) b_M`,
    /// so NeuMF's logit starts as the α-weighted mix of the two models' logits. (The paper fixes h; the
    /// bias mix is this project's choice.)
    public func pretrained(gmf: [Float], of gmfModel: NeuralCollaborativeFiltering, mlp: [Float], of mlpModel: NeuralCollaborativeFiltering,
                           alpha: Float = 0.5) -> [Float] {
        precondition(variant == .neumf && gmfModel.variant == .gmf && mlpModel.variant == .mlp
                     && gmfModel.factors == factors && mlpModel.tower == tower, "pre-training combines a GMF and an MLP of NeuMF's sizes")
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        for entry in layout.entries where entry.name != "output.weight" && entry.name != "output.bias" {
            let (source, values) = entry.name.hasSuffix("_gmf") ? (gmfModel, gmf) : (mlpModel, mlp)
            guard let from = source.layout.entry(named: entry.name) else { continue }
            for k in 0..<entry.count { parameters[entry.offset + k] = values[from.offset + k] }
        }
        let (gH, mH) = (gmfModel.offsets.outputWeight, mlpModel.offsets.outputWeight)
        for k in 0..<factors { parameters[offsets.outputWeight + k] = alpha * gmf[gH + k] }
        for k in 0..<tower[tower.count - 1] { parameters[offsets.outputWeight + factors + k] = (1 - alpha) * mlp[mH + k] }
        parameters[offsets.outputBias] = alpha * gmf[gmfModel.offsets.outputBias] + (1 - alpha) * mlp[mlpModel.offsets.outputBias]
        return parameters
    }

    /// One training example: a user, an item and whether the user interacted with it.
    public struct Example: Sendable, Equatable {
        public let user: Int32, item: Int32, label: Float
        public init(user: Int32, item: Int32, label: Float) {
            self.user = user
            self.item = item
            self.label = label
        }
    }

    /// ŷ for one (user, item).
    public func predict(user: Int, item: Int, parameters: [Float]) -> Float {
        let scratch = Scratch(self)
        return parameters.withUnsafeBufferPointer { forward(user: user, item: item, p: $0, scratch: scratch) }
    }

    /// Mean BCE over `examples`; adds the gradient of that mean into `gradient`.
    public func lossAndGradient(examples: [Example], parameters: [Float], gradient: inout [Float]) -> Float {
        precondition(parameters.count == layout.totalCount && gradient.count == layout.totalCount, "buffers do not fit the layout")
        guard !examples.isEmpty else { return 0 }
        let scratch = Scratch(self)
        let scale = 1 / Float(examples.count)
        var loss = 0.0
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                for example in examples {
                    let (u, i) = (Int(example.user), Int(example.item))
                    let y = forward(user: u, item: i, p: p, scratch: scratch)
                    let clamped = Double(min(max(y, 1e-7), 1 - 1e-7))
                    loss -= Double(example.label) * libmLog(clamped) + Double(1 - example.label) * libmLog(1 - clamped)
                    backward(user: u, item: i, delta: (y - example.label) * scale, p: p, g: g, scratch: scratch)
                }
            }
        }
        return Float(loss / Double(examples.count))
    }

    /// Per-example buffers, allocated once per call; raw storage, so the per-example loops index
    /// floats directly instead of going through nested arrays.
    final class Scratch {
        let joint: UnsafeMutablePointer<Float>               // [φ_G ; z_L] or the single part
        let layers, preActivations, gradients: [UnsafeMutablePointer<Float>]  // z_0 ... z_L
        init(_ model: NeuralCollaborativeFiltering) {
            func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
                buffer.initialize(repeating: 0, count: max(count, 1))
                return buffer
            }
            joint = zeroed(model.outputInputs)
            layers = model.tower.map(zeroed)
            preActivations = model.tower.map(zeroed)
            gradients = model.tower.map(zeroed)
        }
        deinit {
            joint.deallocate()
            for buffer in layers + preActivations + gradients { buffer.deallocate() }
        }
    }

    func forward(user u: Int, item i: Int, p: UnsafeBufferPointer<Float>, scratch: Scratch) -> Float {
        var position = 0
        if variant != .mlp {
            let (pu, qi) = (offsets.userGMF + u * factors, offsets.itemGMF + i * factors)
            for k in 0..<factors { scratch.joint[k] = p[pu + k] * p[qi + k] }
            position = factors
        }
        if variant != .gmf {
            let half = tower[0] / 2
            let (pu, qi) = (offsets.userMLP + u * half, offsets.itemMLP + i * half)
            for k in 0..<half {
                scratch.layers[0][k] = p[pu + k]
                scratch.layers[0][half + k] = p[qi + k]
            }
            for l in 1..<tower.count {
                let (w, b) = (offsets.towerWeight[l - 1], offsets.towerBias[l - 1])
                for r in 0..<tower[l] {
                    var sum = p[b + r]
                    for c in 0..<tower[l - 1] { sum += p[w + r * tower[l - 1] + c] * scratch.layers[l - 1][c] }
                    scratch.preActivations[l][r] = sum
                    scratch.layers[l][r] = max(sum, 0)
                }
            }
            for k in 0..<tower[tower.count - 1] { scratch.joint[position + k] = scratch.layers[tower.count - 1][k] }
        }
        let h = offsets.outputWeight
        var z = p[offsets.outputBias]
        for k in 0..<outputInputs { z += p[h + k] * scratch.joint[k] }
        return Float(1 / (1 + libmExp(Double(-z))))
    }

    func backward(user u: Int, item i: Int, delta: Float, p: UnsafeBufferPointer<Float>, g: UnsafeMutableBufferPointer<Float>,
                  scratch: Scratch) {
        let h = offsets.outputWeight
        for k in 0..<outputInputs { g[h + k] += delta * scratch.joint[k] }
        g[offsets.outputBias] += delta
        var position = 0
        if variant != .mlp {
            let (pu, qi) = (offsets.userGMF + u * factors, offsets.itemGMF + i * factors)
            for k in 0..<factors {
                let gk = delta * p[h + k]
                g[pu + k] += gk * p[qi + k]
                g[qi + k] += gk * p[pu + k]
            }
            position = factors
        }
        guard variant != .gmf else { return }
        let last = tower.count - 1
        for k in 0..<tower[last] { scratch.gradients[last][k] = delta * p[h + position + k] }
        for l in stride(from: last, through: 1, by: -1) {
            let (w, b) = (offsets.towerWeight[l - 1], offsets.towerBias[l - 1])
            let inWidth = tower[l - 1]
            for c in 0..<inWidth { scratch.gradients[l - 1][c] = 0 }
            for r in 0..<tower[l] where scratch.preActivations[l][r] > 0 {
                let gPre = scratch.gradients[l][r]
                g[b + r] += gPre
                for c in 0..<inWidth {
                    g[w + r * inWidth + c] += gPre * scratch.layers[l - 1][c]
                    scratch.gradients[l - 1][c] += p[w + r * inWidth + c] * gPre
                }
            }
        }
        let half = tower[0] / 2
        let (pu, qi) = (offsets.userMLP + u * half, offsets.itemMLP + i * half)
        for k in 0..<half {
            g[pu + k] += scratch.gradients[0][k]
            g[qi + k] += scratch.gradients[0][half + k]
        }
    }
}

private func outputWidth(_ variant: NeuralCollaborativeFiltering.Variant, _ factors: Int, _ tower: [Int]) -> Int {
    switch variant {
    case .gmf: return factors
    case .mlp: return tower[tower.count - 1]
    case .neumf: return factors + tower[tower.count - 1]
    }
}
