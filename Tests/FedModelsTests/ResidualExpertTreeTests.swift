import FedCore
import FedModels
import Testing

/// S'MoRE's residual-expert tree (spec §4.11 claims 1–4): the `eq_1_layer` identity, structural
/// flexibility by enumerating all 216 trees, the zero start of `w_final_zero`, and the hand-written
/// backward against central differences.
@Suite struct ResidualExpertTreeTests {
    static func randomParameters(_ tree: ResidualExpertTree, seed: UInt64, scale: Double = 0.5) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .custom)
        return (0..<tree.offsets.count).map { _ in Float(rng.nextGaussian() * scale) }
    }

    static func input(_ count: Int, seed: UInt64 = 99) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .custom)
        return (0..<count).map { _ in Float(rng.nextGaussian()) }
    }

    /// Top experts `top`, each with its two children, every α = 1.
    static func tree(top: [Int], children: [[Int]]) -> ResidualExpertTree.Tree {
        var t = ResidualExpertTree.Tree()
        let parents = top.map { t.add(layer: 1, expert: $0, alpha: 1, parent: nil) }
        for (parent, kids) in zip(parents, children) { for kid in kids { t.add(layer: 0, expert: kid, alpha: 1, parent: parent) } }
        return t
    }

    static func forward(_ layer: ResidualExpertTree, _ p: [Float], _ x: [Float], _ t: ResidualExpertTree.Tree) -> (y: [Float], top: [Float]) {
        var y = [Float](repeating: 0, count: layer.outputs)
        let cache = p.withUnsafeBufferPointer { ps in
            x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { layer.forward(ps.baseAddress!, x: xs.baseAddress!, tree: t, y: $0.baseAddress!) } }
        }
        return (y, cache.top)
    }

    @Test func eqOneLayerInitialisation_equalsAOneLayerMixture() {
        let r = 2, d = 5
        let layer = ResidualExpertTree(inputs: d, outputs: 3, experts: [4, 4], ranks: [r, r], activation: .identity)
        var p = Self.randomParameters(layer, seed: 1)
        let o = layer.offsets
        // Zero biases, then the eq_1_layer weights.
        for l in 0..<2 {
            for n in 0..<4 {
                for i in 0..<r { p[o.downBias[l][n] + i] = 0 }
                for i in 0..<layer.widths[l + 1] { p[o.upBias[l][n] + i] = 0 }
            }
        }
        for i in 0..<layer.widths[2] { p[o.mixBias[1] + i] = 0 }
        p.withUnsafeMutableBufferPointer { layer.oneLayerEquivalent($0.baseAddress!) }
        let x = Self.input(d)
        let top = Self.forward(layer, p, x, Self.tree(top: [3, 1], children: [[3, 2], [0, 1]])).top
        func ax(_ l: Int, _ n: Int) -> [Float] {
            (0..<r).map { q in (0..<d).reduce(Float(0)) { $0 + p[o.down[l][n] + q * d + $1] * x[$1] } }
        }
        let expected = [Float](repeating: 0, count: r) + ax(1, 1) + [Float](repeating: 0, count: r) + ax(1, 3) + ax(0, 0) + ax(0, 1) + ax(0, 2) + ax(0, 3)
        #expect(top.count == 8 * r)
        for (got, want) in zip(top, expected) { #expect(abs(got - want) < 1e-5, "\(top) vs \(expected)") }
    }

    /// All 6 top pairs × 6² child pairs: 216 trees, all distinct with tanh (to 1e−6 in Float), fewer with
    /// the identity activation (swapping children between parents then changes nothing).
    @Test func allTwoHundredSixteenTrees_giveDistinctOutputs_onlyWithTheNonLinearity() {
        let pairs = (0..<4).flatMap { a in ((a + 1)..<4).map { [a, $0] } }
        var trees = [ResidualExpertTree.Tree]()
        for top in pairs { for left in pairs { for right in pairs { trees.append(Self.tree(top: top, children: [left, right])) } } }
        #expect(trees.count == 216)
        for (activation, distinctExpected) in [(ResidualExpertTree.Activation.tanh, true), (.identity, false)] {
            let layer = ResidualExpertTree(inputs: 6, outputs: 4, experts: [4, 4], ranks: [2, 2], activation: activation)
            let p = Self.randomParameters(layer, seed: 2), x = Self.input(6)
            let outputs = trees.map { Self.forward(layer, p, x, $0).top }
            var distinct = [[Float]]()
            for output in outputs where !distinct.contains(where: { zip($0, output).map { abs($0 - $1) }.max()! < 1e-6 }) { distinct.append(output) }
            if distinctExpected { #expect(distinct.count == 216, "tanh: \(distinct.count) distinct") } else { #expect(distinct.count < 216, "identity: \(distinct.count)") }
        }
    }

    @Test func zeroFinalProjection_startsAtTheFrozenLayer() {
        let layer = ResidualExpertTree(inputs: 6, outputs: 4, experts: [4, 4], ranks: [2, 2], activation: .tanh)
        var p = Self.randomParameters(layer, seed: 3)
        let o = layer.offsets
        for i in 0..<(layer.outputs * layer.widths[2] + layer.outputs) { p[o.projection + i] = 0 }
        let y = Self.forward(layer, p, Self.input(6), Self.tree(top: [0, 2], children: [[1, 3], [0, 2]])).y
        #expect(y.allSatisfy { $0 == 0 })
    }

    @Test func backward_matchesCentralDifferences_forParametersWeightsAndInput() {
        let layer = ResidualExpertTree(inputs: 5, outputs: 3, experts: [3, 4], ranks: [2, 3], activation: .tanh, scaling: 0.7)
        var p = Self.randomParameters(layer, seed: 4, scale: 0.4)
        var x = Self.input(5)
        var t = ResidualExpertTree.Tree()
        let a = t.add(layer: 1, expert: 2, alpha: 0.6, parent: nil), b = t.add(layer: 1, expert: 0, alpha: 0.4, parent: nil)
        t.add(layer: 0, expert: 1, alpha: 0.7, parent: a); t.add(layer: 0, expert: 2, alpha: 0.3, parent: a)
        t.add(layer: 0, expert: 1, alpha: 0.5, parent: b); t.add(layer: 0, expert: 0, alpha: 0.5, parent: b)
        let weights: [Float] = [0.3, -1.2, 0.8]
        func loss() -> Double { zip(Self.forward(layer, p, x, t).y, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        var gradient = [Float](repeating: 0, count: p.count), dx = [Float](repeating: 0, count: 5)
        let cache = p.withUnsafeBufferPointer { ps in
            x.withUnsafeBufferPointer { xs in
                var y = [Float](repeating: 0, count: 3)
                return y.withUnsafeMutableBufferPointer { layer.forward(ps.baseAddress!, x: xs.baseAddress!, tree: t, y: $0.baseAddress!) }
            }
        }
        let dAlpha = p.withUnsafeBufferPointer { ps in
            x.withUnsafeBufferPointer { xs in
                weights.withUnsafeBufferPointer { dy in
                    gradient.withUnsafeMutableBufferPointer { g in
                        dx.withUnsafeMutableBufferPointer { d in
                            layer.backward(ps.baseAddress!, x: xs.baseAddress!, tree: t, cache: cache, dy: dy.baseAddress!, gradient: g.baseAddress!, dx: d.baseAddress!)
                        }
                    }
                }
            }
        }
        let h: Float = 1e-2
        func central(_ bump: (Float) -> Void) -> Double {
            bump(h); let plus = loss(); bump(-2 * h); let minus = loss(); bump(h)
            return (plus - minus) / Double(2 * h)
        }
        var checked = 0
        for index in stride(from: 0, to: p.count, by: 3) {
            let numeric = central { p[index] += $0 }
            #expect(abs(numeric - Double(gradient[index])) < 2e-3 + 1e-2 * abs(numeric), "parameter \(index): \(numeric) vs \(gradient[index])")
            checked += 1
        }
        for node in t.alpha.indices {
            let numeric = central { t.alpha[node] += $0 }
            #expect(abs(numeric - Double(dAlpha[node])) < 2e-3 + 1e-2 * abs(numeric), "α of node \(node)")
        }
        for i in x.indices {
            let numeric = central { x[i] += $0 }
            #expect(abs(numeric - Double(dx[i])) < 2e-3 + 1e-2 * abs(numeric), "input \(i)")
        }
        #expect(checked > 50)
    }
}
