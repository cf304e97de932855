import ArgumentParser
import FedReport
import FedRuntime
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

    func run() throws {
        var spec = try loadOrExplain(topology)
        if let workers { spec.processes.workers = workers }
        if let transport, let kind = Topology.Transport(rawValue: transport) { spec.processes.transport = kind }
        let directory = try resume.map { try RunDirectory(existing: $0) } ?? RunDirectory.makeFresh(at: out ?? spec.output.directory)
        if !quiet {
            print("fedsim: \(spec.name): \(spec.algorithm.name), \(spec.federation.clients) clients "
                  + "(\(spec.federation.perRound) per round), \(spec.algorithm.rounds) rounds, "
                  + "\(spec.processes.workers) workers over \(spec.processes.transport.rawValue)")
        }
        if spec.processes.transport == .inproc {
            _ = try ThreadedRun.run(topology: spec, runDirectory: directory, transport: .inproc, showProgress: !quiet,
                                    resume: resume != nil)
        } else {
            let outcome = try MultiProcessRun.run(topologyPath: topology, topology: spec, runDirectory: directory, quiet: quiet,
                                                  resume: resume != nil)
            if outcome.interrupted {
                printError("fedsim: interrupted; partial results in \(directory.url.path)\n"
                           + "fedsim: to continue: fedsim run \(topology) --resume \(directory.url.path)")
                throw ExitCode(130)
            }
            guard outcome.coordinatorExit == 0 else {
                let events = directory.path(RunDirectory.File.events)
                let pointer = FileManager.default.fileExists(atPath: events) ? "; see \(events)" : ""
                printError("fedsim: the coordinator failed (exit \(outcome.coordinatorExit))\(pointer)")
                throw ExitCode(outcome.coordinatorExit == 0 ? 1 : outcome.coordinatorExit)
            }
        }
        printSummary(directory)
    }
}

/// Loads a topology, turning configuration errors into a clean message and exit code 2.
func loadOrExplain(_ path: String) throws -> Topology {
    do {
        return try RunHost.loadTopology(path: path)
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
