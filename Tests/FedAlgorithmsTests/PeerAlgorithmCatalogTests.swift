import FedAlgorithms
import FedCore
import FedModels
import Testing

/// The decentralized algorithms' names, keys and defaults (optimization spec §6, last row).
@Suite struct PeerAlgorithmCatalogTests {
    static let model = QuadraticBilevelModel(upper: 2, lower: 3)

    static func make(_ name: String, _ pairs: [(String, String)] = []) throws -> any PeerAlgorithm {
        try PeerAlgorithmCatalog.make(name, section: try AlgorithmFixtures.section([("name", name)] + pairs), model: model)
    }

    /// Whether `body` throws a `ConfigError`.
    static func rejects(_ body: () throws -> Void) -> Bool {
        do { try body() } catch is ConfigError { return true } catch { return false }
        return false
    }

    @Test func entries_nameTheThreeAlgorithms() {
        #expect(PeerAlgorithmCatalog.entries.map(\.name) == ["dbo_local_hypergrad", "dbo_jhip", "ma_dsbo"])
        #expect(PeerAlgorithmCatalog.entries.allSatisfy { !$0.summary.isEmpty })
    }

    @Test func make_withoutKeys_usesDocumentedDefaults() throws {
        let defaults = PeerBilevelSettings(innerSteps: 5, linearSteps: 5, lrInner: 0.05, lrLinear: 0.05, lrOuter: 0.02,
                                           batch: nil, restartTrackers: false)
        let g0 = try #require(try Self.make("dbo_local_hypergrad") as? DBOLocalHypergradient)
        #expect(g0.settings == defaults)
        let jhip = try #require(try Self.make("dbo_jhip") as? DBOJHIP)
        #expect(jhip.settings == defaults && jhip.tracking == .x)
        let ma = try #require(try Self.make("ma_dsbo") as? MADSBO)
        #expect(ma.settings == defaults && ma.tracking == .none && ma.movingAverage == 0.2)
        #expect(ma.name == "ma_dsbo" && jhip.name == "dbo_jhip" && g0.name == "dbo_local_hypergrad")
    }

    @Test func make_maDSBO_readsEveryKey() throws {
        let algorithm = try Self.make("ma_dsbo", [
            ("inner_steps", "7"), ("linear_steps", "3"), ("lr_inner", "0.1"), ("lr_linear", "0.2"), ("lr_outer", "0.01"),
            ("moving_average", "0.5"), ("gradient_tracking", "all"), ("batch_size", "16"), ("restart_trackers", "true"),
        ])
        let ma = try #require(algorithm as? MADSBO)
        #expect(ma.settings == PeerBilevelSettings(innerSteps: 7, linearSteps: 3, lrInner: 0.1, lrLinear: 0.2, lrOuter: 0.01,
                                                   batch: 16, restartTrackers: true))
        #expect(ma.movingAverage == 0.5 && ma.tracking == .all)
        #expect(ma.settingsSummary.first { $0.key == "gradient_tracking" }?.value == "all")
    }

    @Test func make_jhip_readsGradientTracking() throws {
        let jhip = try #require(try Self.make("dbo_jhip", [("gradient_tracking", "all")]) as? DBOJHIP)
        #expect(jhip.tracking == .all)
    }

    @Test func make_rejectsBadNamesValuesAndModels() {
        #expect(Self.rejects { _ = try Self.make("dsgd") })
        #expect(Self.rejects { _ = try Self.make("ma_dsbo", [("gradient_tracking", "x")]) }, "MA-DSBO tracks none or all")
        #expect(Self.rejects { _ = try Self.make("dbo_jhip", [("gradient_tracking", "none")]) }, "JHIP always tracks x")
        #expect(Self.rejects { _ = try Self.make("dbo_local_hypergrad", [("gradient_tracking", "all")]) })
        #expect(Self.rejects { _ = try Self.make("ma_dsbo", [("moving_average", "0")]) })
        #expect(Self.rejects { _ = try Self.make("ma_dsbo", [("inner_steps", "-1")]) })
        for name in ["dbo_local_hypergrad", "dbo_jhip", "ma_dsbo"] {
            #expect(Self.rejects {
                _ = try PeerAlgorithmCatalog.make(name, section: try AlgorithmFixtures.section([("name", name)]),
                                                  model: AlgorithmFixtures.model)
            }, "\(name) needs a bilevel model")
        }
    }
}
