import FedCore

/// One adapted linear layer of a frozen base (spec §3.2, §3.5): y = x Wᵀ + b + Σ_j w_{e,j} B_i A_i x_e
/// over the experts i = experts[e, j] an example e selected, with per-slot weights w (ReMix's
/// constant ω, MixLoRA's s·π_i/S, a plain LoRA's α/r). W and b are frozen: they get no gradient.
///
/// Letters: N batch, J slots per example, n experts, r rank, I inputs, O outputs. Parameters sit in
/// the model's flat buffer at the offsets below: W [O, I], b [O], A [n, r, I], B [n, O, r], P [n, I].
/// Examples are grouped by selected expert so every expert's work is two BLAS calls forward and
/// three backward, whatever the batch's routing.
public struct LoRAMixtureLayer: Sendable, Equatable {
    public let inputs: Int
    public let outputs: Int
    public let experts: Int
    public let rank: Int
    public let weight: Int, bias: Int, down: Int, up: Int, router: Int

    public init(inputs: Int, outputs: Int, experts: Int, rank: Int, weight: Int, bias: Int, down: Int, up: Int, router: Int) {
        self.inputs = inputs
        self.outputs = outputs
        self.experts = experts
        self.rank = rank
        self.weight = weight
        self.bias = bias
        self.down = down
        self.up = up
        self.router = router
    }

    /// Which experts each example uses and with what weight: [N, J] each; expert −1 leaves a slot empty.
    public struct Selection {
        public var slots: Int
        public var experts: [Int32]
        public var weights: [Float]
        public init(slots: Int, experts: [Int32], weights: [Float]) {
            self.slots = slots
            self.experts = experts
            self.weights = weights
        }
    }

    /// The (example, slot) pairs of each expert, in example order.
    func groups(_ selection: Selection, batch: Int) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: experts)
        for slot in 0..<(batch * selection.slots) where selection.experts[slot] >= 0 { groups[Int(selection.experts[slot])].append(slot) }
        return groups
    }

    /// y [N, O] = x Wᵀ + b + adapters; the adapters' hidden values A_i x [N·J, r] go to `scratch.hidden`.
    public func forward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, selection: Selection,
                        y: UnsafeMutablePointer<Float>, scratch: LoRAScratch) {
        Matmul.gemm(.none, .transposed, m: batch, n: outputs, k: inputs, a: x, b: p + weight, c: y)
        for e in 0..<batch { for o in 0..<outputs { y[e * outputs + o] += p[bias + o] } }
        let slots = selection.slots
        for (expert, members) in groups(selection, batch: batch).enumerated() where !members.isEmpty {
            let g = members.count
            for (row, slot) in members.enumerated() { (scratch.rows + row * inputs).update(from: x + (slot / slots) * inputs, count: inputs) }
            Matmul.gemm(.none, .transposed, m: g, n: rank, k: inputs, a: scratch.rows, b: p + down + expert * rank * inputs, c: scratch.small)
            for (row, slot) in members.enumerated() {
                (scratch.hidden + slot * rank).update(from: scratch.small + row * rank, count: rank)
                let w = selection.weights[slot]
                for j in 0..<rank { scratch.small[row * rank + j] *= w }
            }
            Matmul.gemm(.none, .transposed, m: g, n: outputs, k: rank, a: scratch.small, b: p + up + expert * outputs * rank, c: scratch.wide)
            for (row, slot) in members.enumerated() {
                let target = y + (slot / slots) * outputs
                for o in 0..<outputs { target[o] += scratch.wide[row * outputs + o] }
            }
        }
    }

    /// Given dy [N, O]: adds ∂A, ∂B into `gradient`, writes ∂L/∂w [N·J] into `weightGradient` when
    /// given, and adds dx [N, I] (through W and the adapters) when given. Needs the forward's hidden values.
    public func backward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, selection: Selection, dy: UnsafePointer<Float>,
                         gradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
                         scratch: LoRAScratch) {
        if let dx { Matmul.gemm(.none, .none, m: batch, n: inputs, k: outputs, a: dy, b: p + weight, beta: 1, c: dx) }
        let slots = selection.slots
        for (expert, members) in groups(selection, batch: batch).enumerated() where !members.isEmpty {
            let g = members.count
            for (row, slot) in members.enumerated() { (scratch.wide + row * outputs).update(from: dy + (slot / slots) * outputs, count: outputs) }
            // u = dy B_i [g, r]; ∂w = ⟨u, h⟩.
            Matmul.gemm(.none, .none, m: g, n: rank, k: outputs, a: scratch.wide, b: p + up + expert * outputs * rank, c: scratch.small)
            for (row, slot) in members.enumerated() {
                let w = selection.weights[slot], h = scratch.hidden + slot * rank
                var dot: Float = 0
                for j in 0..<rank { dot += scratch.small[row * rank + j] * h[j] }
                weightGradient?[slot] = dot
                // Scale u and h by w in place: ∂B_i = dyᵀ (w h), ∂A_i = (w u)ᵀ x, dx += (w u) A_i.
                for j in 0..<rank { scratch.small[row * rank + j] *= w; scratch.scaledHidden[row * rank + j] = w * h[j] }
                (scratch.rows + row * inputs).update(from: x + (slot / slots) * inputs, count: inputs)
            }
            Matmul.gemm(.transposed, .none, m: outputs, n: rank, k: g, a: scratch.wide, b: scratch.scaledHidden, beta: 1,
                        c: gradient + up + expert * outputs * rank)
            Matmul.gemm(.transposed, .none, m: rank, n: inputs, k: g, a: scratch.small, b: scratch.rows, beta: 1,
                        c: gradient + down + expert * rank * inputs)
            if let dx {
                Matmul.gemm(.none, .none, m: g, n: inputs, k: rank, a: scratch.small, b: p + down + expert * rank * inputs, c: scratch.rows)
                for (row, slot) in members.enumerated() {
                    let target = dx + (slot / slots) * inputs
                    for i in 0..<inputs { target[i] += scratch.rows[row * inputs + i] }
                }
            }
        }
    }

    /// Router logits z [N, n] = x Pᵀ.
    public func routerLogits(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, z: UnsafeMutablePointer<Float>) {
        Matmul.gemm(.none, .transposed, m: batch, n: experts, k: inputs, a: x, b: p + router, c: z)
    }

    /// ∂P += dzᵀ x, and dx += dz P when given (MixLoRA's router path; ReMix's router gets no dx).
    public func routerBackward(_ p: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, dz: UnsafePointer<Float>,
                               gradient: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?) {
        Matmul.gemm(.transposed, .none, m: experts, n: inputs, k: batch, a: dz, b: x, beta: 1, c: gradient + router)
        if let dx { Matmul.gemm(.none, .none, m: batch, n: inputs, k: experts, a: dz, b: p + router, beta: 1, c: dx) }
    }
}

/// Buffers of one adapted layer for batches of up to `capacity` (example, slot) pairs.
public final class LoRAScratch {
    public let rows: UnsafeMutablePointer<Float>, wide: UnsafeMutablePointer<Float>
    public let small: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, scaledHidden: UnsafeMutablePointer<Float>

    public init(capacity: Int, inputs: Int, outputs: Int, rank: Int) {
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            buffer.initialize(repeating: 0, count: max(count, 1))
            return buffer
        }
        rows = make(capacity * inputs)
        wide = make(capacity * outputs)
        small = make(capacity * rank)
        hidden = make(capacity * rank)
        scaledHidden = make(capacity * rank)
    }

    deinit {
        for buffer in [rows, wide, small, hidden, scaledHidden] { buffer.deallocate() }
    }
}
