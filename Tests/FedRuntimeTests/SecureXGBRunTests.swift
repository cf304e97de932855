@testable import FedRuntime
import FedCore
import FedModels
import FedReport
import FedSecure
import FedTestSupport
import FedWire
import FedWorkloads
import Foundation
import Testing

/// Secure XGB as a party run through the real coordinator (the dealer) and two workers: the same
/// results in every process layout and equal to the fixed-point emulator, a dealer that never gets a
/// share message, and faults that stop every process with the reason.
@Suite(.serialized) struct SecureXGBRunTests {
    static func topology(transport: String = "inproc", timeout: Double = 20, trees: Int = 2) throws -> Topology {
        try TopologyFixtures.parse("""
        name: secure-xgb-test
        seed: 3
        algorithm: {name: secure_xgb, rounds: \(trees), depth: 3, buckets: 8, loss: squared, lambda: 1, randomness: seeded}
        workload:
          dataset: {name: synthetic_regression, rows: 400, features: 6, test_fraction: 0.25}
          partition: {kind: vertical, party0: "0-2", party1: "3-5"}
        federation: {clients: 2, timeout_s: \(timeout), join_timeout_s: 30}
        processes: {workers: 2, transport: \(transport)}
        output: {plot: false}
        """)
    }

    /// The held-out RMSE the emulator's model gets on the same split and bins.
    static func emulatedRMSE(_ topology: Topology) throws -> Double {
        guard let spec = topology.partyRun else { throw PartyProtocolError.refused(reason: "not a party run") }
        let data = try VerticalData.load(spec.data, party: nil, seed: topology.seed, sourceFile: topology.sourceFile)
        let columns = [Array(0..<3), Array(3..<6)]
        let inputs = VerticalColumns.inputs(features: data.train, dimension: 6, labels: data.trainLabels ?? [], columns: columns,
                                            buckets: spec.settings.buckets)
        let (model, _) = try FixedPointBoosting.train(bins0: inputs[0].binned, features0: 3, bins1: inputs[1].binned, features1: 3,
                                                       buckets: spec.settings.buckets, labels: data.trainLabels ?? [],
                                                       settings: spec.settings.boosting)
        let test = VerticalColumns.binned(data.test, dimension: 6, columns: columns, inputs: inputs)
        let predictions = model.predict(bins0: test[0], bins1: test[1], rows: data.testRows).map(FixedPoint.decode)
        return PartyMetrics.heldOut(predictions, labels: data.testLabels ?? [], loss: .squared)["test_rmse"] ?? .nan
    }

