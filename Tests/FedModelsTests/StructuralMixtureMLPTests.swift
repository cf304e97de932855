import FedCore
@testable import FedModels
import Testing

/// S'MoRE on the frozen toy base (spec §4.11 claims 1 and 4): the whole model's hand-written gradient
/// against central differences for both gates (switch with its balance loss, dense), away from top-f
/// ties; the `w_final_zero` start equals the frozen base exactly; the layout's names, roles and size.
@Suite struct StructuralMixtureMLPTests {
    typealias Gate = StructuralMixtureLayer.Gate

    /// Small and uneven on purpose: 4 and 3 experts, ranks 2 and 3, so no index can stand in for another.
    static func model(_ gate: Gate) -> StructuralMixtureMLP {
        var settings = StructuralMixtureMLP.Settings()
        settings.experts = [4, 3]
        settings.fanout = [2, 2]
        settings.ranks = [2, 3]
        settings.gate = gate
        settings.gateWidth = 3
        settings.downWidth = 4
        settings.auxiliary = 0.05
        return StructuralMixtureMLP(inputs: 6, hidden: 5, classes: 3, settings: settings, baseSeed: 7)
    }

    /// Every trainable tensor random and non-zero (W_proj included, so every path carries gradient).
    static func parameters(_ model: StructuralMixtureMLP) -> [Float] {
        var rng = RNGStream(seed: 8, purpose: .custom)
        var flat = model.initialParameters(rng: &rng)
        for entry in model.layout.entries where entry.role != .frozen {
            for i in entry.offset..<(entry.offset + entry.count) { flat[i] = Float(rng.nextGaussian() * 0.6) }
        }
        return flat
    }

    static let batch = 5
    static func data(seed: UInt64) -> (x: [Float], labels: [Int32]) {
        var rng = RNGStream(seed: seed, purpose: .custom)
        return ((0..<(batch * 6)).map { _ in Float(rng.nextGaussian()) }, (0..<batch).map { _ in Int32(rng.nextInt(below: 3)) })
    }

    static func loss(_ model: StructuralMixtureMLP, _ params: [Float], _ data: (x: [Float], labels: [Int32]),
                     workspace: ModelWorkspace) -> (Float, [Float]) {
        var gradient = [Float](repeating: 0, count: params.count)
        let value = params.withUnsafeBufferPointer { p in
            data.x.withUnsafeBufferPointer { xs in
                data.labels.withUnsafeBufferPointer { ls in
                    gradient.withUnsafeMutableBufferPointer {
                        model.lossAndGradient(parameters: p, x: xs.baseAddress!, labels: ls.baseAddress!, batch: batch, gradient: $0, workspace: workspace)
                    }
                }
            }
        }
        return (value, gradient)
    }

    /// After a forward in `workspace`: the hidden ReLU signs, every routed tree and every gate's ReLU
    /// signs. Where a step changes any of them the loss has a kink or a jump and no derivative.
    static func pattern(_ model: StructuralMixtureMLP, workspace: ModelWorkspace) -> [Int] {
        let s = model.scratch(workspace)
        var signs = (0..<(batch * model.hidden)).map { workspace.activations[0][$0] > 0 ? 1 : 0 }
        for cache in s.layers {
            for e in 0..<batch {
                signs += cache.trees[e].expert + [-1]
                for call in cache.calls[e] { signs += call.cache.hidden.map { $0 > 0 ? 1 : 0 } }
            }
        }
        return signs
    }

    /// The smallest gap p_(f) − p_(f+1) between the last kept and the first dropped expert over every
    /// switch-gate call of the last forward (infinite for the dense gate, which keeps all).
    static func routingMargin(_ model: StructuralMixtureMLP, workspace: ModelWorkspace) -> Double {
        var margin = Double.infinity
        for (layer, cache) in zip(model.layers, model.scratch(workspace).layers) {
            for e in 0..<batch {
                for call in cache.calls[e] where layer.gates[call.level].kept < layer.gates[call.level].experts {
                    let sorted = call.cache.p.sorted(by: >), f = layer.gates[call.level].kept
                    margin = min(margin, sorted[f - 1] - sorted[f])
                }
            }
        }
        return margin
    }

