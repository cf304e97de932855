import FedCore
import FedRuntime
import FedTestSupport
import Testing

@Suite struct SweepTopologyTests {
    static func topology(sweep: String) throws -> Topology {
        try TopologyFixtures.parse("""
        name: sweep
        algorithm: {name: fedavg, rounds: 2}
        workload: {model: {kind: mlp, hidden: [4]}, dataset: {name: digits}, partition: {kind: iid}}
        federation: {clients: 8, per_round: 4}
        sweep: \(sweep)
        """)
    }

    func message(_ sweep: String) -> String? {
        do { _ = try Self.topology(sweep: sweep); return nil } catch let error as ConfigError { return error.path + ": " + error.message } catch {
            return "\(error)"
        }
    }

    @Test func aValidSweep_decodesWithItsDefaults() throws {
        let sweep = try #require(try Self.topology(sweep: "{key: federation.per_round, values: [1, 2, 8]}").sweep)
        #expect(sweep.values == ["1", "2", "8"])
        #expect(sweep.metric == nil)
        #expect(sweep.lastFraction == 0.5)
    }

    @Test func badSweeps_areRejectedWithTheKeyAtFault() {
        #expect(message("{key: federation.per_round, values: [1, 9]}")?.contains("federation.per_round") == true,
                "a value outside the key's range fails at decode time")
        #expect(message("{key: federation.per_round, values: [2, 2]}")?.contains("repeat") == true)
        #expect(message("{key: federation.per_round, values: []}")?.contains("non-empty") == true)
        #expect(message("{key: sweep.key, values: [1]}")?.contains("itself") == true)
        #expect(message("{key: algorithm.lr, values: [0.1], typo: 1}")?.contains("typo") == true)
        #expect(message("{key: algorithm.no_such_key, values: [1]}")?.contains("no_such_key") == true)
    }
}
