import FedCore
import FedModels
import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// FedMM's headline property on heterogeneous quadratic games, through the real coordinator and
/// workers (spec: optimization.md §1.9 claim 1): it converges to the true saddle, GDA baselines do not.
@Suite struct SaddleClaimTests {
    func finalDistance(algorithm: String, keys: String) throws -> Double {
        let topology = try TopologyFixtures.parse("""
        name: saddle
        seed: 3
        algorithm: {name: \(algorithm), rounds: 400, local_steps: 20, batch_size: 1, lr: 0.02\(keys)}
        workload:
          model: {kind: quadratic_saddle}
          dataset: {name: quadratic_saddle, dimension: 5, heterogeneity: 1.0}
          partition: {kind: iid}
        federation: {clients: 4, per_round: 4, quorum: 1.0, join_timeout_s: 20}
        processes: {workers: 2}
        output: {plot: false}
        """)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("saddle-\(algorithm)"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        return try #require(table.column("saddle_distance")?.last)
    }

    @Test func fedMM_reachesTheTrueSaddle_whileGDABaselinesStayBiased() throws {
        let fedmm = try finalDistance(algorithm: "fedmm", keys: ", mu: 2.0")
        let fedavg = try finalDistance(algorithm: "fedavg", keys: "")
        let fedprox = try finalDistance(algorithm: "fedprox", keys: ", mu: 2.0")
        #expect(fedmm < 1e-6, "FedMM distance \(fedmm)")
        #expect(fedavg > 0.1, "FedAvg-GDA distance \(fedavg)")
        #expect(fedprox > 0.1, "FedProx-GDA distance \(fedprox)")
    }

    @Test func saddle_solvesTheGlobalFirstOrderConditions() {
        // Independent check of the closed form: at (x*, y*) the summed gradients vanish.
        let games = QuadraticSaddle.make(clients: 3, dimension: 4, heterogeneity: 1, seed: 9)
        let star = QuadraticSaddle.saddle(of: games)
        let model = QuadraticSaddleModel(dimension: 4)
        let workspace = model.makeWorkspace(batchCapacity: 3)
        var gradient = [Float](repeating: 0, count: 8)
        let parameters = star.map { Float($0) }
        _ = parameters.withUnsafeBufferPointer { p in games.features.withUnsafeBufferPointer { rows in
            games.labels.withUnsafeBufferPointer { labels in gradient.withUnsafeMutableBufferPointer { g in
                model.lossAndGradient(parameters: p, x: rows.baseAddress!, labels: labels.baseAddress!, batch: 3,
                                      gradient: g, workspace: workspace)
            } }
        } }
        #expect(gradient.allSatisfy { abs($0) < 1e-4 }, "gradient at the saddle: \(gradient)")
    }

    @Test func gameGradients_matchFiniteDifferencesOfF_inDescentFormForBothPlayers() {
        let games = QuadraticSaddle.make(clients: 1, dimension: 3, heterogeneity: 1, seed: 4)
        let model = QuadraticSaddleModel(dimension: 3)
        let workspace = model.makeWorkspace(batchCapacity: 1)
        var rng = RNGStream(seed: 2, purpose: .custom)
        let parameters = (0..<6).map { _ in Float(rng.nextGaussian()) }
        var gradient = [Float](repeating: 0, count: 6)
        func f(_ p: [Float]) -> Double {
            var scratch = [Float](repeating: 0, count: 6)
            return Double(p.withUnsafeBufferPointer { pp in games.features.withUnsafeBufferPointer { rows in
                games.labels.withUnsafeBufferPointer { labels in scratch.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(parameters: pp, x: rows.baseAddress!, labels: labels.baseAddress!, batch: 1,
                                          gradient: g, workspace: workspace)
                } }
            } })
        }
        _ = parameters.withUnsafeBufferPointer { p in games.features.withUnsafeBufferPointer { rows in
            games.labels.withUnsafeBufferPointer { labels in gradient.withUnsafeMutableBufferPointer { g in
                model.lossAndGradient(parameters: p, x: rows.baseAddress!, labels: labels.baseAddress!, batch: 1,
                                      gradient: g, workspace: workspace)
            } }
        } }
        for i in 0..<6 {
            var plus = parameters, minus = parameters
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let dF = (f(plus) - f(minus)) / 2e-2  // exact for a quadratic up to Float rounding
            let expected = i < 3 ? dF : -dF        // x descends f, y descends −f
            #expect(abs(Double(gradient[i]) - expected) < 1e-3 * max(1, abs(expected)), "coordinate \(i)")
        }
    }
}
