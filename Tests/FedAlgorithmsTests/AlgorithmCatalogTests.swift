import FedAlgorithms
import FedCore
import FedModels
import Testing

private typealias F = AlgorithmFixtures

/// Runs `body` and returns the `ConfigError` it throws, or records an issue.
private func configError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    do {
        try body()
        Issue.record("expected a ConfigError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite struct AlgorithmCatalogTests {
    @Test func entries_includeFedAvgAndFedProx() {
        let names = AlgorithmCatalog.entries.map(\.name)
        #expect(names.contains("fedavg") && names.contains("fedprox"))
        #expect(Set(names).count == names.count)
        #expect(AlgorithmCatalog.entries.allSatisfy { !$0.summary.isEmpty })
    }

    @Test func make_fedavg_readsLocalSGDKeys() throws {
        let section = try F.section([
            ("name", "fedavg"), ("local_epochs", "3"), ("batch_size", "16"), ("lr", "0.05"), ("momentum", "0.9"),
            ("weight_decay", "0.001"),
        ])
        let algorithm = try AlgorithmCatalog.make("fedavg", section: section, model: F.model)
        #expect(algorithm.name == "fedavg")
        #expect(algorithm.batchCapacity == 16)
        let fedavg = try #require(algorithm as? FedAvg)
        #expect(fedavg.local == LocalTrainer.Settings(
            epochs: 3, batchSize: 16, maxSteps: nil,
            optimizer: SGD.Settings(learningRate: 0.05, momentum: 0.9, weightDecay: 0.001)))
        #expect(fedavg.layout == F.model.layout)
    }

    @Test func make_fedavg_withoutKeys_usesDocumentedDefaults() throws {
        let algorithm = try AlgorithmCatalog.make("fedavg", section: try F.section([("name", "fedavg")]), model: F.model)
        let fedavg = try #require(algorithm as? FedAvg)
        // Documented defaults: local_epochs 1, local_steps unset, batch_size 32, lr 0.1, momentum 0, weight_decay 0.
        #expect(fedavg.local == LocalTrainer.Settings(epochs: 1, batchSize: 32, maxSteps: nil, optimizer: SGD.Settings(learningRate: 0.1)))
    }

    @Test func make_fedprox_readsMuAndLocalSteps() throws {
        let section = try F.section([("name", "fedprox"), ("mu", "0.5"), ("local_steps", "25"), ("batch_size", "4")])
        let algorithm = try AlgorithmCatalog.make("fedprox", section: section, model: F.model)
        #expect(algorithm.name == "fedprox")
        let fedprox = try #require(algorithm as? FedProx)
        #expect(fedprox.mu == 0.5)
        #expect(fedprox.base.local.maxSteps == 25)
        #expect(fedprox.base.local.batchSize == 4)
        #expect(fedprox.settingsSummary.first { $0.key == "mu" }?.value == "0.5")
    }

    @Test func make_fedprox_withoutMu_usesDefaultOneHundredth() throws {
        let algorithm = try AlgorithmCatalog.make("fedprox", section: try F.section([("name", "fedprox")]), model: F.model)
        #expect((algorithm as? FedProx)?.mu == 0.01)
    }

    @Test func make_unknownName_throwsConfigErrorAtNameKey() throws {
        let section = try F.section([("name", "fedsgd"), ("lr", "0.1")])
        let error = configError { _ = try AlgorithmCatalog.make("fedsgd", section: section, model: F.model) }
        #expect(error?.path == "algorithm.name")
        #expect(error?.mark.line == 2)
        #expect(error?.message.contains("fedsgd") == true)
        #expect(error?.message.contains("fedavg") == true)
    }

    @Test(arguments: [("lr", "-0.1"), ("batch_size", "0"), ("momentum", "1.5"), ("local_epochs", "many"), ("mu", "-1")])
    func make_outOfRangeOrMalformedValue_throwsConfigErrorAtThatKey(key: String, value: String) throws {
        let section = try F.section([("name", "fedprox"), (key, value)])
        let error = configError { _ = try AlgorithmCatalog.make("fedprox", section: section, model: F.model) }
        #expect(error?.path == "algorithm.\(key)")
    }

    @Test func settingsSummary_listsResolvedKeys() throws {
        let fedavg = FedAvg(local: F.settings(epochs: 2, batch: 8, lr: 0.5), layout: F.model.layout)
        let summary = Dictionary(uniqueKeysWithValues: fedavg.settingsSummary.map { ($0.key, $0.value) })
        #expect(summary["local_epochs"] == "2")
        #expect(summary["batch_size"] == "8")
        #expect(summary["lr"] == "0.5")
        #expect(summary["local_steps"] == nil)
    }
}

@Suite struct FedMMSettingsTests {
    @Test func loosePenaltySchedule_isWarnedAbout_andAFirmOneIsNot() {
        let layout = ParameterLayout([("w", [3])])
        let loose = FedMM(local: LocalTrainer.Settings(epochs: 1, batchSize: 8, maxSteps: 1, optimizer: SGD.Settings(learningRate: 0.01)),
                          mu: 2, dualGrowth: 1.05, dualGrowthPeriod: 100, layout: layout)
        let firm = FedMM(local: LocalTrainer.Settings(epochs: 1, batchSize: 8, maxSteps: 20, optimizer: SGD.Settings(learningRate: 0.02)),
                         mu: 2, dualGrowth: 1.05, dualGrowthPeriod: 100, layout: layout)
        #expect(loose.startupWarnings(meanShardSize: 100).count == 1)   // 2 · 1 · 0.01 = 0.02
        #expect(firm.startupWarnings(meanShardSize: 100).isEmpty)      // 2 · 20 · 0.02 = 0.8
        // Epoch-based K: 2 epochs over 100 examples in batches of 8 = 26 steps; 2 · 26 · 0.001 = 0.052.
        let epochs = FedMM(local: LocalTrainer.Settings(epochs: 2, batchSize: 8, optimizer: SGD.Settings(learningRate: 0.001)),
                           mu: 2, dualGrowth: 1.05, dualGrowthPeriod: 100, layout: layout)
        #expect(epochs.localSteps(meanShardSize: 100) == 26)
        #expect(epochs.startupWarnings(meanShardSize: 100).count == 1)
    }

    @Test func dualScale_shrinksGeometrically_andIsZeroWithoutPenalty() {
        let layout = ParameterLayout([("w", [1])])
        let settings = LocalTrainer.Settings(epochs: 1, batchSize: 1, optimizer: SGD.Settings(learningRate: 0.1))
        let fedmm = FedMM(local: settings, mu: 2, dualGrowth: 1.05, dualGrowthPeriod: 100, layout: layout)
        #expect(abs(fedmm.dualScale(round: 1) - 0.5) < 1e-12)                          // 1 / (2 · 1.05^0)
        #expect(abs(fedmm.dualScale(round: 101) - 0.5 / 1.05) < 1e-12)                 // one period later
        #expect(FedMM(local: settings, mu: 0, dualGrowth: 1.05, dualGrowthPeriod: 100, layout: layout).dualScale(round: 5) == 0)
    }
}
