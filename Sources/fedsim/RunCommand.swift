import ArgumentParser
import FedReport
import FedRuntime
import FedWorkloads
import Foundation

/// `fedsim run`: the whole simulation on this machine.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a topology: coordinator and workers as separate processes (or threads with --transport inproc).")

    @Argument(help: "The topology file (YAML).")
    var topology: String

    @Option(help: "Number of worker processes (default: the file's processes.workers).")
    var workers: Int?

    @Option(help: "tcp (loopback), ipc (unix sockets) or inproc (threads in one process).")
    var transport: String?

    @Option(help: "Run directory (default: the file's output.dir; a suffix is added if it holds a run).")
    var out: String?

    @Flag(help: "No progress line.")
    var quiet = false

    @Option(help: "Continue an interrupted run in this directory from its checkpoint.")
    var resume: String?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let transport, Topology.Transport(rawValue: transport) == nil {
            throw ValidationError("--transport must be one of tcp, ipc, inproc")
        }
    }

    @Option(name: .customLong("set"), help: "Override a key of the file: dotted.key=value (repeatable), e.g. federation.per_round=8.")
    var overrides: [String] = []

    func run() throws {
        let spec = try loadOrExplain(topology, overrides: overrides)
        if spec.tuning != nil {
            printError("fedsim: \(topology) holds a tuning study: run it with `fedsim tune \(topology)` "
                       + "(or remove the tuning section to run the base configuration once)")
            throw ExitCode(2)
        }
        if let sweep = spec.sweep {
            guard resume == nil else { throw ValidationError("--resume continues one run; resume a sweep point with --set \(sweep.key)=VALUE") }
            try runSweep(sweep, base: spec)
            return
        }
        let directory = try resume.map { try RunDirectory(existing: $0) } ?? RunDirectory.makeFresh(at: out ?? spec.output.directory)
        try runOnce(adjusted(spec), overrides: overrides, directory: directory)
        printSummary(directory)
    }

    /// The topology with the command line's process settings applied.
    func adjusted(_ loaded: Topology) -> Topology {
        var spec = loaded
        if let workers { spec.processes.workers = workers }
        if let transport, let kind = Topology.Transport(rawValue: transport) { spec.processes.transport = kind }
        return spec
    }

    /// One run of `spec` (the file plus `overrides`) into `directory`.
    func runOnce(_ spec: Topology, overrides: [String], directory: RunDirectory) throws {
        try runTopologyOnce(path: topology, spec: spec, overrides: overrides, directory: directory, quiet: quiet, resume: resume != nil)
    }

    /// Every point of a sweep, each in its own subdirectory, then `sweep.csv` and `sweep.svg`.
    func runSweep(_ sweep: Topology.SweepSpec, base: Topology) throws {
        let root = try RunDirectory.makeFresh(at: out ?? base.output.directory)
        var points = [SweepSummary.Point]()
        // A party run's sweep measures cost: bytes between the parties per tree (and seconds per tree).
        let party = base.partyRun != nil
        let headline = party ? (name: "bytes_between_parties", logarithmic: false)
            : try PreparedWorkload.prepare(base, role: .coordinator).model.headlineMetric
        let metric = sweep.metric ?? headline.name
        for value in sweep.values {
            let pointOverrides = overrides + ["\(sweep.key)=\(value)"]
            let spec = adjusted(try loadOrExplain(topology, overrides: pointOverrides))
            let directory = try RunDirectory.makeFresh(at: root.path(SweepSummary.directoryName(key: sweep.key, value: value)))
            try runOnce(spec, overrides: pointOverrides, directory: directory)
            points.append(try SweepSummary.point(value: value, runDirectory: directory, metric: metric, lastFraction: sweep.lastFraction))
            if !quiet { print("fedsim: \(sweep.key) = \(value): plateau of \(metric) \(String(format: "%.4g", points.last!.plateau))") }
        }
        try SweepSummary.write(points, key: sweep.key, metric: metric, title: "\(base.name): \(base.algorithm.name)", into: root,
                               referenceSlope: party ? 1 : -1)
        if party {
            let seconds = try points.map {
                try SweepSummary.point(value: $0.value, runDirectory: RunDirectory(existing: $0.runDirectory), metric: "tree_seconds",
                                       lastFraction: sweep.lastFraction)
            }
            if let svg = SweepSummary.render(seconds, key: sweep.key, metric: "tree_seconds", title: "\(base.name): seconds per tree",
                                             referenceSlope: 1) {
                try root.writeAtomically("sweep-tree_seconds.svg", Data(svg.utf8))
            }
            print("fedsim: seconds per tree: " + seconds.map { "\($0.value): \(String(format: "%.3g", $0.plateau)) s" }.joined(separator: ", "))
        }
        // Every run's curve on one figure, labelled by its directory (the swept value).
        let overlay = try ConvergencePlot.render(runDirectories: points.map(\.runDirectory), metric: metric,
                                                 title: "\(base.name): \(sweep.key) swept",
                                                 logarithmic: sweep.logarithmic ?? (metric == headline.name && headline.logarithmic))
        try root.writeAtomically(RunDirectory.File.plot, Data(overlay.utf8))
        print("fedsim: sweep of \(sweep.key) over \(sweep.values.count) runs: \(root.url.path)")
        print("fedsim: plateaus: \(root.path(SweepSummary.csvFile)), plot: \(root.path(SweepSummary.plotFile)), "
              + "runs overlaid: \(root.path(RunDirectory.File.plot))")
    }
}

