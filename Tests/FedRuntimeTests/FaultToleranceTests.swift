import FedReport
import FedRuntime
import FedTestSupport
import FedTransport
import FedWorkloads
import Foundation
import Testing

/// Bad messages, dead workers and lost quorums: each gets a clear record and the run goes on (or stops
/// with a clear error); nothing hangs.
@Suite struct FaultToleranceTests {
    @Test func hostileMessages_areRejectedLoggedAndCounted_andTheRunCompletes() throws {
        let topology = try TopologyFixtures.tinyDigits(
            clients: 18, perRound: 9, rounds: 7, workers: 2, timeout: 1, quorum: 0.5, maxRetries: 5, maxMessageMB: 1)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("hostile"))
        let context = try ZMQContext()
        let hostileDone = DispatchSemaphore(value: 0)
        let endpointFile = directory.path(RunDirectory.File.endpoint)
        let box = HostileBox()
        let shardSizes = try PreparedWorkload.prepare(topology).shards.map(\.count)
        Thread {
            defer { hostileDone.signal() }
            var endpoint: String?
            for _ in 0..<5000 where endpoint == nil {
                endpoint = try? String(contentsOfFile: endpointFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                if endpoint?.isEmpty ?? true { endpoint = nil; usleep(2000) }
            }
            guard let endpoint, let hostile = try? HostileParticipant(context: context, endpoint: endpoint, shardSizes: shardSizes) else { return }
            try? hostile.serve(until: Date().addingTimeInterval(60))
            box.kinds = hostile.sent
            hostile.close()
        }.start()
        let summary = try ThreadedRun.run(topology: topology, runDirectory: directory, transport: .tcp, externalWorkers: 1)
        hostileDone.wait()
        context.terminate()

        #expect(summary.rounds == 7)
        let events = try TopologyFixtures.events(directory.url.path)
        let rejectedCodes = Set(events.filter { $0["event"] as? String == "rejected" }.compactMap { $0["code"] as? String })
        let sentKinds = Set(box.kinds)
        #expect(sentKinds.count == HostileParticipant.Misbehaviour.allCases.count, "every misbehaviour was tried: \(sentKinds)")
        for code in ["undecodable", "bad_shape", "non_finite", "unknown_sender", "stale_round", "too_large", "duplicate",
                     "missing_field", "wrong_run", "bad_weight"] {
            #expect(rejectedCodes.contains(code), "no rejection with code \(code); got \(rejectedCodes)")
        }
        // The message over the transport cap never reached the coordinator: libzmq dropped the connection.
        #expect(events.contains { $0["event"] as? String == "peer_disconnected" })
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        let rejectedInMetrics = try #require(table.column("rejected")).reduce(0, +)
        let rejectedDuringRounds = events.filter { $0["event"] as? String == "rejected" && ($0["round"] as? Int ?? 0) >= 1 }.count
        #expect(Int(rejectedInMetrics) == rejectedDuringRounds)
        // Honest clients still train the model.
        let testLoss = try #require(table.column("test_loss"))
        #expect(testLoss.last! < testLoss.first!)
        #expect(summary.rejectedMessages >= HostileParticipant.Misbehaviour.allCases.count)
        // Nothing bad reached the model.
        #expect(summary.finalParameters.allSatisfy { $0.isFinite })
    }

