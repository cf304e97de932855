import FedAlgorithms
import FedCore
import FedModels
import FedReport
import FedTransport
import FedWorkloads
import Foundation

/// Sets up and tears down the coordinator side of a run: directory, config, socket, plot.
public enum RunHost {
    /// Reads and checks a topology file, after applying `overrides` ("dotted.key=value", as `--set`
    /// takes them). A file with a sweep and an override of the sweep's key is one point of the sweep.
    ///
    /// - Throws: `ConfigError` (file, line, key) for a bad file or override.
    public static func loadTopology(path: String, overrides: [String] = []) throws -> Topology {
        try Topology(node: try loadTopologyNode(path: path, overrides: overrides), file: path)
    }

    /// The topology file's tree with `overrides` applied, not yet decoded (for commands that read
    /// only some of its sections).
    public static func loadTopologyNode(path: String, overrides: [String] = []) throws -> ConfigNode {
        var node = try YAMLConfigLoader.load(contentsOf: path)
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else {
                throw ConfigError(mark: node.mark, path: "", message: "override '\(override)' is not key=value")
            }
            let key = String(override[..<equals]).trimmingCharacters(in: .whitespaces)
            if key == "sweep" || key.hasPrefix("sweep.") {
                throw ConfigError(mark: node.mark, path: key, message: "the sweep section cannot be overridden")
            }
            node = try node.setting(key, to: String(override[override.index(after: equals)...]).trimmingCharacters(in: .whitespaces))
            if let sweepNode = try? ConfigSection(node).rawNode("sweep"), case let .mapping(entries) = sweepNode.value,
               entries.first(where: { $0.key == "key" })?.node.scalarText == key {
                node = node.removing("sweep")
            }
        }
        return node
    }

    /// Runs the coordinator on `context`, bound to `endpoint`, writing into `runDirectory`.
    ///
    /// Writes `endpoint` (the concrete bound address, for launchers and scripts), the resolved config,
    /// metrics, events, the final model and the convergence plot. On failure the workers are told to
    /// shut down and the reason is logged before the error propagates.
    public static func runCoordinator(
        topology: Topology, runDirectory: RunDirectory, context: ZMQContext, endpoint: String, showProgress: Bool,
        resume: Bool = false, liveness: LivenessBeacon? = nil
    ) throws -> Coordinator.Summary {
        Matmul.setThreadCount(1)
        if let party = topology.partyRun {
            return try runPartyCoordinator(topology: topology, spec: party, runDirectory: runDirectory, context: context, endpoint: endpoint)
        }
        let workload = try PreparedWorkload.prepare(topology, role: .coordinator)
        let resolved = topology.network.isPeerToPeer
            ? topology.resolvedYAML(peerAlgorithm: try topology.makePeerAlgorithm(model: workload.model))
            : topology.resolvedYAML(algorithm: try topology.makeAlgorithm(model: workload.model))
        try runDirectory.writeAtomically(RunDirectory.File.config, Data(resolved.utf8))
        let events = try EventLog(path: runDirectory.path(RunDirectory.File.events), append: resume)
        defer { events.close() }
        let socket = try coordinatorSocket(context: context, topology: topology)
        defer {
            // Give the final Shutdown messages up to a second to leave (linger 0 would drop them).
            try? socket.setLinger(milliseconds: 1000)
            socket.close()
        }
        let monitor = try SocketMonitor(monitoring: socket, context: context)
        defer { monitor.close() }
        try socket.bind(endpoint)
        let bound = try socket.lastEndpoint()
        try runDirectory.writeAtomically(RunDirectory.File.endpoint, Data((bound + "\n").utf8))
        events.record("coordinator_started", ["endpoint": bound, "workers_expected": topology.processes.workers,
                                              "clients": topology.federation.clients])
        let warnings = topology.network.isPeerToPeer ? []
            : startupWarnings(topology, workload: workload, algorithm: try topology.makeAlgorithm(model: workload.model))
        for warning in warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            events.record("warning", ["message": warning])
        }
        let coordinator = try Coordinator(
            topology: topology, workload: workload, socket: socket, monitor: monitor, runDirectory: runDirectory, events: events,
            options: .init(configYAML: resolved, showProgress: showProgress, resume: resume, liveness: liveness))
        do {
            let summary = try coordinator.run()
            if topology.output.plot {
                try writePlot(runDirectory, title: "\(topology.name): \(topology.algorithm.name), \(topology.federation.clients) clients",
                              metric: workload.model.headlineMetric)
                try writeSamplesPlot(runDirectory, title: "\(topology.name): samples after round \(summary.rounds)",
                                     model: workload.model, parameters: summary.finalParameters, reference: workload.split.test)
            }
            return summary
        } catch {
            events.record("run_failed", ["reason": "\(error)"])
            coordinator.shutdownWorkers(reason: "run failed: \(error)")
            throw error
        }
    }

    /// The coordinator's ROUTER, options set, not bound yet.
    static func coordinatorSocket(context: ZMQContext, topology: Topology) throws -> ZMQSocket {
        let socket = try context.makeSocket(.router)
        // No send high-water mark: a round may queue thousands of tasks at once, and a ROUTER silently
        // drops what exceeds the mark (memory stays bounded by `per_round`). The receive mark stays
        // finite: past it the transport applies backpressure to the sender instead of dropping.
        try socket.setHighWaterMarks(send: 0, receive: 1000)
        // libzmq drops a connection that sends more than this cap before the message reaches memory;
        // messages between `max_message_mb` and the cap are rejected (and logged) by the coordinator.
        // Options apply to connections made afterwards, hence before binding.
        try socket.setMaxMessageSize(Int64(topology.federation.maxMessageBytes) * 2 + 4096)
        return socket
    }

    /// The algorithm's warnings about its settings for this workload.
    public static func startupWarnings(_ topology: Topology, workload: PreparedWorkload, algorithm: any StarAlgorithm) -> [String] {
        let sizes = workload.shardSizes
        let mean = sizes.isEmpty ? 0 : Double(sizes.reduce(0, +)) / Double(sizes.count)
        return algorithm.startupWarnings(meanShardSize: mean)
    }

    /// Writes `convergence.svg` for one run directory, showing the model's headline metric.
    public static func writePlot(_ runDirectory: RunDirectory, title: String? = nil,
                                 metric: (name: String, logarithmic: Bool) = ("test_accuracy", false)) throws {
        let svg = try ConvergencePlot.render(runDirectories: [runDirectory.url.path], metric: metric.name, title: title,
                                             logarithmic: metric.logarithmic)
        try runDirectory.writeAtomically(RunDirectory.File.plot, Data(svg.utf8))
    }

    /// Points drawn in the samples plot of a generative model.
    public static let plottedSampleCount = 1_000

    /// Writes `samples.svg` when `model` generates 2-D points: `plottedSampleCount` of its samples over
    /// the real test points. Does nothing for other models.
    public static func writeSamplesPlot(_ runDirectory: RunDirectory, title: String, model: any DifferentiableModel,
                                        parameters: [Float], reference: Dataset) throws {
        guard model.inputDimension == 2, reference.dimension == 2,
              let samples = model.generatedSamples(parameters: parameters, count: plottedSampleCount) else { return }
        let svg = ScatterPlot.render(title: title, sets: [
            ScatterPlot.PointSet(label: "real (test rows)", points: reference.features, radius: 1.5),
            ScatterPlot.PointSet(label: "generated", points: samples, radius: 2),
        ])
        try runDirectory.writeAtomically(RunDirectory.File.samples, Data(svg.utf8))
    }

    /// Runs a worker: connects a DEALER to `endpoint` and serves until shutdown.
    public static func runWorker(context: ZMQContext, endpoint: String, options: Worker.Options) throws -> String {
        Matmul.setThreadCount(1)
        let socket = try context.makeSocket(.dealer)
        defer { socket.close() }
        // The routing id only has to be unique among connected peers; it never enters results.
        try socket.setRoutingID(Array("\(options.name)#\(getpid())#\(UInt32.random(in: 1...UInt32.max))".utf8))
        try socket.setHighWaterMarks(send: 0, receive: 0)
        try socket.connect(endpoint)
        return try Worker(socket: socket, options: options, context: context, coordinatorEndpoint: endpoint).run()
    }
}