/// One run of `spec` (the file at `path` plus `overrides`) into `directory`: threads for inproc,
/// otherwise a coordinator and workers as child processes.
func runTopologyOnce(path: String, spec: Topology, overrides: [String], directory: RunDirectory, quiet: Bool, resume: Bool) throws {
    if !quiet {
        print("fedsim: \(spec.name): \(spec.algorithm.name), \(spec.federation.clients) clients "
              + "(\(spec.federation.perRound) per round), \(spec.algorithm.rounds) rounds, "
              + "\(spec.processes.workers) workers over \(spec.processes.transport.rawValue)")
    }
    if spec.processes.transport == .inproc {
        _ = try ThreadedRun.run(topology: spec, runDirectory: directory, transport: .inproc, showProgress: !quiet, resume: resume)
        return
    }
    let outcome = try MultiProcessRun.run(topologyPath: path, topology: spec, runDirectory: directory, quiet: quiet,
                                          resume: resume, overrides: overrides)
    if outcome.interrupted {
        printError("fedsim: interrupted; partial results in \(directory.url.path)\n"
                   + "fedsim: to continue: fedsim run \(path) \(overrides.map { "--set \($0) " }.joined())--resume \(directory.url.path)")
        throw ExitCode(130)
    }
    guard outcome.coordinatorExit == 0 else {
        let events = directory.path(RunDirectory.File.events)
        let pointer = FileManager.default.fileExists(atPath: events) ? "; see \(events)" : ""
        printError("fedsim: the coordinator failed (exit \(outcome.coordinatorExit))\(pointer)")
        throw ExitCode(outcome.coordinatorExit == 0 ? 1 : outcome.coordinatorExit)
    }
}

/// Loads a topology, turning configuration errors into a clean message and exit code 2.
func loadOrExplain(_ path: String, overrides: [String] = []) throws -> Topology {
    do {
        return try RunHost.loadTopology(path: path, overrides: overrides)
    } catch {
        printError("fedsim: \(error)")
        throw ExitCode(2)
    }
}

/// Prints the final metrics and where the run directory is.
func printSummary(_ directory: RunDirectory) {
    let metricsURL = URL(fileURLWithPath: directory.path(RunDirectory.File.metrics))
    if let table = try? MetricsTable(contentsOf: metricsURL), let last = table.rows.last {
        // The final values of the evaluation columns this run has (accuracy for classifiers, the
        // model's own metrics such as saddle_distance otherwise).
        let shown = table.columns.enumerated().filter { index, name in
            last[index].isFinite && (["test_accuracy", "test_loss"].contains(name) || !MetricsWriter.standardColumns.contains(name))
        }
        let values = shown.map { index, name in "\(name.replacingOccurrences(of: "_", with: " ")) \(String(format: "%.4g", last[index]))" }
        let round = table.column("round")?.last.map { Int($0) } ?? 0
        print("fedsim: finished \(round) rounds: \(values.joined(separator: ", "))")
    }
    print("fedsim: run directory: \(directory.url.path)")
    if FileManager.default.fileExists(atPath: directory.path(RunDirectory.File.plot)) {
        print("fedsim: plot: \(directory.path(RunDirectory.File.plot))")
    }
    if FileManager.default.fileExists(atPath: directory.path(RunDirectory.File.samples)) {
        print("fedsim: samples: \(directory.path(RunDirectory.File.samples))")
    }
}
