import FedReport
import FedSecure
import FedTransport
import Foundation

extension RunHost {
    /// The coordinator of a party run: binds, writes the resolved configuration and the endpoint,
    /// deals, records one metrics row per tree, and plots protocol bytes per tree.
    static func runPartyCoordinator(topology: Topology, spec: PartyRunSpec, runDirectory: RunDirectory, context: ZMQContext,
                                    endpoint: String) throws -> Coordinator.Summary {
        let resolved = topology.resolvedYAML(settings: spec.settingsSummary)
        try runDirectory.writeAtomically(RunDirectory.File.config, Data(resolved.utf8))
        let events = try EventLog(path: runDirectory.path(RunDirectory.File.events))
        defer { events.close() }
        let socket = try coordinatorSocket(context: context, topology: topology)
        defer {
            try? socket.setLinger(milliseconds: 1000)
            socket.close()
        }
        try socket.bind(endpoint)
        let bound = try socket.lastEndpoint()
        try runDirectory.writeAtomically(RunDirectory.File.endpoint, Data((bound + "\n").utf8))
        events.record("coordinator_started", ["endpoint": bound, "mode": "party", "algorithm": topology.algorithm.name])
        let coordinator = try PartyCoordinator(topology: topology, spec: spec, socket: socket, runDirectory: runDirectory, events: events,
                                               configYAML: resolved)
        do {
            let rows = try coordinator.run()
            if topology.output.plot {
                try writePlot(runDirectory, title: "\(topology.name): bytes between the parties per tree", metric: ("bytes_between_parties", false))
            }
            let seconds = rows.map { $0["tree_seconds"] ?? 0 }
            return Coordinator.Summary(rounds: rows.count, finalAccuracy: coordinator.results[0]?["test_accuracy"] ?? .nan,
                                       finalLoss: coordinator.results[0]?["test_rmse"] ?? .nan, finalParameters: [],
                                       rejectedMessages: coordinator.shareMessagesAtDealer, coordinatorSeconds: seconds, roundSeconds: seconds)
        } catch {
            events.record("run_failed", ["reason": "\(error)"])
            coordinator.shutdown(reason: "run failed: \(error)")
            throw error
        }
    }
}
