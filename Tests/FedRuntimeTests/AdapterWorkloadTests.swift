@testable import FedRuntime
import FedCore
import FedReport
import FedTestSupport
import FedWire
import FedWorkloads
import Foundation
import Testing

/// LoRA-mixture workloads through the real coordinator and workers: only adapters and routers leave
/// a client (the frozen base never travels; personal routers neither), ReMix's draws make the same
/// run with 1 or 3 workers and after a resume, and personal routers are evaluated on the clients.
@Suite(.serialized) struct AdapterWorkloadTests {
    static func topology(workers: Int, kind: String = "remix", rounds: Int = 2, personal: Bool = false) throws -> Topology {
        try TopologyFixtures.parse("""
        name: remix-test
        seed: 5
        algorithm: {name: fedavg, rounds: \(rounds), local_epochs: 1, batch_size: 32, lr: 0.1, momentum: 0.9}
        workload:
          model: {kind: \(kind), hidden: 16, experts: 4, rank: 2, top_k: 2, personal_router: \(personal)}
          dataset: {name: skill_teacher, train: 640, test: 160}
          partition: {kind: contiguous}
        federation: {clients: 4, per_round: 4, timeout_s: 30}
        processes: {workers: \(workers), transport: inproc}
        output: {plot: false}
        """)
    }

    @Test func onlyAdaptersAndRoutersLeaveAClient() throws {
        Matmul.setThreadCount(1)
        let frames = SentFrames()
        let tapped = (0..<2).map { Worker.Options(name: "w\($0)", messageTap: frames.record) }
        _ = try TopologyFixtures.threadedRun(try Self.topology(workers: 2), "remix-whitelist", workers: tapped)
        let whitelist: Set<String> = ["adapter1.down", "adapter1.up", "router1", "adapter2.down", "adapter2.up", "router2"]
        var updates = 0
        for envelope in frames.envelopes {
            guard case let .update(update)? = envelope.body else { continue }
            updates += 1
            let names = Set(update.tensors.map(\.name))
            #expect(names == whitelist, "client \(update.clientID) sent \(names.symmetricDifference(whitelist).sorted())")
        }
        #expect(updates == 8)
    }

    @Test func oneAndThreeWorkers_giveIdenticalMetrics() throws {
        Matmul.setThreadCount(1)
        let one = try TopologyFixtures.threadedRun(try Self.topology(workers: 1), "remix-one").0
        let three = try TopologyFixtures.threadedRun(try Self.topology(workers: 3), "remix-three").0
        let a = try TopologyFixtures.deterministicMetrics(one.url.path), b = try TopologyFixtures.deterministicMetrics(three.url.path)
        #expect(a.count == 3 && a == b, "\(zip(a, b).filter { $0 != $1 }.map { "\n1 worker:  \($0)\n3 workers: \($1)" }.joined())")
    }

    /// With `personal_router` the routers stay on the workers: updates carry the adapters only, the
    /// clients' routers move away from their common start (kept in the private-state files), and the
    /// clients' own test rows give the run's accuracy, identically with 1 or 3 workers.
    @Test func personalRouters_stayOnTheWorkers() throws {
        Matmul.setThreadCount(1)
        let frames = SentFrames()
        let tapped = (0..<2).map { Worker.Options(name: "w\($0)", messageTap: frames.record) }
        let (run, summary) = try TopologyFixtures.threadedRun(try Self.topology(workers: 2, personal: true), "remix-personal", workers: tapped)
        let adapters: Set<String> = ["adapter1.down", "adapter1.up", "adapter2.down", "adapter2.up"]
        var training = 0, evaluation = 0
        for envelope in frames.envelopes {
            guard case let .update(update)? = envelope.body else { continue }
            let names = Set(update.tensors.map(\.name))
            if envelope.phase == "evaluate" {
                evaluation += 1
                #expect(names.isEmpty)
            } else {
                training += 1
                #expect(names == adapters, "client \(update.clientID) sent \(names.symmetricDifference(adapters).sorted())")
            }
            #expect(update.metrics["eval:test_accuracy:count"] == 40, "each client holds its 2 tasks' 40 test rows")
        }
        #expect(training == 8 && evaluation == 4)
        let accuracy = summary.finalAccuracy
        #expect(accuracy > 0.1 && accuracy <= 1, "final accuracy \(accuracy) from the clients' reports")
        // Two clients' routers after the last round differ from each other and from the initial ones.
        let model = try PreparedWorkload.prepare(WorkloadContext(workload: Self.topology(workers: 1, personal: true).workload, seed: 5,
                                                                 clients: 4, sourceFile: nil)).model
        var rng = RNGStream(seed: 5, purpose: .parameterInit)
        let initial = model.layout.state(of: .private, from: model.initialParameters(rng: &rng))
        let states = try (0..<2).map { client -> [String: [Float]] in
            let data = try Data(contentsOf: run.url.appendingPathComponent("private-state/client-\(client)/round-2.state"))
            let file = try ModelFile.decode(data)
            return Dictionary(uniqueKeysWithValues: file.layout.entries.map { ($0.name, Array(file.parameters[$0.offset..<($0.offset + $0.count)])) })
        }
        #expect(Set(states[0].keys) == ["router1", "router2"])
        #expect(states[0]["router1"] != initial["router1"] && states[0]["router1"] != states[1]["router1"])

        let one = try TopologyFixtures.threadedRun(try Self.topology(workers: 1, personal: true), "remix-personal-one").0
        let three = try TopologyFixtures.threadedRun(try Self.topology(workers: 3, personal: true), "remix-personal-three").0
        #expect(try TopologyFixtures.deterministicMetrics(one.url.path) == TopologyFixtures.deterministicMetrics(three.url.path))
    }

