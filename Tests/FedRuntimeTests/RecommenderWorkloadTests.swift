import FedAlgorithms
import FedCore
import FedModels
import FedReport
import FedRuntime
import FedTestSupport
import FedWire
import FedWorkloads
import Foundation
import Testing

/// Federated recommenders through real coordinators and workers: what leaves a client (spec §5.8
/// claim 3), sparse rows both ways, determinism across layouts and after a resume, and bad topologies.
@Suite(.serialized) struct RecommenderWorkloadTests {
    init() { Matmul.setThreadCount(1) }

    func run(_ topology: Topology, _ name: String, workers: [Worker.Options]? = nil, transport: Topology.Transport = .inproc,
             resume: Bool = false, directory: RunDirectory? = nil) throws -> (RunDirectory, Coordinator.Summary) {
        try TopologyFixtures.threadedRun(topology, name, workers: workers, transport: transport, resume: resume, directory: directory)
    }

    /// Only item rows (as sparse rows), shared network weights and scalars leave a recommender client;
    /// no user row, no optimiser moment, no relayed client state.
    @Test(arguments: ["{kind: bpr_mf, dimension: 8}", "{kind: ncf, variant: neumf, factors: 4, tower: [8, 4]}",
                      "{kind: lightgcn, dimension: 8, layers: 2}"])
    func clients_sendOnlyItemRowsSharedWeightsAndScalars(model: String) throws {
        let frames = SentFrames()
        let tapped = (0..<2).map { Worker.Options(name: "w\($0)", messageTap: frames.record) }
        let topology = try TopologyFixtures.recommender(model: model, rounds: 3, users: 20, items: 200, perRound: 5)
        _ = try run(topology, "fedrec-whitelist", workers: tapped)
        let itemTables = RecommenderModel.itemTables
        // NCF's tower, and LightGCN's contribution deltas (plaintext: they reveal the change of p_u, scaled).
        let sharedWeights: Set<String> = ["tower1.weight", "tower1.bias", "output.weight", "output.bias", "lightgcn.aggregate1",
                                          "lightgcn.aggregate2"]
        var trainingUpdates = 0, evaluationReports = 0
        for envelope in frames.envelopes {
            switch envelope.body {
            case let .update(update)?:
                for tensor in update.tensors {
                    #expect(itemTables.contains(tensor.name) || sharedWeights.contains(tensor.name), "client \(update.clientID) sent \(tensor.name)")
                    #expect(!tensor.name.hasPrefix("user"))
                    // Item tables go up as the rows the client trained, never whole.
                    if itemTables.contains(tensor.name) || tensor.name.hasPrefix("lightgcn.") {
                        #expect(!tensor.rowIds.isEmpty && tensor.rowIds.count < 200)
                    }
                }
                #expect(update.clientState.isEmpty)
                let allowed = update.metrics.keys.allSatisfy { $0 == "train_loss" || $0.hasPrefix("eval:") || $0.hasPrefix("timing.") }
                #expect(allowed, "client \(update.clientID) metrics \(update.metrics.keys.sorted())")
                if update.tensors.isEmpty { evaluationReports += 1 } else { trainingUpdates += 1 }
            case .join?, .heartbeat?, .shutdown?, .error?:
                break
            default:
                Issue.record("unexpected message kind from a worker: \(String(describing: envelope.body))")
            }
        }
        // 3 rounds of 5 clients, then every one of the 20 users evaluates the final model.
        #expect(trainingUpdates == 15 && evaluationReports == 20)
    }

    /// Tasks carry sparse rows down: outside evaluation rounds a task's item tables hold only the rows
    /// the client trains, and the run's download is far below the dense equivalent.
    @Test func downloadsAreSparseRows() throws {
        let (directory, _) = try run(try TopologyFixtures.recommender(rounds: 3, users: 40, items: 200, perRound: 10), "fedrec-sparse")
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        let down = try #require(table.column("bytes_down")), dense = try #require(table.column("dense_bytes_down"))
        let up = try #require(table.column("bytes_up")), denseUp = try #require(table.column("dense_bytes_up"))
        // Round 1 and 3 send rows only (round 3 evaluates: whole tables, eval_every 2).
        #expect(down[0] < dense[0] / 2 && up[0] < denseUp[0] / 2)
        #expect(down[2] > dense[2])
    }

    /// Claim: determinism across 1 and 3 workers (tcp) and the identical final model.
    @Test(arguments: ["{kind: bpr_mf, dimension: 16}", "{kind: lightgcn, dimension: 8, layers: 2}"])
    func oneAndThreeWorkers_giveIdenticalRuns(model: String) throws {
        let topology = try TopologyFixtures.recommender(model: model, rounds: 4)
        let (one, a) = try run(topology, "fedrec-one", workers: [Worker.Options(name: "solo")])
        let (three, b) = try run(topology, "fedrec-three", workers: (0..<3).map { Worker.Options(name: "w\($0)") }, transport: .tcp)
        let left = try TopologyFixtures.deterministicMetrics(one.url.path), right = try TopologyFixtures.deterministicMetrics(three.url.path)
        #expect(left.count == 5 && left == right)
        #expect(a.finalParameters == b.finalParameters)
    }