    @Test(arguments: Gate.allCases)
    func gradients_matchCentralDifferences_forEveryTensor(gate: Gate) {
        Matmul.setThreadCount(1)
        let model = Self.model(gate)
        var params = Self.parameters(model)
        let workspace = model.makeWorkspace(batchCapacity: Self.batch)
        // Inputs whose every switch-gate call keeps its top f well clear of the next expert.
        let seed = (1...200).first { seed -> Bool in
            _ = Self.loss(model, params, Self.data(seed: UInt64(seed)), workspace: workspace)
            return Self.routingMargin(model, workspace: workspace) > 0.02
        } ?? 0
        #expect(seed > 0, "no batch away from top-f ties")
        let data = Self.data(seed: UInt64(seed))
        let (_, gradient) = Self.loss(model, params, data, workspace: workspace)
        #expect(Self.routingMargin(model, workspace: workspace) > 0.02)
        let usages = model.scratch(workspace).layers.map { $0.expertUsage(batch: Self.batch, experts: model.settings.experts) }
        /// How many nodes chose the expert a tensor `adapter<k>.level<l>.expert<n>.…` belongs to (nil: not an expert's).
        func usage(of name: String) -> Int? {
            let parts = name.split(separator: ".")
            guard parts.count == 4, parts[0].hasPrefix("adapter"), let k = Int(parts[0].dropFirst(7)), let l = Int(parts[1].dropFirst(5)),
                  let n = Int(parts[2].dropFirst(6)) else { return nil }
            return usages[k - 1][l][n]
        }
        #expect(usages.flatMap { $0.flatMap { $0 } }.contains(0) == (gate == .switch), "a switch batch this small leaves some expert out")
        if gate == .switch { #expect(model.scratch(workspace).layers.allSatisfy { $0.auxiliaryLoss > 0 }, "the balance loss is on") }
        let h: Float = 2e-3
        var checked = 0, skipped = 0
        for entry in model.layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            if entry.role == .frozen {
                #expect(gradient[range].allSatisfy { $0 == 0 }, "frozen \(entry.name) got a gradient")
                continue
            }
            // An expert no node of the batch chose gets exactly nothing; every other tensor gets something.
            if usage(of: entry.name) == 0 {
                #expect(gradient[range].allSatisfy { $0 == 0 }, "\(gate) unused \(entry.name) got a gradient")
            } else {
                #expect(gradient[range].contains { abs($0) > 1e-6 }, "\(gate) \(entry.name) gets no gradient")
            }
            var checkedHere = 0
            for index in range {
                params[index] += h
                let plus = Self.loss(model, params, data, workspace: workspace).0, patternPlus = Self.pattern(model, workspace: workspace)
                params[index] -= 2 * h
                let minus = Self.loss(model, params, data, workspace: workspace).0, patternMinus = Self.pattern(model, workspace: workspace)
                params[index] += h
                if patternPlus != patternMinus { skipped += 1; continue }
                let numeric = Double(plus - minus) / Double(2 * h)
                #expect(abs(numeric - Double(gradient[index])) < 2e-3 + 2e-2 * abs(numeric),
                        "\(gate) \(entry.name)[\(index - entry.offset)]: \(numeric) vs \(gradient[index])")
                checkedHere += 1
            }
            #expect(checkedHere > 0, "\(entry.name): every entry skipped")
            checked += checkedHere
        }
        #expect(checked > 1_000 && skipped <= checked / 50, "\(checked) checked, \(skipped) skipped at ReLU kinks")
    }

    @Test(arguments: Gate.allCases, StructuralMixtureMLP.Initialisation.allCases)
    func wFinalZero_startsExactlyAtTheFrozenBase(gate: Gate, initialisation: StructuralMixtureMLP.Initialisation) {
        var settings = StructuralMixtureMLP.Settings()
        settings.gate = gate
        settings.initialisation = initialisation
        let model = StructuralMixtureMLP(settings: settings, baseSeed: 21)
        var rng = RNGStream(seed: 22, purpose: .parameterInit)
        let params = model.initialParameters(rng: &rng)
        let batch = 9
        var dataRNG = RNGStream(seed: 23, purpose: .custom)
        let x = (0..<(batch * 32)).map { _ in Float(dataRNG.nextGaussian() * 2) }
        let workspace = model.makeWorkspace(batchCapacity: batch)
        let logits: [Float] = params.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in
                let out = model.forward(parameters: p, x: xs.baseAddress!, batch: batch, workspace: workspace)
                return Array(UnsafeBufferPointer(start: out, count: batch * 10))
            }
        }
        // The base alone, from the base tensors: relu(x W1ᵀ + b1) W2ᵀ + b2, the same BLAS calls.
        let base = model.baseParameters()
        var hidden = [Float](repeating: 0, count: batch * 64), expected = [Float](repeating: 0, count: batch * 10)
        Matmul.gemm(.none, .transposed, m: batch, n: 64, k: 32, a: x, b: base[0].weight, c: &hidden)
        for i in hidden.indices { hidden[i] = max(hidden[i] + base[0].bias[i % 64], 0) }
        Matmul.gemm(.none, .transposed, m: batch, n: 10, k: 64, a: hidden, b: base[1].weight, c: &expected)
        for i in expected.indices { expected[i] += base[1].bias[i % 10] }
        #expect(logits == expected)
        #expect(expected.contains { $0 != 0 })
    }

    @Test func layout_namesRolesAndSize_matchMixLoRA() {
        let smore = StructuralMixtureMLP(baseSeed: 1)
        let mixLoRA = AdapterMLP(experts: 8, rank: 4, routing: .learned(topK: 2, auxiliary: 0.01), baseSeed: 1)
        let lora = AdapterMLP(experts: 1, rank: 32, routing: .single, baseSeed: 1)
        print("trainable: S'MoRE \(smore.layout.trainableCount), MixLoRA(8, r4) \(mixLoRA.layout.trainableCount), LoRA r32 \(lora.layout.trainableCount)")
        // Hand counts (see StructuralMixtureMLP's note): trees 2,048 + 1,642, routers 1,072 + 1,584.
        #expect(smore.layout.trainableCount == 6_346 && mixLoRA.layout.trainableCount == 6_208 && lora.layout.trainableCount == 5_536)
        #expect(abs(Double(smore.layout.trainableCount) / Double(mixLoRA.layout.trainableCount) - 1) < 0.1)
        // The spec's ranks [4, 4] with d_g = d_down = 8 would be 8,586 (trees) + 1,616 (routers): why the default ranks are [2, 2].
        var specRanks = StructuralMixtureMLP.Settings()
        specRanks.ranks = [4, 4]
        specRanks.downWidth = 8
        #expect(StructuralMixtureMLP(settings: specRanks, baseSeed: 1).layout.trainableCount == 10_202)
        for entry in smore.layout.entries {
            let base = ["base1.weight", "base1.bias", "base2.weight", "base2.bias"].contains(entry.name)
            #expect(entry.role == (base ? .frozen : .shared), "\(entry.name)")
            #expect(base || ["adapter1.", "adapter2.", "router1.", "router2."].contains { entry.name.hasPrefix($0) }, "\(entry.name)")
        }
        // Routing tensors are exactly the router* ones: D, e, and per level the gate MLP and keys.
        let routers = smore.layout.entries.filter { $0.name.hasPrefix("router") }.map(\.name)
        #expect(routers.count == 2 * (2 + 2 * 5) && routers.contains("router2.gate1.keys") && routers.contains("router1.down"))
        #expect(smore.layout.count(of: .frozen) == mixLoRA.layout.count(of: .frozen))
    }

    @Test func frozenBase_isTheSameAsAdapterMLPs_andAsItsOriginalRecipe() {
        let smore = StructuralMixtureMLP(baseSeed: 5)
        let mixLoRA = AdapterMLP(experts: 8, rank: 4, routing: .learned(topK: 2, auxiliary: 0.01), baseSeed: 5)
        var a = RNGStream(seed: 1, purpose: .parameterInit), b = RNGStream(seed: 2, purpose: .parameterInit)
        let first = smore.initialParameters(rng: &a), second = mixLoRA.initialParameters(rng: &b)
        for name in ["base1.weight", "base1.bias", "base2.weight", "base2.bias"] {
            let x = smore.layout.entry(named: name)!, y = mixLoRA.layout.entry(named: name)!
            #expect(first[x.offset..<(x.offset + x.count)] == second[y.offset..<(y.offset + y.count)], "\(name)")
        }
        // The recipe written out: one stream, Kaiming-normal weights layer by layer, zero biases.
        var rng = RNGStream(seed: 5, purpose: .parameterInit, client: 0xBA5E)
        let w1 = (0..<(64 * 32)).map { _ in Float(rng.nextGaussian() * (2.0 / 32).squareRoot()) }
        let w2 = (0..<(10 * 64)).map { _ in Float(rng.nextGaussian() * (2.0 / 64).squareRoot()) }
        let base = smore.baseParameters()
        #expect(base[0].weight == w1 && base[1].weight == w2 && base.allSatisfy { $0.bias.allSatisfy { $0 == 0 } })
        #expect(mixLoRA.baseParameters()[0].weight == w1)
    }

    @Test func usage_countsEveryNode_switchKeepsFanout_denseKeepsAll() {
        for gate in Gate.allCases {
            let model = Self.model(gate)
            let usage = model.expertUsage(parameters: Self.parameters(model), x: Self.data(seed: 3).x, batch: Self.batch)
            // Nodes per example: level 1 keeps f_1 (or s_1), level 0 keeps f_0 (or s_0) under each of them.
            let top = gate == .switch ? 2 : 3, bottom = top * (gate == .switch ? 2 : 4)
            for layer in usage {
                #expect(layer[1].reduce(0, +) == Self.batch * top && layer[0].reduce(0, +) == Self.batch * bottom, "\(gate) \(usage)")
            }
        }
    }
}
