import FedCore
import FedModels
import Foundation
import Testing

/// Adam against its formula written out for two steps by hand, with a parameter group of its own
/// step size: the first step of Adam moves every scalar by about ±η (m̂/√v̂ = ±1), so the group's
/// scalars move by their own rate and the rest by the base rate.
@Suite struct AdamTests {
    @Test func twoSteps_matchTheFormula_withAGroupRate() {
        var adam = Adam(settings: Adam.Settings(learningRate: 0.1), parameterCount: 4)
        var w: [Float] = [1, 2, 3, 4]
        let g1: [Float] = [0.5, -2, 1, 3], g2: [Float] = [1, 1, -1, 0]
        let group = [(range: 1..<3, rate: Float(0.01))]
        adam.step(parameters: &w, gradient: g1, rates: group)
        adam.step(parameters: &w, gradient: g2, rates: group)
        for i in 0..<4 {
            let rate = (1..<3).contains(i) ? 0.01 : 0.1
            var x = Double([1, 2, 3, 4][i]), m = 0.0, v = 0.0
            for (t, g) in [Double(g1[i]), Double(g2[i])].enumerated() {
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                let mHat = m / (1 - pow(0.9, Double(t + 1))), vHat = v / (1 - pow(0.999, Double(t + 1)))
                x -= rate * mHat / (vHat.squareRoot() + 1e-8)
            }
            #expect(abs(Double(w[i]) - x) < 1e-5, "scalar \(i): \(w[i]) vs \(x)")
        }
    }
}