    /// S'MoRE on the hierarchical teacher through the real runtime: trees and routers leave a client,
    /// or the trees alone with `personal_router`; never the base. 1 and 2 workers agree.
    @Test(arguments: [false, true]) func smore_sendsItsTreesAndRoutersOnly(personal: Bool) throws {
        Matmul.setThreadCount(1)
        func topology(workers: Int) throws -> Topology {
            try TopologyFixtures.parse("""
            name: smore-test
            seed: 6
            algorithm: {name: fedavg, rounds: 2, local_epochs: 1, batch_size: 32, lr: 0.01, optimizer: adam}
            workload:
              model: {kind: smore, hidden: 8, experts: [3, 2], fanout: [2, 1], ranks: [2, 2], personal_router: \(personal)}
              dataset: {name: skill_teacher, train: 192, test: 64, hierarchical: true}
              partition: {kind: contiguous}
            federation: {clients: 4, per_round: 4, timeout_s: 30}
            processes: {workers: \(workers), transport: inproc}
            output: {plot: false}
            """)
        }
        let frames = SentFrames()
        let tapped = (0..<2).map { Worker.Options(name: "w\($0)", messageTap: frames.record) }
        let (run, summary) = try TopologyFixtures.threadedRun(try topology(workers: 2), "smore-whitelist", workers: tapped)
        var updates = 0
        for envelope in frames.envelopes {
            guard case let .update(update)? = envelope.body, envelope.phase != "evaluate" else { continue }
            updates += 1
            let names = update.tensors.map(\.name)
            #expect(names.contains { $0.hasPrefix("adapter1.level1.expert1") } && names.contains("adapter2.projection"))
            #expect(names.allSatisfy { $0.hasPrefix("adapter") || (!personal && $0.hasPrefix("router")) }, "\(names)")
            #expect(names.contains { $0.hasPrefix("router") } == !personal)
        }
        #expect(updates == 8)
        #expect(summary.finalAccuracy > 0.05 && summary.finalAccuracy <= 1)
        let one = try TopologyFixtures.threadedRun(try topology(workers: 1), "smore-one").0
        #expect(try TopologyFixtures.deterministicMetrics(one.url.path) == TopologyFixtures.deterministicMetrics(run.url.path))
    }

    /// A coordinator restarted after round 2 of 4 continues ReMix exactly: the draws come from the
    /// clients' round streams, so the resumed run's metrics and weights equal the uninterrupted run's.
    @Test func resumedReMix_matchesTheUninterruptedRun() throws {
        Matmul.setThreadCount(1)
        let (reference, full) = try TopologyFixtures.threadedRun(try Self.topology(workers: 2, rounds: 4), "remix-resume-reference")
        let interrupted = try RunDirectory(existing: Fixtures.temporaryDirectory("remix-resume"))
        _ = try TopologyFixtures.threadedRun(try Self.topology(workers: 2, rounds: 2), "", directory: interrupted)
        let resumed = try TopologyFixtures.threadedRun(try Self.topology(workers: 1, rounds: 4), "", workers: [Worker.Options(name: "fresh")],
                                                       resume: true, directory: interrupted).1
        #expect(try TopologyFixtures.deterministicMetrics(interrupted.url.path) == TopologyFixtures.deterministicMetrics(reference.url.path))
        #expect(resumed.finalParameters == full.finalParameters)
    }

    /// Algorithms that would send the whole model (or have no place for private tensors) are refused
    /// when the file is read, and `lora` has no router to keep private.
    @Test func adapterPairings_areCheckedWhenTheFileIsRead() {
        let cases: [(String, String, String)] = [
            ("fedmm", "{kind: remix}", "use fedavg or fedprox"),
            ("local_sgda", "{kind: mixlora, personal_router: true}", "use fedavg or fedprox"),
            ("fedavg", "{kind: lora, personal_router: true}", "personal_router"),
        ]
        let optimizerCases: [(String, String, String)] = [
            ("fedavg, optimizer: adam, momentum: 0.9", "{kind: remix}", "momentum belongs to sgd"),
            ("fedavg, lr_router: 0.01", "{kind: remix}", "lr_router needs optimizer: adam"),
        ]
        for (algorithm, model, message) in cases + optimizerCases {
            #expect {
                _ = try TopologyFixtures.parse("""
                name: pairing
                algorithm: {name: \(algorithm), rounds: 1}
                workload: {model: \(model), dataset: {name: skill_teacher, train: 160, test: 32}, partition: {kind: contiguous}}
                federation: {clients: 2}
                """)
            } throws: { "\($0)".contains(message) }
        }
    }
}
