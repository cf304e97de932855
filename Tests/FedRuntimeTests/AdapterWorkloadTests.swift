@testable import FedRuntime
import FedCore
import FedReport
import FedTestSupport
import FedWire
import Foundation
import Testing

/// LoRA-mixture workloads through the real coordinator and workers: only adapters and routers leave
/// a client (the frozen base never travels), and ReMix's draws make the same run with 1 or 3 workers.
@Suite(.serialized) struct AdapterWorkloadTests {
    static func topology(workers: Int, kind: String = "remix") throws -> Topology {
        try TopologyFixtures.parse("""
        name: remix-test
        seed: 5
        algorithm: {name: fedavg, rounds: 2, local_epochs: 1, batch_size: 32, lr: 0.1, momentum: 0.9}
        workload:
          model: {kind: \(kind), hidden: 16, experts: 4, rank: 2, top_k: 2}
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
}
