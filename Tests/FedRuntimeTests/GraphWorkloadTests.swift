import FedAlgorithms
import FedCore
import FedReport
import FedRuntime
import FedTestSupport
import FedWire
import Foundation
import Testing

/// Every frame some workers sent, decoded from the bytes that went to the socket.
final class SentFrames: @unchecked Sendable {
    private let lock = NSLock()
    private var frames = [[UInt8]]()

    func record(_ frame: [UInt8]) -> [UInt8] {
        lock.lock()
        frames.append(frame)
        lock.unlock()
        return frame
    }

    var envelopes: [Fedsim_V1_Envelope] {
        lock.lock()
        defer { lock.unlock() }
        return frames.compactMap { try? EnvelopeCodec.decode($0, limit: Int.max) }
    }
}

/// Graph workloads through real coordinators and workers: what leaves a client, determinism across
/// layouts, exact resume from the workers' private-state files, and the run's graph records.
@Suite(.serialized) struct GraphWorkloadTests {
    init() { Matmul.setThreadCount(1) }

    func run(_ topology: Topology, _ name: String, workers: [Worker.Options]? = nil, transport: Topology.Transport = .inproc,
             resume: Bool = false, directory: RunDirectory? = nil) throws -> (RunDirectory, Coordinator.Summary) {
        try TopologyFixtures.threadedRun(topology, name, workers: workers, transport: transport, resume: resume, directory: directory)
    }

    /// Claim 2 (spec §1.8): only the head, the class histogram and scalars leave an ASFGNN client.
    @Test func asfgnnClients_sendOnlyTheHeadTheHistogramAndScalars() throws {
        let frames = SentFrames()
        let tapped = (0..<2).map { Worker.Options(name: "w\($0)", messageTap: frames.record) }
        _ = try run(try TopologyFixtures.cora(rounds: 3), "graph-whitelist", workers: tapped)
        let whitelist: Set<String> = ["head.weight", "head.bias", "class_histogram"]
        let envelopes = frames.envelopes
        var updatesByClient = [UInt32: Int]()
        for envelope in envelopes {
            switch envelope.body {
            case let .update(update)?:
                updatesByClient[update.clientID, default: 0] += 1
                let names = Set(update.tensors.map(\.name))
                #expect(names.isSubset(of: whitelist), "client \(update.clientID) sent \(names.subtracting(whitelist).sorted())")
                #expect(update.clientState.isEmpty)
                #expect(update.metrics.keys.allSatisfy { !$0.hasPrefix("conv") })
            case .join?, .heartbeat?, .shutdown?, .error?:
                break
            default:
                Issue.record("unexpected message kind from a worker: \(String(describing: envelope.body))")
            }
        }
        // 3 rounds plus the final evaluation, every client every time: the tap saw every update.
        #expect(updatesByClient == [0: 4, 1: 4, 2: 4, 3: 4, 4: 4])

        // The same tap on the naive baseline sees the message-passing weights leave: the check can fail.
        let naive = SentFrames()
        _ = try run(try TopologyFixtures.cora(algorithm: "gcn_fedavg", rounds: 1), "graph-whitelist-naive",
                    workers: [Worker.Options(name: "n", messageTap: naive.record)])
        let sentNames = Set(naive.envelopes.flatMap { envelope -> [String] in
            if case let .update(update)? = envelope.body { return update.tensors.map(\.name) }
            return []
        })
        #expect(sentNames.contains("conv0.weight") && !sentNames.isSubset(of: whitelist))
    }

    /// Claim 7: one worker and three workers (tcp) give the same metrics; private state is per client.
    @Test func oneAndThreeWorkers_giveIdenticalMetrics() throws {
        let topology = try TopologyFixtures.cora(rounds: 5, extraAlgorithmKeys: ", js_source: predictions")
        let (one, _) = try run(topology, "graph-one", workers: [Worker.Options(name: "solo")])
        let (three, _) = try run(topology, "graph-three", workers: (0..<3).map { Worker.Options(name: "w\($0)") }, transport: .tcp)
        let a = try TopologyFixtures.deterministicMetrics(one.url.path), b = try TopologyFixtures.deterministicMetrics(three.url.path)
        #expect(a.count == 6 && a == b)
    }

