import FedCore
import FedModels
import Testing

/// The frozen-base adapter network: gradients of plain LoRA and MixLoRA (router path and the
/// load-balancing loss included) against central differences, ReMix's LoRA path against central
/// differences under the same draws, and the frozen base untouched.
@Suite struct AdapterMLPTests {
    static func model(_ routing: AdapterMLP.Routing, experts: Int = 4) -> AdapterMLP {
        AdapterMLP(inputs: 6, hidden: 5, classes: 3, experts: routing == .single ? 1 : experts, rank: 2, routing: routing, baseSeed: 7)
    }

    /// Parameters with non-zero B (so every path carries signal) and spread-out routers.
    static func parameters(_ model: AdapterMLP) -> [Float] {
        var rng = RNGStream(seed: 8, purpose: .custom)
        var flat = model.initialParameters(rng: &rng)
        for entry in model.layout.entries where !entry.name.hasPrefix("base") {
            for i in entry.offset..<(entry.offset + entry.count) { flat[i] = Float(rng.nextGaussian() * (entry.name.hasPrefix("router") ? 1.0 : 0.5)) }
        }
        return flat
    }

    static let batch = 7
    static func data() -> (x: [Float], labels: [Int32]) {
        var rng = RNGStream(seed: 9, purpose: .custom)
        return ((0..<(batch * 6)).map { _ in Float(rng.nextGaussian()) }, (0..<batch).map { _ in Int32(rng.nextInt(below: 3)) })
    }

