import FedCore
import FedModels
import FedReport
import Foundation

/// Recommender figures: the all-ranking evaluation (one matrix product per block of users) next to
/// sgemm on the same shape, and what a federated recommender run moved and kept per user.
enum RecommenderBenchmarks {
    /// Protocol A over 943 users and 1,682 items with 64-d embeddings (ML-100K's shape).
    static func printEvaluation() {
        let (users, items, d) = (943, 1_682, 64)
        var settings = SyntheticInteractions.Settings()
        settings.users = users
        settings.items = items
        let data = RecommenderData(splitting: SyntheticInteractions.make(settings, seed: 1), evaluation: .allRanking, seed: 1)
        guard case .allRanking(let test) = data.heldOut else { return }
        var rng = RNGStream(seed: 1, purpose: .parameterInit)
        let embeddings = (0..<((users + items) * d)).map { _ in Float(rng.nextGaussian() * 0.1) }
        let seconds = KernelBenchmarks.time(iterations: 1, repeats: 3) {
            _ = RecommenderTraining.evaluate(embeddings: embeddings, width: d, training: data.training, test: test)
        }
        let flops = 2.0 * Double(users * items * d)
        var scores = [Float](repeating: 0, count: 64 * items)
        let gemm = KernelBenchmarks.time(iterations: 20) {
            embeddings.withUnsafeBufferPointer { e in
                scores.withUnsafeMutableBufferPointer { s in
                    Matmul.gemm(.none, .transposed, m: 64, n: items, k: d, a: e.baseAddress!, b: e.baseAddress! + users * d, c: s.baseAddress!)
                }
            }
        }
        print("\n== all-ranking evaluation (protocol A), \(users) users x \(items) items, d = \(d), 1 thread")
        print(String(format: "  whole evaluation                                        %8.2f ms  (%.2f GFLOP/s counting the products only)",
                     seconds * 1e3, flops / seconds * 1e-9))
        print(String(format: "  its products alone (sgemm, 64 users per block)          %8.2f ms  (%.2f GFLOP/s); the rest is ranking",
                     gemm * Double((users + 63) / 64) * 1e3, 2.0 * Double(64 * items * d) / gemm * 1e-9))
    }

    /// Bytes per training round against the dense equivalent, and the private state a worker keeps
    /// per user (read from the run directory before it is removed).
    static func printRun(metrics: MetricsTable, directory: RunDirectory) {
        guard let up = metrics.column("bytes_up"), let down = metrics.column("bytes_down"),
              let denseUp = metrics.column("dense_bytes_up"), let denseDown = metrics.column("dense_bytes_down"),
              let users = metrics.column("test_users") else { return }
        // Training-only rounds: the ones whose clients did not also receive the whole tables to evaluate.
        let training = users.indices.filter { $0 + 1 < users.count && users[$0] == 0 && !users[$0].isNaN }
        func median(_ column: [Double]) -> Double { WorkloadBenchmark.median(training.map { column[$0] }) }
        print(String(format: "  bytes per training round, up    %10.0f   (dense equivalent %10.0f, %.1fx)",
                     median(up), median(denseUp), median(denseUp) / median(up)))
        print(String(format: "  bytes per training round, down  %10.0f   (dense equivalent %10.0f, %.1fx)",
                     median(down), median(denseDown), median(denseDown) / median(down)))
        let folder = directory.path(RunDirectory.File.privateState)
        let clients = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var newest = [Int]()
        for client in clients {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + client)) ?? []).sorted()
            guard let last = files.last, let size = try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(client)/\(last)")[.size] as? Int
            else { continue }
            newest.append(size)
        }
        if !newest.isEmpty {
            print(String(format: "  private state per user (user rows + Adam moments, on the worker's disk)  %.0f bytes; %d users trained",
                         Double(newest.reduce(0, +)) / Double(newest.count), newest.count))
        }
    }
}