    static func column(_ name: String, in directory: String) throws -> [String] {
        let lines = try String(contentsOfFile: directory + "/" + RunDirectory.File.metrics, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        guard let index = header.firstIndex(where: { $0 == name }) else { return [] }
        return lines.dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[index]) }
    }

    @Test func threadedAndTCPRuns_agreeWithEachOtherAndWithTheEmulator_andTheDealerSeesNoShares() throws {
        let inproc = try TopologyFixtures.threadedRun(try Self.topology(), "secure-xgb-inproc").0
        let tcp = try TopologyFixtures.threadedRun(try Self.topology(transport: "tcp"), "secure-xgb-tcp", transport: .tcp).0
        for name in ["test_rmse", "protocol_rounds", "bytes_between_parties", "bytes_from_dealer", "and_gates", "share_messages_at_dealer"] {
            let (a, b) = (try Self.column(name, in: inproc.url.path), try Self.column(name, in: tcp.url.path))
            #expect(a == b, "\(name) differs between layouts")
        }
        let rmse = try Self.column("test_rmse", in: inproc.url.path)
        let emulated = try Self.emulatedRMSE(try Self.topology())
        #expect(rmse.count == 2 && Double(rmse[1]) == emulated, "secure \(rmse), emulator \(emulated)")
        let atDealer = try Self.column("share_messages_at_dealer", in: inproc.url.path)
        let bytes = try Self.column("bytes_between_parties", in: tcp.url.path)
        #expect(atDealer == ["0", "0"])
        #expect(bytes.allSatisfy { (Double($0) ?? 0) > 0 })
        let events = try TopologyFixtures.events(tcp.url.path)
        #expect(!events.contains { $0["event"] as? String == "rejected" }, "no message was refused")
    }

    @Test func aShareMessageSentToTheDealer_isCountedAndRefused() throws {
        // A party that (wrongly) sends a share message to the coordinator: its first progress report
        // is rewritten into one. The coordinator counts it and refuses it; the run still completes.
        let rewritten = Counter()
        let tap: @Sendable ([UInt8]) -> [UInt8] = { frame in
            guard let envelope = try? EnvelopeCodec.decode(frame, limit: Int.max), envelope.phase == PartyWire.progressPhase,
                  rewritten.increment() == 1 else { return frame }
            var leaked = envelope
            var message = Fedsim_V1_ShareMessage()
            message.fromParty = 0
            message.toParty = 1
            message.step = "0/0/0/beaver_masked"
            leaked.body = .share(message)
            return EnvelopeCodec.encode(leaked)
        }
        let workers = [Worker.Options(name: "party-a", messageTap: tap), Worker.Options(name: "party-b")]
        let run = try TopologyFixtures.threadedRun(try Self.topology(trees: 1), "secure-xgb-leak", workers: workers).0
        let atDealer = try Self.column("share_messages_at_dealer", in: run.url.path)
        #expect(atDealer.last == "1")
        let events = try TopologyFixtures.events(run.url.path)
        #expect(events.contains { ($0["reason"] as? String)?.contains("a share message reached the dealer") == true })
    }

    @Test func aSilentParty_stopsEveryProcessWithTheReason() throws {
        // From tree 1 on, neither party's frames arrive: each waits out the 2 s time-out.
        let silence: @Sendable (ShareFrame) -> ShareFrame? = { $0.tag.tree >= 1 ? nil : $0 }
        var options = [Worker.Options(name: "party-a"), Worker.Options(name: "party-b")]
        for i in options.indices { options[i].partyTamper = silence }
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("secure-xgb-silent"))
        let start = ContinuousClock.now
        #expect(throws: RuntimeError.self) {
            try TopologyFixtures.threadedRun(try Self.topology(timeout: 2), "secure-xgb-silent", workers: options, directory: directory)
        }
        #expect(ContinuousClock.now - start < .seconds(20))
        let failures = try TopologyFixtures.events(directory.url.path).filter { $0["event"] as? String == "party_failed" }
        #expect(failures.contains { ($0["reason"] as? String)?.contains("sent nothing for 2.0 s") == true }, "\(failures)")
        // The first tree's row is kept.
        let kept = try Self.column("protocol_rounds", in: directory.url.path)
        #expect(kept.count == 1)
    }

    @Test func aShortShareFrame_isRefusedWithItsStep() throws {
        let truncate: @Sendable (ShareFrame) -> ShareFrame? = { frame in
            guard frame.tag == ShareTag(tree: 0, level: 1, step: 3), !frame.words.isEmpty else { return frame }
            var short = frame
            short.words.removeLast()
            return short
        }
        var options = [Worker.Options(name: "party-a"), Worker.Options(name: "party-b")]
        options[0].partyTamper = truncate
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("secure-xgb-short"))
        #expect(throws: RuntimeError.self) {
            try TopologyFixtures.threadedRun(try Self.topology(timeout: 5), "secure-xgb-short", workers: options, directory: directory)
        }
        let failures = try TopologyFixtures.events(directory.url.path).filter { $0["event"] as? String == "party_failed" }
        #expect(failures.contains { ($0["reason"] as? String)?.contains("bad share frame at tree 0 level 1 step 3") == true }, "\(failures)")
    }

    @Test func malformedShareMessages_andBadPartySettings_areRefusedWithReasons() throws {
        var message = PartyWire.shareMessage(ShareFrame(tag: ShareTag(tree: 0, level: 1, step: 2), purpose: .andMasked, words: [1, 2]), from: 1, to: 0)
        #expect(try PartyWire.frame(message, expectedFrom: 1, to: 0).words == [1, 2])
        #expect(throws: PartyProtocolError.self) { try PartyWire.frame(message, expectedFrom: 0, to: 1) }
        message.step = "0/1/x/and_masked"
        #expect(throws: PartyProtocolError.self) { try PartyWire.frame(message, expectedFrom: 1, to: 0) }
        message.step = "0/1/2/gradient"
        #expect(throws: PartyProtocolError.self) { try PartyWire.frame(message, expectedFrom: 1, to: 0) }
        let base = "algorithm: {name: secure_xgb, rounds: 1}\nworkload:\n  dataset: {name: breast_cancer}\n"
        let cases = [
            (base + "  partition: {kind: vertical, party0: \"0-14\", party1: \"15-29\"}\nfederation: {clients: 3}\nprocesses: {workers: 2}\n", "exactly 2"),
            (base + "  partition: {kind: vertical, party0: \"0-14\", party1: \"15-29\"}\nfederation: {clients: 2}\nprocesses: {workers: 1}\n", "own worker"),
            (base + "  partition: {kind: horizontal, party0: \"0-14\", party1: \"15-29\"}\nfederation: {clients: 2}\n", "vertical"),
        ]
        for (yaml, expected) in cases {
            #expect { try TopologyFixtures.parse(yaml) } throws: { "\($0)".contains(expected) }
        }
        guard let spec = try TopologyFixtures.parse(base + "  partition: {kind: vertical, party0: \"0-14\", party1: \"14-29\"}\nfederation: {clients: 2}\n").partyRun else {
            Issue.record("not a party run"); return
        }
        #expect { try VerticalData.load(spec.data, party: 0, seed: 1, sourceFile: Fixtures.path("topologies/x.yaml")) } throws: {
            "\($0)".contains("given to both parties")
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