    static func loss(_ model: AdapterMLP, _ params: [Float], seed: UInt64 = 1) -> (Float, [Float]) {
        let (x, labels) = data()
        let workspace = model.makeWorkspace(batchCapacity: batch)
        workspace.stepRandomness = RNGStream(seed: seed, purpose: .localTraining)
        var gradient = [Float](repeating: 0, count: params.count)
        let value = params.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in
                labels.withUnsafeBufferPointer { ls in
                    gradient.withUnsafeMutableBufferPointer {
                        model.lossAndGradient(parameters: p, x: xs.baseAddress!, labels: ls.baseAddress!, batch: batch, gradient: $0, workspace: workspace)
                    }
                }
            }
        }
        return (value, gradient)
    }

    /// The signs of the hidden pre-activations and the routed experts: where a step changes either,
    /// the loss has a kink or a jump and no derivative to compare.
    static func pattern(_ model: AdapterMLP, _ params: [Float]) -> [Int32] {
        let x = data().x
        let workspace = model.makeWorkspace(batchCapacity: batch)
        let signs: [Int32] = params.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { xs in
                _ = model.forward(parameters: p, x: xs.baseAddress!, batch: batch, workspace: workspace)
                return (0..<(batch * model.hidden)).map { workspace.activations[0][$0] > 0 ? 1 : 0 }
            }
        }
        return signs + model.routedExperts(parameters: params, x: x, batch: batch).flatMap { $0 }
    }

    func gradientCheck(_ routing: AdapterMLP.Routing, only prefixes: [String], step h: Float = 1e-2) {
        Matmul.setThreadCount(1)
        let model = Self.model(routing)
        var params = Self.parameters(model)
        let (_, gradient) = Self.loss(model, params)
        var checked = 0, skipped = 0
        for entry in model.layout.entries where prefixes.contains(where: { entry.name.hasPrefix($0) }) {
            for index in stride(from: entry.offset, to: entry.offset + entry.count, by: 2) {
                params[index] += h; let plus = Self.loss(model, params).0, patternPlus = Self.pattern(model, params)
                params[index] -= 2 * h; let minus = Self.loss(model, params).0, patternMinus = Self.pattern(model, params)
                params[index] += h
                if patternPlus != patternMinus { skipped += 1; continue }
                let numeric = Double(plus - minus) / Double(2 * h)
                #expect(abs(numeric - Double(gradient[index])) < 5e-3 + 2e-2 * abs(numeric), "\(routing) \(entry.name)[\(index - entry.offset)]: \(numeric) vs \(gradient[index])")
                checked += 1
            }
        }
        #expect(checked > 10 && skipped <= checked / 10, "\(checked) checked, \(skipped) skipped at ReLU kinks and top-k ties")
        for entry in model.layout.entries where entry.name.hasPrefix("base") {
            #expect(gradient[entry.offset..<(entry.offset + entry.count)].allSatisfy { $0 == 0 }, "frozen \(entry.name) got a gradient")
        }
    }

    @Test func plainLoRA_gradientsMatchCentralDifferences() { gradientCheck(.single, only: ["adapter"]) }

    @Test func mixLoRA_gradientsMatchCentralDifferences_routersAndBalanceLossIncluded() {
        gradientCheck(.learned(topK: 2, auxiliary: 0.05), only: ["adapter", "router"], step: 2e-3)
    }

    /// ReMix's LoRA path under fixed draws (the same stream for every evaluation). Its routers learn
    /// only through the leave-one-out estimator, which `SubsetRoutingTests` checks.
    @Test func remix_loraPathMatchesCentralDifferencesUnderTheSameDraws() { gradientCheck(.reinforced(topK: 2, selections: 3), only: ["adapter"]) }

    @Test func remix_routerGradient_isTheLeaveOneOutEstimate_andVanishesWithoutSpread() {
        let model = Self.model(.reinforced(topK: 2, selections: 4))
        let params = Self.parameters(model)
        let (_, gradient) = Self.loss(model, params)
        let router = model.layout.entries.filter { $0.name.hasPrefix("router") }
        #expect(router.contains { entry in gradient[entry.offset..<(entry.offset + entry.count)].contains { $0 != 0 } })
        // With the adapters' B at zero every selection gives the same loss: the estimate is exactly 0.
        var flat = params
        for entry in model.layout.entries where entry.name.hasSuffix(".up") {
            for i in entry.offset..<(entry.offset + entry.count) { flat[i] = 0 }
        }
        let (_, quiet) = Self.loss(model, flat)
        for entry in router { #expect(quiet[entry.offset..<(entry.offset + entry.count)].allSatisfy { $0 == 0 }) }
    }

    @Test func initialParameters_startAtTheFrozenBase_withTheBaseFromItsSeedAlone() {
        let model = Self.model(.learned(topK: 2, auxiliary: 0.01))
        var a = RNGStream(seed: 1, purpose: .parameterInit), b = RNGStream(seed: 2, purpose: .parameterInit)
        let first = model.initialParameters(rng: &a), second = model.initialParameters(rng: &b)
        for entry in model.layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            if entry.name.hasPrefix("base") { #expect(first[range] == second[range], "\(entry.name) must not depend on the stream") }
            if entry.name.hasSuffix(".up") { #expect(first[range].allSatisfy { $0 == 0 }, "B starts at zero: the adapters start at the base") }
        }
        #expect(model.layout.count(of: .frozen) == 6 * 5 + 5 + 5 * 3 + 3)
    }
}

/// Routing diagnostics on hand-checkable routers.
@Suite struct AdapterDiagnosticsTests {
    @Test(arguments: ["mixlora", "remix"])
    func uniformRouters_haveFullSupport_oneSubset_andNoTaskInformation(kind: String) {
        let routing: AdapterMLP.Routing = kind == "mixlora" ? .learned(topK: 2, auxiliary: 0.01) : .reinforced(topK: 2, selections: 2)
        let model = AdapterMLP(inputs: 32, hidden: 8, classes: 10, experts: 4, rank: 2, routing: routing, baseSeed: 3)
        var rng = RNGStream(seed: 4, purpose: .parameterInit)
        var parameters = model.initialParameters(rng: &rng)
        for entry in model.layout.entries where entry.name.hasPrefix("router") {
            for i in entry.offset..<(entry.offset + entry.count) { parameters[i] = 0 }
        }
        let rows = SkillTeacher.rows(SkillTeacher.structure(student: model, seed: 5), count: 320, seed: 5, part: 1)
        let metrics = model.evaluationMetrics(parameters: parameters, on: rows.data, workspace: nil)
        // Uniform q over 4 experts: ESS 4 for MixLoRA's π; ReMix applies ω to k = 2; top-k ties pick {0, 1}.
        #expect(metrics["ess_l1"] == (kind == "mixlora" ? 4 : 2) && metrics["ess_l2"] == (kind == "mixlora" ? 4 : 2))
        if kind == "remix" { #expect(abs((metrics["router_ess_l1"] ?? 0) - 4) < 1e-9) }
        #expect(metrics["subsets_l1"] == 1 && metrics["task_subset_mi_l1"] == 0)
        #expect(metrics["usage_l1_e0"] == 1 && metrics["usage_l1_e1"] == 1 && metrics["usage_l1_e2"] == 0)
        #expect(Set(model.evaluationMetricNames).isSuperset(of: metrics.keys.filter { !$0.hasPrefix("test_") }))
    }

    @Test func routersThatFollowTheTask_carryInformationAboutIt() {
        let model = AdapterMLP(inputs: 32, hidden: 8, classes: 10, experts: 4, rank: 2, routing: .learned(topK: 1, auxiliary: 0), baseSeed: 3)
        var rng = RNGStream(seed: 4, purpose: .parameterInit)
        var parameters = model.initialParameters(rng: &rng)
        let structure = SkillTeacher.structure(student: model, seed: 5)
        // Router 1's expert e points at task e's centre: rows of tasks 0–3 mostly pick their own expert.
        let router = model.layout.entries.first { $0.name == "router1" }!
        for e in 0..<4 { for i in 0..<32 { parameters[router.offset + e * 32 + i] = structure.centres[e][i] } }
        let rows = SkillTeacher.rows(structure, count: 320, seed: 5, part: 1)
        let metrics = model.evaluationMetrics(parameters: parameters, on: rows.data, workspace: nil)
        #expect((metrics["task_subset_mi_l1"] ?? 0) > 0.3, "\(metrics["task_subset_mi_l1"] ?? -1)")
        #expect(metrics["subsets_l1"] == 4)
    }
}
