import FedAlgorithms
import FedCore
import FedWire
import Foundation

/// Client-side evaluation (DESIGN §10): when the test data lives on the clients, their reports
/// (sums and counts in each update's metrics) become the run's evaluation columns.
extension Coordinator {
    /// The run's evaluation from the accepted updates of one exchange, count-weighted.
    func clientEvaluation(_ updates: [ClientUpdate]) -> BackgroundEvaluator.Result {
        let combined = ClientEvaluation.combine(updates.map(\.metrics))
        var metrics = [String: Double]()
        for name in ["test_accuracy", "test_loss"] + workload.model.evaluationMetricNames {
            metrics[name] = combined[name] ?? .nan
        }
        if let counted = workload.model.clientEvaluationCountColumn {
            metrics[counted.column] = combined["\(counted.metric)_count"] ?? 0
        }
        return BackgroundEvaluator.Result(metrics: metrics, seconds: 0)
    }

    /// After the last round: every available client evaluates the final state (the algorithm's
    /// evaluation-only tasks); nil when the algorithm has none. Waits at most one round time-out.
    func finalClientEvaluation(_ state: ServerState) -> BackgroundEvaluator.Result? {
        let clients = registry.availableClients
        guard !clients.isEmpty, let plan = algorithm.evaluationPlan(round: round + 1, clients: clients, state: state) else { return nil }
        let lastRound = round
        defer {
            round = lastRound
            phase = ""
        }
        round = lastRound + 1
        attempt = 0
        events.record("final_evaluation", ["after_round": lastRound, "clients": clients.count])
        exchange(plan, awaiting: plan.tasks.map(\.clientID))
        let answered = received.keys.sorted().compactMap { received[$0] }
        if answered.count < clients.count {
            events.record("final_evaluation_partial", ["answered": answered.count, "asked": clients.count])
        }
        return clientEvaluation(answered)
    }

    /// Why a client's evaluation report cannot be right, or nil: counts must be the client's own
    /// counts of held-out examples (nodes, users) and accuracies fractions of them. Workloads whose
    /// clients report only on some rounds may send no report at all; a report, when sent, is whole.
    func evaluationProblem(_ update: ClientUpdate, client: Int) -> String? {
        guard let expected = workload.clientEvaluationCounts, client < expected.count else { return nil }
        if let problem = ClientEvaluation.problem(in: update.metrics) { return problem }
        let reports = update.metrics.keys.contains { $0.hasPrefix("eval:") }
        if !reports && workload.clientEvaluationIsPeriodic && phase != ClientEvaluation.phase { return nil }
        for (metric, count) in expected[client].sorted(by: { $0.key < $1.key }) {
            let reported = ClientEvaluation.count(of: metric, in: update.metrics)
            guard reported == Double(count) else {
                return "reports \(reported.map { "\(Int($0))" } ?? "no") \(metric) examples; it holds \(count)"
            }
        }
        return nil
    }
}
