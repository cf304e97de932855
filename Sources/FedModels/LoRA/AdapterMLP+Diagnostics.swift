import FedCore

/// Routing diagnostics on the test rows (spec §3.1, §3.9), for the mixture kinds:
/// - `ess_l1`, `ess_l2`: mean effective support size ‖π‖₁²/‖π‖₂² of the weights a layer applies:
///   MixLoRA's full softmax π (the "routing weight collapse" drives it to 1), ReMix's constant ω
///   on k LoRAs (k by construction); `router_ess_l*`: the same of ReMix's routing distribution q.
/// - `subsets_l*`: distinct inference subsets (top-k sets) over the test rows.
/// - `task_subset_mi_l*`: mutual information (nats) between the row's task (its tag) and its subset.
/// - `usage_l*_e*`: the share of test rows whose subset contains each expert.
extension AdapterMLP {
    public var evaluationMetricNames: [String] {
        guard routing != .single else { return [] }
        var names = [String]()
        for l in 1...2 {
            names += ["ess_l\(l)", "subsets_l\(l)", "task_subset_mi_l\(l)"]
            if case .reinforced = routing { names.append("router_ess_l\(l)") }
            names += (0..<experts).map { "usage_l\(l)_e\($0)" }
        }
        return names
    }

    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        let (loss, accuracy) = evaluate(parameters: parameters, on: data, workspace: workspace)
        var metrics = ["test_loss": loss, "test_accuracy": accuracy]
        guard routing != .single, data.count > 0 else { return metrics }
        var ess = [0.0, 0.0], routerESS = [0.0, 0.0]
        var usage = [[Double]](repeating: [Double](repeating: 0, count: experts), count: 2)
        var joint = [[String: Int]](repeating: [:], count: 2)
        let tagged = data.domains.count == data.count
        forEachEvaluationBatch(parameters: parameters, on: data, workspace: workspace) { start, batch, _, _, space in
            let s = scratch(space)
            for l in 0..<2 {
                let k = s.selections[l].slots
                for row in 0..<batch {
                    let q = SubsetRouting.softmax(s.logits[l] + row * experts, count: experts)
                    let concentration = 1 / q.reduce(0) { $0 + $1 * $1 }
                    if case .reinforced = routing {
                        ess[l] += Double(k)
                        routerESS[l] += concentration
                    } else {
                        ess[l] += concentration
                    }
                    let subset = (0..<k).map { Int(s.selections[l].experts[row * k + $0]) }.sorted()
                    for expert in subset { usage[l][expert] += 1 }
                    let task = tagged ? Int(data.domains[start + row]) : 0
                    joint[l]["\(task)|" + subset.map(String.init).joined(separator: ","), default: 0] += 1
                }
            }
        }
        let n = Double(data.count)
        for l in 0..<2 {
            metrics["ess_l\(l + 1)"] = ess[l] / n
            if case .reinforced = routing { metrics["router_ess_l\(l + 1)"] = routerESS[l] / n }
            for e in 0..<experts { metrics["usage_l\(l + 1)_e\(e)"] = usage[l][e] / n }
            var taskCounts = [String: Int](), subsetCounts = [String: Int]()
            for (key, count) in joint[l] {
                let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                taskCounts[parts[0], default: 0] += count
                subsetCounts[parts[1], default: 0] += count
            }
            metrics["subsets_l\(l + 1)"] = Double(subsetCounts.count)
            // Sorted keys: a dictionary's iteration order varies between instances, a sum's must not.
            var information = 0.0
            for (key, count) in joint[l].sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                let pJoint = Double(count) / n
                information += pJoint * libmLog(pJoint / (Double(taskCounts[parts[0]]!) / n * Double(subsetCounts[parts[1]]!) / n))
            }
            metrics["task_subset_mi_l\(l + 1)"] = max(information, 0)
        }
        return metrics
    }
}