    /// A coordinator restarted after round 3 continues exactly: workers reload each user's rows and
    /// Adam moments from the private-state files.
    @Test(arguments: ["{kind: bpr_mf, dimension: 16}", "{kind: lightgcn, dimension: 8, layers: 2}"])
    func resumedRun_matchesTheUninterruptedRun(model: String) throws {
        let (reference, full) = try run(try TopologyFixtures.recommender(model: model, rounds: 6), "fedrec-resume-reference")
        let interrupted = try RunDirectory(existing: Fixtures.temporaryDirectory("fedrec-resume"))
        _ = try run(try TopologyFixtures.recommender(model: model, rounds: 3), "", directory: interrupted)
        // As a crash during round 4 would leave it: row 3 unwritten (a finished run's last row holds its
        // final all-user evaluation instead of the round's sampled reports).
        let metricsPath = interrupted.path(RunDirectory.File.metrics)
        let lines = try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        try (lines.dropLast().joined(separator: "\n") + "\n").write(toFile: metricsPath, atomically: true, encoding: .utf8)
        let resumed = try run(try TopologyFixtures.recommender(model: model, rounds: 6), "", workers: [Worker.Options(name: "fresh")], resume: true,
                              directory: interrupted).1
        #expect(try TopologyFixtures.deterministicMetrics(interrupted.url.path) == TopologyFixtures.deterministicMetrics(reference.url.path))
        #expect(resumed.finalParameters == full.finalParameters)
    }

    /// A worker that inflates a user's evaluation count has that update rejected.
    @Test func tamperedEvaluationCounts_areRejected() throws {
        let tamper: @Sendable ([UInt8]) -> [UInt8] = { frame in
            guard var envelope = try? EnvelopeCodec.decode(frame, limit: Int.max), case var .update(update)? = envelope.body,
                  update.metrics["eval:recall_20:count"] != nil else { return frame }
            update.metrics["eval:recall_20:count"] = 5
            envelope.body = .update(update)
            return EnvelopeCodec.encode(envelope)
        }
        let (directory, _) = try run(try TopologyFixtures.recommender(rounds: 3, quorum: 0.5, timeout: 3), "fedrec-tamper",
                                     workers: [Worker.Options(name: "tampering", messageTap: tamper), Worker.Options(name: "honest")])
        let rejected = try TopologyFixtures.events(directory.url.path).filter { $0["event"] as? String == "rejected" }
        #expect(!rejected.isEmpty && rejected.allSatisfy { $0["code"] as? String == "bad_evaluation" })
    }

    /// Topologies that cannot work are refused with the reason.
    @Test func badTopologies_areRefusedWithTheReason() throws {
        // One user per client: 40 users need 40 clients.
        let wrongClients = try TopologyFixtures.parse("""
            name: x
            algorithm: {name: fedrec, rounds: 1}
            workload:
              model: {kind: bpr_mf}
              dataset: {name: synthetic_interactions, users: 40, items: 60, min_per_user: 5}
              partition: {kind: one_user_per_client}
            federation: {clients: 7}
            """)
        #expect { _ = try PreparedWorkload.prepare(wrongClients) } throws: { "\($0)".contains("clients: 40") }
        #expect { _ = try TopologyFixtures.parse("""
            name: x
            algorithm: {name: fedavg, rounds: 1}
            workload: {model: {kind: bpr_mf}, dataset: {name: synthetic_interactions, users: 40, items: 60, min_per_user: 5}}
            federation: {clients: 40}
            """).makeAlgorithm(model: WorkloadCatalog.standInModel(ModelCatalog.Spec(kind: "bpr_mf", hidden: []))) } throws: {
            "\($0)".contains("fedrec")
        }
        #expect { _ = try TopologyFixtures.parse("""
            name: x
            algorithm: {name: fedrec, rounds: 1}
            workload: {model: {kind: mlp}, dataset: {name: synthetic_interactions}}
            federation: {clients: 943}
            """) } throws: { "\($0)".contains("recommender models") }
        // NGCF propagates over every user: refused by fedrec, pointed to fedsim central.
        var ngcf = ModelCatalog.Spec(kind: "ngcf", hidden: [])
        ngcf.recommender = .ngcf(dimension: 4, layers: 1, regularization: 0, messageDropout: 0)
        #expect { _ = try TopologyFixtures.recommender(model: "{kind: ngcf, layers: 1}").makeAlgorithm(
            model: WorkloadCatalog.standInModel(ngcf)) } throws: { "\($0)".contains("fedsim central") }
        #expect { _ = try TopologyFixtures.parse("""
            name: x
            algorithm: {name: fedrec, rounds: 1}
            workload: {model: {kind: bpr_mf}, dataset: {name: movielens}}
            federation: {clients: 943}
            """) } throws: { "\($0)".contains("path") }
    }
}
