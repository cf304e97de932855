import FedCore
import FedModels
import Testing

/// S'MoRE's switch gate (spec §4.4 gate backward, claim 1): α sums to one over the kept experts, and
/// the backward matches central differences for the MLP, the keys and the gate input (whose key part
/// is the ancestors' keys), away from top-f changes and ReLU kinks.
@Suite struct SwitchGateTests {
    @Test func backward_matchesCentralDifferences_awayFromTiesAndKinks() {
        let gate = SwitchGate(inputs: 7, width: 5, experts: 4, kept: 2)
        var rng = RNGStream(seed: 31, purpose: .custom)
        var p = (0..<gate.count).map { _ in Float(rng.nextGaussian() * 0.8) }
        var u = (0..<7).map { _ in Float(rng.nextGaussian()) }
        let weights = (0..<4).map { _ in Float(rng.nextGaussian()) }
        /// L = Σ over kept experts of weights[e]·α_e.
        func evaluate() -> (Double, SwitchGate.Cache) {
            let cache = p.withUnsafeBufferPointer { ps in u.withUnsafeBufferPointer { gate.forward(ps.baseAddress!, input: $0.baseAddress!) } }
            return (zip(cache.chosen, cache.alpha).reduce(0.0) { $0 + Double(weights[$1.0]) * Double($1.1) }, cache)
        }
        let (_, cache) = evaluate()
        #expect(abs(cache.alpha.reduce(0, +) - 1) < 1e-6 && cache.chosen.count == 2)
        var gradient = [Float](repeating: 0, count: gate.count)
        let du = p.withUnsafeBufferPointer { ps in
            u.withUnsafeBufferPointer { us in
                gradient.withUnsafeMutableBufferPointer {
                    gate.backward(ps.baseAddress!, input: us.baseAddress!, cache: cache, dAlpha: cache.chosen.map { weights[$0] }, gradient: $0.baseAddress!)
                }
            }
        }
        let h: Float = 1e-3
        var checked = 0, skipped = 0
        func compare(_ analytic: Float, _ what: String, _ bump: (Float) -> Void) {
            bump(h); let (plus, cachePlus) = evaluate()
            bump(-2 * h); let (minus, cacheMinus) = evaluate()
            bump(h)
            let kinks = zip(cachePlus.hidden, cacheMinus.hidden).contains { ($0 > 0) != ($1 > 0) }
            guard cachePlus.chosen == cacheMinus.chosen, !kinks else { skipped += 1; return }
            let numeric = (plus - minus) / Double(2 * h)
            #expect(abs(numeric - Double(analytic)) < 1e-3 + 1e-2 * abs(numeric), "\(what): \(numeric) vs \(analytic)")
            checked += 1
        }
        for index in 0..<gate.count { compare(gradient[index], "parameter \(index)") { p[index] += $0 } }
        for index in u.indices { compare(du[index], "input \(index)") { u[index] += $0 } }
        #expect(checked > 80 && skipped < checked / 10, "\(checked) checked, \(skipped) skipped")
    }
}
