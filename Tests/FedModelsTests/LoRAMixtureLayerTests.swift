import FedCore
import FedModels
import Testing

/// The adapted layer's grouped-BLAS forward and backward against a plain per-example loop in
/// Double, and its gradients (A, B, slot weights, inputs, router) against central differences of
/// that loop, on odd shapes with empty slots and experts nobody selected.
@Suite struct LoRAMixtureLayerTests {
    let inputs = 7, outputs = 5, experts = 4, rank = 3, batch = 9, slots = 2

    func layer() -> LoRAMixtureLayer {
        let w = 0, b = w + outputs * inputs, a = b + outputs, up = a + experts * rank * inputs, p = up + experts * outputs * rank
        return LoRAMixtureLayer(inputs: inputs, outputs: outputs, experts: experts, rank: rank, weight: w, bias: b, down: a, up: up, router: p)
    }

    var parameterCount: Int { outputs * inputs + outputs + experts * rank * inputs + experts * outputs * rank + experts * inputs }

    func fixtures() -> (params: [Float], x: [Float], selection: LoRAMixtureLayer.Selection, r: [Float]) {
        var rng = RNGStream(seed: 9, purpose: .custom)
        let params = (0..<parameterCount).map { _ in Float(rng.nextGaussian() * 0.5) }
        let x = (0..<(batch * inputs)).map { _ in Float(rng.nextGaussian()) }
        // Expert 3 is never selected; example 4's second slot is empty.
        var chosen = [Int32](), weights = [Float]()
        for e in 0..<batch {
            let first = Int32(e % 3), second = Int32((e + 1) % 3)
            chosen += [first, e == 4 ? -1 : second]
            weights += [Float(0.3 + 0.1 * Double(e % 4)), 0.7]
        }
        let r = (0..<(batch * outputs)).map { _ in Float(rng.nextGaussian()) }
        return (params, x, LoRAMixtureLayer.Selection(slots: slots, experts: chosen, weights: weights), r)
    }

    /// L = Σ y ⊙ R + Σ (x Pᵀ) ⊙ S, computed per example in Double.
    func naiveLoss(_ l: LoRAMixtureLayer, _ p: [Float], _ x: [Float], _ s: LoRAMixtureLayer.Selection, _ r: [Float], _ routerWeights: [Double]) -> Double {
        var loss = 0.0
        for e in 0..<batch {
            for o in 0..<outputs {
                var y = Double(p[l.bias + o])
                for i in 0..<inputs { y += Double(p[l.weight + o * inputs + i]) * Double(x[e * inputs + i]) }
                for j in 0..<slots where s.experts[e * slots + j] >= 0 {
                    let k = Int(s.experts[e * slots + j])
                    var adapted = 0.0
                    for q in 0..<rank {
                        var h = 0.0
                        for i in 0..<inputs { h += Double(p[l.down + (k * rank + q) * inputs + i]) * Double(x[e * inputs + i]) }
                        adapted += Double(p[l.up + (k * outputs + o) * rank + q]) * h
                    }
                    y += Double(s.weights[e * slots + j]) * adapted
                }
                loss += y * Double(r[e * outputs + o])
            }
            for k in 0..<experts {
                var z = 0.0
                for i in 0..<inputs { z += Double(p[l.router + k * inputs + i]) * Double(x[e * inputs + i]) }
                loss += z * routerWeights[e * experts + k]
            }
        }
        return loss
    }

    @Test func forwardAndBackward_matchThePlainLoop_andCentralDifferences() {
        Matmul.setThreadCount(1)
        let l = layer()
        var (params, x, selection, r) = fixtures()
        var rng = RNGStream(seed: 10, purpose: .custom)
        let routerWeights = (0..<(batch * experts)).map { _ in rng.nextGaussian() }
        let scratch = LoRAScratch(capacity: batch * slots, inputs: inputs, outputs: outputs, rank: rank)
        var y = [Float](repeating: 0, count: batch * outputs)
        params.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { l.forward(p.baseAddress!, x: xs.baseAddress!, batch: batch, selection: selection, y: $0.baseAddress!, scratch: scratch) }
            }
        }
        let forwardLoss = zip(y, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let zeroRouter = [Double](repeating: 0, count: batch * experts)
        #expect(abs(forwardLoss - naiveLoss(l, params, x, selection, r, zeroRouter)) < 1e-3)

        var gradient = [Float](repeating: 0, count: parameterCount), dx = [Float](repeating: 0, count: batch * inputs)
        var dw = [Float](repeating: 0, count: batch * slots)
        let dz = routerWeights.map(Float.init)
        params.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in
                r.withUnsafeBufferPointer { dy in
                    gradient.withUnsafeMutableBufferPointer { g in
                        dx.withUnsafeMutableBufferPointer { d in
                            dw.withUnsafeMutableBufferPointer { w in
                                l.backward(p.baseAddress!, x: xs.baseAddress!, batch: batch, selection: selection, dy: dy.baseAddress!,
                                           gradient: g.baseAddress!, weightGradient: w.baseAddress!, dx: d.baseAddress!, scratch: scratch)
                                dz.withUnsafeBufferPointer { z in
                                    l.routerBackward(p.baseAddress!, x: xs.baseAddress!, batch: batch, dz: z.baseAddress!, gradient: g.baseAddress!, dx: d.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        let h: Float = 1e-2
        func check(_ analytic: Float, _ plus: Double, _ minus: Double, _ what: String) {
            let numeric = (plus - minus) / (2 * Double(h))
            #expect(abs(numeric - Double(analytic)) < 2e-3 * max(1, abs(numeric)), "\(what): \(numeric) vs \(analytic)")
        }
        // Trainable parameters: A, B and P (W and b are frozen and get nothing).
        for index in stride(from: l.down, to: parameterCount, by: 3) {
            params[index] += h; let plus = naiveLoss(l, params, x, selection, r, routerWeights)
            params[index] -= 2 * h; let minus = naiveLoss(l, params, x, selection, r, routerWeights)
            params[index] += h
            check(gradient[index], plus, minus, "parameter \(index)")
        }
        #expect(gradient[0..<l.down].allSatisfy { $0 == 0 }, "frozen W and b get no gradient")
        for index in x.indices {
            x[index] += h; let plus = naiveLoss(l, params, x, selection, r, routerWeights)
            x[index] -= 2 * h; let minus = naiveLoss(l, params, x, selection, r, routerWeights)
            x[index] += h
            check(dx[index], plus, minus, "input \(index)")
        }
        for slot in 0..<(batch * slots) where selection.experts[slot] >= 0 {
            selection.weights[slot] += h; let plus = naiveLoss(l, params, x, selection, r, routerWeights)
            selection.weights[slot] -= 2 * h; let minus = naiveLoss(l, params, x, selection, r, routerWeights)
            selection.weights[slot] += h
            check(dw[slot], plus, minus, "slot weight \(slot)")
        }
        // Expert 3 was never selected: its adapters get no gradient.
        let unusedDown = (l.down + 3 * rank * inputs)..<(l.down + 4 * rank * inputs)
        #expect(gradient[unusedDown].allSatisfy { $0 == 0 })
    }
}
