import FedReport
import FedRuntime
import Foundation

/// One benchmark workload run as `fedsim run` runs it: a launcher, a coordinator process and worker
/// processes over tcp loopback; figures read back from the run directory.
enum WorkloadBenchmark {
    static func run(name: String, topologyPath: String) throws {
        let topology = try RunHost.loadTopology(path: topologyPath)
        let directory = try RunDirectory.makeFresh(at: NSTemporaryDirectory() + "fedsim-bench-\(name.lowercased())")
        let start = Date()
        let outcome = try MultiProcessRun.run(topologyPath: topologyPath, topology: topology, runDirectory: directory, quiet: true)
        let wall = Date().timeIntervalSince(start)
        guard outcome.coordinatorExit == 0 else { throw BenchError(message: "\(name): coordinator exit \(outcome.coordinatorExit)") }
        let metrics = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        let timings = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.timings)))
        let roundSeconds = Array((timings.column("wall_s") ?? []).dropFirst())
        let overhead = Array((timings.column("coordinator_s") ?? []).dropFirst())
        let evaluate = Array((timings.column("evaluate_s") ?? []).dropFirst())
        let compute = (timings.column("client_compute_s") ?? []).reduce(0, +)
        let blas = (timings.column("client_blas_s") ?? []).reduce(0, +)
        let participants = metrics.column("participants") ?? []
        let perRound = Double(topology.federation.perRound)
        let medianRound = median(roundSeconds)
        let accuracy = metrics.column("test_accuracy")?.last ?? .nan
        let updates = participants.reduce(0, +)
        print("\n== \(name): \(topology.federation.clients) clients, \(Int(perRound)) per round, \(topology.algorithm.rounds) rounds, "
              + "coordinator + \(topology.processes.workers) workers over tcp loopback")
        print(String(format: "  total wall time (spawn to exit, data loading included)  %8.3f s", wall))
        print(String(format: "  median round (rounds 2..R)                              %8.2f ms", medianRound * 1e3))
        print(String(format: "  client updates/s                                        %8.0f steady   %8.0f whole run",
                     perRound / medianRound, updates / wall))
        print(String(format: "  coordinator's own work per round (median)               %8.2f ms  (of which evaluation %.2f ms)",
                     median(overhead) * 1e3, median(evaluate) * 1e3))
        print(String(format: "  client compute, all workers                             %8.3f s    (in BLAS %.3f s = %.1f %%)",
                     compute, blas, 100 * blas / compute))
        print(String(format: "  peak memory, process tree (children + launcher)         %8.1f MiB  (children %.1f MiB)",
                     Double(outcome.peakTreeBytes) / 1_048_576, Double(outcome.peakChildrenBytes) / 1_048_576))
        if accuracy.isFinite {
            print(String(format: "  final test accuracy                                     %8.4f", accuracy))
        }
        if metrics.column("test_nodes") != nil, let epoch = GraphKernelBenchmarks.separatedEpochSeconds() {
            // Every client trains one epoch on its subgraph and evaluates twice (validation/test and the
            // JS step's embeddings): together about one epoch and two forward passes over the whole graph.
            // Workers run in parallel, so a round's critical path holds about 1/workers of the summed compute.
            let computePerRound = compute / Double(max(roundSeconds.count + 1, 1))
            let perWorker = computePerRound / Double(max(topology.processes.workers, 1))
            print(String(format: "  one full-batch epoch of the same network on all of Cora  %8.2f ms  (median round = %.1f epochs)",
                         epoch * 1e3, medianRound / epoch))
            print(String(format: "  client compute per round                                %8.2f ms summed, %.2f ms per worker (%d in parallel)",
                         computePerRound * 1e3, perWorker * 1e3, topology.processes.workers))
            print(String(format: "  framework overhead per round (median round - per-worker compute)  %.2f ms = %.0f %% of a round",
                         (medianRound - perWorker) * 1e3, 100 * (medianRound - perWorker) / medianRound))
        }
        RecommenderBenchmarks.printRun(metrics: metrics, directory: directory)
        if let recall = metrics.column("recall_20")?.last {
            print(String(format: "  final Recall@20 (all users)                             %8.4f", recall))
        }
        if let target = metrics.column("target_accuracy")?.last {
            print(String(format: "  final target-domain accuracy                            %8.4f", target))
        }
        try? FileManager.default.removeItem(at: directory.url)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

struct BenchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