    /// A coordinator restarted from round 3 continues exactly: workers reload each client's private
    /// state from the files saved after that round.
    @Test func resumedRun_matchesTheUninterruptedRun() throws {
        let (reference, _) = try run(try TopologyFixtures.cora(rounds: 6), "graph-resume-reference")
        let interrupted = try RunDirectory(existing: Fixtures.temporaryDirectory("graph-resume"))
        _ = try run(try TopologyFixtures.cora(rounds: 3), "", directory: interrupted)
        // As a crash during round 4 would leave it: row 3 unwritten, files of round 4 never made.
        let metricsPath = interrupted.path(RunDirectory.File.metrics)
        let lines = try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        try (lines.dropLast().joined(separator: "\n") + "\n").write(toFile: metricsPath, atomically: true, encoding: .utf8)
        _ = try run(try TopologyFixtures.cora(rounds: 6), "", workers: [Worker.Options(name: "fresh")], resume: true, directory: interrupted)
        #expect(try TopologyFixtures.deterministicMetrics(interrupted.url.path) == TopologyFixtures.deterministicMetrics(reference.url.path))
        let saved = try FileManager.default.contentsOfDirectory(atPath: interrupted.path(RunDirectory.File.privateState) + "/client-0")
        #expect(saved.sorted() == ["round-5.state", "round-6.state"])
    }

