import FedAlgorithms
import FedCore
import FedModels
import FedSecure
import FedTransport
import FedWire
import FedWorkloads
import Foundation

extension Worker {
    /// Serves one party of a party run: loads only this party's columns (and, for party 0, the
    /// labels), opens its direct channel to the other party, takes its dealer key, trains the
    /// distributed model, runs secure prediction on the held-out rows and reports.
    func serveParty(topology: Topology, spec: PartyRunSpec, party: Int, runID: String) throws -> String {
        do {
            return try runParty(topology: topology, spec: spec, party: party, runID: runID)
        } catch {
            var report = Fedsim_V1_ErrorReport()
            report.code = "party_failed"
            report.message = "party \(party) (\(options.name)): \(error)"
            try? send(.error(report), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
            throw error
        }
    }

    func runParty(topology: Topology, spec: PartyRunSpec, party: Int, runID: String) throws -> String {
        guard let context else { throw RuntimeError.setupFailed(reason: "a party run needs a ZeroMQ context") }
        let settings = spec.settings
        let data: VerticalPartyData
        do { data = try VerticalData.load(spec.data, party: party, seed: topology.seed, sourceFile: topology.sourceFile) } catch {
            throw RuntimeError.setupFailed(reason: "party \(party): \(error)")
        }
        let bins = FeatureBins(fitting: data.train, dimension: data.columns.count, buckets: settings.buckets)
        let input = SecureBoostingParty.Input(party: party, bins: bins, binned: bins.apply(data.train), rows: data.trainRows,
                                              labels: data.trainLabels)
        let shape = SecureBoostingParty.Shape(rows: data.trainRows, features: data.allColumns.map(\.count), buckets: settings.buckets)
        var ready = Fedsim_V1_Heartbeat()
        ready.ready = true
        try send(.heartbeat(ready), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")

        let links = try openPeerLinks(context: context, maxMessageBytes: topology.federation.maxMessageBytes, runID: runID)
        defer { links.close() }
        var mesh: Fedsim_V1_MeshDirectory?
        var key: ChaCha20Stream.Key?
        let stop: String? = try awaitCoordinator(runID: runID) { envelope throws -> String?? in
            switch envelope.body {
            case let .mesh(directory)?: mesh = directory
            case let .task(task)? where envelope.phase == PartyWire.keyPhase: key = try PartyWire.key(from: task.tensors)
            case let .shutdown(shutdown)?:
                confirmShutdown(runID: runID)
                return .some(shutdown.reason)
            case let .error(report)?: throw RuntimeError.refused(reason: report.message)
            default: break
            }
            return mesh != nil && key != nil ? .some(nil) : nil
        }
        if let stop { return stop }
        guard let mesh, let key, mesh.endpoints.count == PartyRunSpec.parties else {
            throw RuntimeError.setupFailed(reason: "party \(party): no directory of both parties")
        }
        try links.connect(to: [1 - party], endpoints: mesh.endpoints, context: context, identity: "party-link-\(party)")

        let timeout = topology.federation.timeoutSeconds
        let link = MeshPartyLink(worker: self, links: links, party: party, runID: runID, timeoutSeconds: timeout,
                                 maxMessageBytes: topology.federation.maxMessageBytes)
        link.tamper = options.partyTamper
        let dealer = party == 0 ? RemoteDealer(worker: self, runID: runID, timeoutSeconds: timeout) : nil
        let material = PartyMaterial(party: party, key: key, corrections: dealer)
        let maskKey = settings.randomness == .seeded ? ChaCha20Stream.Key.seeded(topology.seed, label: 100 + UInt64(party)) : try .system()
        let engine = SecureEngine(party: party, link: link, material: material, maskKey: maskKey)
        let trainer = try SecureBoostingParty(engine: engine, input: input, shape: shape, settings: settings.boosting)
        var treeStart = (clock: ContinuousClock.now, rounds: 0, words: 0, gates: 0, dealer: 0)
        var levelStart = treeStart
        let model = try trainer.run { phase in
            var metrics = ["rounds": Double(engine.rounds - levelStart.rounds), "words_sent": Double(engine.wordsSent - levelStart.words),
                           "and_gates": Double(engine.andGates - levelStart.gates),
                           "dealer_words": Double(material.wordsFromDealer - levelStart.dealer),
                           "seconds": seconds(since: levelStart.clock)]
            switch phase {
            case .setup: metrics["setup"] = 1
            case let .level(tree, level): metrics["tree"] = Double(tree); metrics["level"] = Double(level)
            case let .leaves(tree):
                metrics["tree"] = Double(tree); metrics["leaves"] = 1
                metrics["tree_seconds"] = seconds(since: treeStart.clock)
                metrics["tree_rounds"] = Double(engine.rounds - treeStart.rounds)
                metrics["tree_words_sent"] = Double(engine.wordsSent - treeStart.words)
                metrics["tree_and_gates"] = Double(engine.andGates - treeStart.gates)
                metrics["tree_dealer_words"] = Double(material.wordsFromDealer - treeStart.dealer)
            case .finished: break
            }
            var update = Fedsim_V1_ClientUpdate()
            update.clientID = UInt32(party)
            update.metrics = metrics
            try send(.update(update), runID: runID, round: 0, attempt: 0, phase: PartyWire.progressPhase, receiver: "coordinator")
            levelStart = (.now, engine.rounds, engine.wordsSent, engine.andGates, material.wordsFromDealer)
            if case .setup = phase { treeStart = levelStart }
            if case .leaves = phase { treeStart = levelStart }
        }
        // Secure prediction on the held-out rows, opened to party 0 alone.
        let predictions = try SecurePrediction.predict(engine: engine, model: model, binned: bins.apply(data.test), rows: data.testRows)
        var result = Fedsim_V1_ClientUpdate()
        result.clientID = UInt32(party)
        if let predictions, let labels = data.testLabels {
            result.metrics = PartyMetrics.heldOut(predictions.map(FixedPoint.decode), labels: labels, loss: settings.boosting.loss)
        }
        result.metrics["model_trees"] = Double(model.trees.count)
        try send(.update(result), runID: runID, round: 0, attempt: 0, phase: PartyWire.resultPhase, receiver: "coordinator")
        var ignored = [Int: PeerState]()
        switch try awaitCoordinator(runID: runID, states: &ignored) {
        case let .shutdown(reason): return reason
        case .mesh: return "unexpected second directory"
        }
    }
}

/// What party 0 reports about the held-out rows: AUC and accuracy for 0/1 labels under logistic
/// loss, RMSE for squared loss.
enum PartyMetrics {
    static func heldOut(_ predictions: [Double], labels: [Double], loss: BinnedBoosting.Loss) -> [String: Double] {
        guard !labels.isEmpty else { return [:] }
        if loss == .squared {
            let mse = zip(predictions, labels).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(labels.count)
            return ["test_rmse": mse.squareRoot()]
        }
        let correct = zip(predictions, labels).filter { ($0.0 >= 0.5 ? 1.0 : 0.0) == $0.1 }.count
        return ["test_auc": ReceiverOperating.areaUnderCurve(predictions, labels: labels), "test_accuracy": Double(correct) / Double(labels.count)]
    }

}
