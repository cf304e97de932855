/// Client-side evaluation (DESIGN §10): when test data lives on the clients, each client reports
/// its metric as a sum over its own examples with their count, and the coordinator combines the
/// reports of a round into count-weighted means.
///
/// Reports ride in an update's metrics under `eval:<metric>:sum` and `eval:<metric>:count`, so no
/// message type changes and any workload can report any metric.
public enum ClientEvaluation {
    /// The phase of the evaluation-only exchange after the last round.
    public static let phase = "evaluate"
    /// Task config key marking an evaluation-only task.
    public static let evaluateOnlyKey = "evaluate_only"

    /// Adds a client's `mean` over `count` of its examples to `metrics`.
    public static func report(_ metric: String, mean: Double, count: Int, into metrics: inout [String: Double]) {
        metrics["eval:\(metric):sum"] = count > 0 ? mean * Double(count) : 0
        metrics["eval:\(metric):count"] = Double(count)
    }

    /// The count a client reported for `metric` (nil when it reported none).
    public static func count(of metric: String, in metrics: [String: Double]) -> Double? { metrics["eval:\(metric):count"] }

    /// Why a client's reports cannot be right (negative or fractional counts, a mean accuracy
    /// outside [0, 1]), or nil when they are plausible.
    public static func problem(in metrics: [String: Double]) -> String? {
        for (key, count) in metrics where key.hasPrefix("eval:") && key.hasSuffix(":count") {
            guard count >= 0, count == count.rounded(), count < 1e12 else { return "\(key) is \(count), not a count" }
            let metric = key.dropFirst(5).dropLast(6)
            guard let sum = metrics["eval:\(metric):sum"], sum.isFinite else { return "eval:\(metric):sum is missing or not finite" }
            if metric.hasSuffix("accuracy") && (sum < 0 || sum > count + 1e-6) {
                return "eval:\(metric):sum \(sum) is not a number of correct answers out of \(count)"
            }
        }
        return nil
    }

    /// Count-weighted means of every reported metric, folded in the order given (client-id order),
    /// plus `<metric>_count` totals; a metric nobody reported any example for is NaN.
    public static func combine(_ reports: [[String: Double]]) -> [String: Double] {
        var sums = [String: Double](), counts = [String: Double]()
        for metrics in reports {
            for key in metrics.keys.sorted() where key.hasPrefix("eval:") && key.hasSuffix(":count") {
                let metric = String(key.dropFirst(5).dropLast(6))
                counts[metric, default: 0] += metrics[key] ?? 0
                sums[metric, default: 0] += metrics["eval:\(metric):sum"] ?? 0
            }
        }
        var combined = [String: Double]()
        for (metric, count) in counts {
            combined[metric] = count > 0 ? (sums[metric] ?? 0) / count : .nan
            combined["\(metric)_count"] = count
        }
        return combined
    }
}