    /// A worker that dies mid-run: its clients move to the other worker, which continues their private
    /// state from the shared folder, and the retried round ends exactly as if nothing had happened.
    @Test func clientsOfADeadWorker_continueExactlyOnAnother() throws {
        let topology = try TopologyFixtures.cora(rounds: 4, timeout: 3)
        let (reference, _) = try run(topology, "graph-move-reference", workers: [Worker.Options(name: "a"), Worker.Options(name: "b")])
        let (moved, _) = try run(topology, "graph-move", workers: [Worker.Options(name: "a"), Worker.Options(name: "b", failAfterTasks: 5)])
        let events = try TopologyFixtures.events(moved.url.path)
        #expect(events.contains { $0["event"] as? String == "worker_dropped" })
        // As text, so that round 1's NaN mean_alpha compares equal to itself.
        func columns(_ directory: RunDirectory) throws -> [[String]] {
            let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
            return try ["train_loss", "test_accuracy", "val_accuracy", "test_nodes", "mean_alpha"].map { try #require(table.column($0)).map { "\($0)" } }
        }
        #expect(try columns(moved) == columns(reference))
    }

    /// Without the saved private state a resumed client cannot continue: the run stops with a reason.
    @Test func resumeWithoutPrivateState_failsWithAClearReason() throws {
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("graph-resume-lost"))
        _ = try run(try TopologyFixtures.cora(rounds: 2, maxRetries: 0), "", directory: directory)
        try FileManager.default.removeItem(atPath: directory.path(RunDirectory.File.privateState))
        #expect {
            _ = try run(try TopologyFixtures.cora(rounds: 4, maxRetries: 0), "", resume: true, directory: directory)
        } throws: { "\($0)".contains("round 3") }
        let errors = try TopologyFixtures.events(directory.url.path).filter { $0["event"] as? String == "worker_error" }
        #expect(errors.contains { ($0["code"] as? String) == "private_state_missing"
                                  && (($0["message"] as? String) ?? "").contains("no private state saved after round 2") })
    }

    /// A worker that inflates a client's evaluation counts has that update rejected.
    @Test func tamperedEvaluationCounts_areRejected() throws {
        let tamper: @Sendable ([UInt8]) -> [UInt8] = { frame in
            guard var envelope = try? EnvelopeCodec.decode(frame, limit: Int.max), case var .update(update)? = envelope.body,
                  update.clientID == 0 else { return frame }
            update.metrics["eval:test_accuracy:count"] = (update.metrics["eval:test_accuracy:count"] ?? 0) * 10
            update.metrics["eval:test_accuracy:sum"] = (update.metrics["eval:test_accuracy:sum"] ?? 0) * 10
            envelope.body = .update(update)
            return EnvelopeCodec.encode(envelope)
        }
        let (directory, _) = try run(try TopologyFixtures.cora(rounds: 2, quorum: 0.6, timeout: 3), "graph-tamper",
                                     workers: [Worker.Options(name: "tampering", messageTap: tamper)])
        let rejected = try TopologyFixtures.events(directory.url.path).filter { $0["event"] as? String == "rejected" }
        #expect(rejected.count >= 2 && rejected.allSatisfy { $0["code"] as? String == "bad_evaluation" })
        // The node-weighted columns count only the honest clients' test nodes.
        let stats = try String(contentsOfFile: directory.path(RunDirectory.File.clients), encoding: .utf8).split(separator: "\n")
        let honestTest = stats.dropFirst(2).map { Int($0.split(separator: ",")[5])! }.reduce(0, +)
        let rows = try TopologyFixtures.deterministicMetrics(directory.url.path)
        let header = rows[0].split(separator: ","), last = rows[rows.count - 1].split(separator: ",")
        #expect(Double(last[header.firstIndex(of: "test_nodes")!]) == Double(honestTest))
    }

    /// The run records each client's share of the graph, and every node and edge is accounted for.
    @Test func clientStatistics_accountForEveryNodeAndEdge() throws {
        let (directory, summary) = try run(try TopologyFixtures.cora(rounds: 1, beta: 0.1), "graph-stats")
        let rows = try String(contentsOfFile: directory.path(RunDirectory.File.clients), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map { Int($0)! } }
        #expect(rows.count == 5)
        #expect(rows.map { $0[1] }.reduce(0, +) == 2708)
        #expect(rows.allSatisfy { $0[3] + $0[4] + $0[5] == $0[6...].reduce(0, +) && $0[6...].reduce(0, +) == $0[1] })
        let split = try TopologyFixtures.events(directory.url.path).first { $0["event"] as? String == "graph_split" }
        let kept = rows.map { $0[2] }.reduce(0, +)
        #expect(split?["kept_edges"] as? Int == kept && kept + (split?["cut_edges"] as? Int ?? -1) == 5278)
        #expect(summary.finalAccuracy > 0 && summary.finalAccuracy <= 1)
    }

    @Test func graphPairings_areCheckedWhenTheFileIsRead() throws {
        func topology(_ algorithm: String, model: String, dataset: String, partition: String) throws -> Topology {
            try TopologyFixtures.parse("""
            name: pairing
            algorithm: {name: \(algorithm), rounds: 1}
            workload: {model: \(model), dataset: \(dataset), partition: \(partition)}
            federation: {clients: 2}
            """)
        }
        let cases: [(String, String, String, String, String)] = [
            ("fedavg", "{kind: gcn}", "{name: cora}", "{kind: dirichlet, alpha: 1}", "gcn trains over whole subgraphs"),
            ("asfgnn", "{kind: mlp}", "{name: digits}", "{kind: iid}", "asfgnn needs a gcn model"),
            ("gcn_fedavg", "{kind: mlp}", "{name: cora}", "{kind: dirichlet, alpha: 1}", "graph data sets"),
            ("gcn_fedavg", "{kind: gcn}", "{name: cora}", "{kind: iid}", "'whole', 'dirichlet', 'communities'"),
            ("asfgnn", "{kind: gcn, head: false}", "{name: cora}", "{kind: whole}", "head: true"),
            ("gcn_local", "{kind: gcn}", "{name: cora, train_fraction: 0.6, val_fraction: 0.5}", "{kind: whole}", "must leave test nodes"),
            ("asfgnn", "{kind: gcn}", "{name: cora}", "{kind: whole}", "alpha"),
        ]
        for (algorithm, model, dataset, partition, message) in cases {
            let extra = message == "alpha" ? ", mode: distill, alpha: 0.5" : ""
            #expect {
                _ = try TopologyFixtures.parse("""
                name: pairing
                algorithm: {name: \(algorithm), rounds: 1\(extra)}
                workload: {model: \(model), dataset: \(dataset), partition: \(partition)}
                federation: {clients: 2}
                """)
            } throws: { "\($0)".contains(message) }
        }
        _ = try topology("gcn_local", model: "{kind: gcn}", dataset: "{name: cora, split: dataset}", partition: "{kind: whole}")
    }
}