    @Test func deadWorker_isDropped_itsClientsMove_andTheRunCompletes() throws {
        let topology = try TopologyFixtures.tinyDigits(clients: 12, perRound: 6, rounds: 5, workers: 2, timeout: 0.5, quorum: 0.5)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("dead-worker"))
        let summary = try ThreadedRun.run(
            topology: topology, runDirectory: directory,
            workerOptions: [Worker.Options(name: "steady"), Worker.Options(name: "doomed", failAfterTasks: 2)])
        #expect(summary.rounds == 5)
        let events = try TopologyFixtures.events(directory.url.path)
        let dropped = events.filter { $0["event"] as? String == "worker_dropped" }
        #expect(dropped.count == 1)
        #expect(dropped.first?["worker"] as? String == "doomed")
        // After the drop every client lives on the surviving worker, so full rounds resume.
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        #expect(try #require(table.column("participants")).last == 6)
    }

    /// A restarted worker (a container or pod brought back by its restart policy) joins the running
    /// run, stands by until a round starts, then takes a share of the clients. Placement never enters
    /// results, so the run equals the same failure without a replacement, bit for bit.
    @Test(arguments: [("fedavg", ""), ("fedmm", ", mu: 0.5")])
    func replacementWorker_joiningMidRun_takesClients_andLeavesResultsUnchanged(algorithm: String, keys: String) throws {
        let topology = try TopologyFixtures.tinyDigits(clients: 12, perRound: 6, rounds: 12, workers: 2, timeout: 0.5, quorum: 0.5,
                                                       algorithm: algorithm, extraAlgorithmKeys: keys)
        // The doomed worker dies before its first task, so it is dropped at the end of round 1 in
        // both runs whatever the timing; the steady worker is slowed down so that the replacement
        // joins well before the run ends.
        let workers = [Worker.Options(name: "steady", delayPerTaskSeconds: 0.05), Worker.Options(name: "doomed", failAfterTasks: 0)]
        let alone = try RunDirectory(existing: Fixtures.temporaryDirectory("no-replacement"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: alone, transport: .tcp, workerOptions: workers)

        let replaced = try RunDirectory(existing: Fixtures.temporaryDirectory("replacement"))
        let joined = DispatchSemaphore(value: 0)
        Thread {
            defer { joined.signal() }
            // Join once the coordinator has dropped the dead worker (bounded wait).
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, !((try? TopologyFixtures.events(replaced.url.path)) ?? []).contains(where: {
                $0["event"] as? String == "worker_dropped" }) { usleep(5_000) }
            guard let endpoint = try? String(contentsOfFile: replaced.path(RunDirectory.File.endpoint), encoding: .utf8),
                  let context = try? ZMQContext() else { return }
            _ = try? RunHost.runWorker(context: context, endpoint: endpoint.trimmingCharacters(in: .whitespacesAndNewlines),
                                       options: Worker.Options(name: "replacement", coordinatorTimeoutSeconds: 10))
            context.terminate()
        }.start()
        let summary = try ThreadedRun.run(topology: topology, runDirectory: replaced, transport: .tcp, workerOptions: workers)
        #expect(joined.wait(timeout: .now() + 30) == .success)
        #expect(summary.rounds == 12)

        let events = try TopologyFixtures.events(replaced.url.path)
        let join = try #require(events.first { $0["event"] as? String == "join" && $0["worker"] as? String == "replacement" })
        #expect(join["standby"] as? Bool == true)
        let promoted = try #require(events.first { $0["event"] as? String == "worker_promoted" })
        #expect(promoted["worker"] as? String == "replacement")
        #expect(promoted["clients"] as? Int == 6, "half of the 12 clients move to the replacement")
        let promotedRound = try #require(promoted["round"] as? Int)
        #expect(promotedRound < 12, "promoted before the run ended")
        // The replacement answered: rounds after its promotion are complete, and nothing was rejected.
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: replaced.path(RunDirectory.File.metrics)))
        let participants = try #require(table.column("participants"))
        #expect(participants[promotedRound - 1..<participants.count].allSatisfy { $0 == 6 })
        #expect(try #require(table.column("rejected")).allSatisfy { $0 == 0 })
        // The state column counts re-sent client state, which only a stateful algorithm has.
        let withoutState = { (rows: [String]) in rows.map { $0.split(separator: ",", omittingEmptySubsequences: false)
            .enumerated().filter { $0.offset != 3 }.map { String($0.element) }.joined(separator: ",") } }
        #expect(withoutState(try TopologyFixtures.deterministicMetrics(replaced.url.path))
                == withoutState(try TopologyFixtures.deterministicMetrics(alone.url.path)))
    }

    /// With every worker alive, a mid-run joiner stands by and never takes clients; joiners beyond
    /// `processes.workers` standby workers are refused with the reason.
    @Test func lateJoiners_standBy_upToTheLimit_thenAreRefusedWithTheReason() throws {
        let topology = try TopologyFixtures.tinyDigits(clients: 8, perRound: 4, rounds: 40, workers: 1, timeout: 5)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("late-joiners"))
        let outcomes = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, ((try? String(contentsOfFile: directory.path(RunDirectory.File.metrics), encoding: .utf8)) ?? "")
                .split(separator: "\n").count < 2 { usleep(2_000) }
            guard let endpoint = try? String(contentsOfFile: directory.path(RunDirectory.File.endpoint), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), let context = try? ZMQContext() else { return }
            let group = DispatchGroup()
            for name in ["late-1", "late-2"] {
                group.enter()
                Thread {
                    defer { group.leave() }
                    if name == "late-2" { usleep(300_000) }  // after late-1 is in
                    do {
                        _ = try RunHost.runWorker(context: context, endpoint: endpoint,
                                                  options: Worker.Options(name: name, coordinatorTimeoutSeconds: 20))
                        outcomes.set(name, "served")
                    } catch { outcomes.set(name, "\(error)") }
                }.start()
            }
            group.wait()
            context.terminate()
        }.start()
        let summary = try ThreadedRun.run(topology: topology, runDirectory: directory, transport: .tcp,
                                          workerOptions: [Worker.Options(name: "only", delayPerTaskSeconds: 0.02)])
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(summary.rounds == 40)
        #expect(outcomes.get("late-1") == "served")
        #expect(outcomes.get("late-2")?.contains("standby") == true, "refusal: \(outcomes.get("late-2") ?? "none")")
        let events = try TopologyFixtures.events(directory.url.path)
        #expect(!events.contains { $0["event"] as? String == "worker_promoted" })
        #expect(events.contains { $0["event"] as? String == "rejected" && $0["code"] as? String == "late_join" })
    }


    @Test func droppedClients_belowQuorum_areRetriedWithAFreshSample() throws {
        let topology = try TopologyFixtures.tinyDigits(
            clients: 20, perRound: 5, rounds: 4, workers: 2, timeout: 0.3, quorum: 0.8, maxRetries: 50, clientDrop: 0.25)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("retry"))
        let summary = try ThreadedRun.run(topology: topology, runDirectory: directory)
        #expect(summary.rounds == 4)
        let events = try TopologyFixtures.events(directory.url.path)
        #expect(events.contains { $0["event"] as? String == "round_retry" })
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        #expect(try #require(table.column("participants")).allSatisfy { $0 >= 4 }, "quorum 0.8 of 5 ⇒ every counted round has 4 or 5")
    }

    @Test func quorumNeverReached_stopsWithAClearError() throws {
        let topology = try TopologyFixtures.tinyDigits(
            clients: 6, perRound: 3, rounds: 3, workers: 1, timeout: 0.1, quorum: 0.5, maxRetries: 2, clientDrop: 1.0)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("no-quorum"))
        #expect {
            _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        } throws: { error in
            "\(error)".contains("round 1") && "\(error)".contains("3 attempts")
        }
        let events = try TopologyFixtures.events(directory.url.path)
        #expect(events.contains { $0["event"] as? String == "run_failed" })
    }

    @Test func roundWithMoreTasksThanZeroMQsDefaultHighWaterMark_completes() throws {
        // 4,000 tasks queued to one worker at once: far above libzmq's default mark of 1,000 messages
        // per pipe end, past which a ROUTER drops silently.
        let topology = try TopologyFixtures.parse("""
        name: wide
        seed: 2
        algorithm: {name: fedavg, rounds: 2, batch_size: 4}
        workload:
          model: {kind: logreg}
          dataset: {name: synthetic_gaussians, train: 4000, test: 100, dimension: 4, classes: 2}
          partition: {kind: iid}
        federation: {clients: 4000, per_round: 4000, timeout_s: 60, quorum: 1.0, max_retries: 0, join_timeout_s: 20}
        processes: {workers: 1}
        output: {plot: false}
        """)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("wide"))
        let summary = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        #expect(summary.rounds == 2)
        #expect(try #require(table.column("participants")) == [4000, 4000])
    }

    @Test func missingWorkers_stopWithAClearError() throws {
        var topology = try TopologyFixtures.tinyDigits(workers: 1)
        topology.federation.joinTimeoutSeconds = 0.3
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("no-workers"))
        #expect {
            _ = try ThreadedRun.run(topology: topology, runDirectory: directory, externalWorkers: 1)
        } throws: { error in
            "\(error)".contains("only 1 of 2 workers joined")
        }
    }
}

final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [String: String] = [:]
    func set(_ key: String, _ value: String) { lock.lock(); outcomes[key] = value; lock.unlock() }
    func get(_ key: String) -> String? { lock.lock(); defer { lock.unlock() }; return outcomes[key] }
}

final class HostileBox: @unchecked Sendable {
    var kinds: [HostileParticipant.Misbehaviour] = []
}
