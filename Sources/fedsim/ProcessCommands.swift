import ArgumentParser
import CSupport
import FedReport
import FedRuntime
import FedTransport
import Foundation

/// When started by the launcher, die with it (no orphans), and handle SIGTERM by default.
///
/// The launcher puts its pid in the marker variable. If it died before the death signal was armed,
/// the parent is already someone else: exit instead of running as an orphan.
func bindLifetimeToLauncher() {
    guard let launcher = ProcessInfo.processInfo.environment[MultiProcessRun.launchedMarker] else { return }
    signal(SIGTERM, SIG_DFL)
    _ = fedsim_set_parent_death_signal(SIGTERM)
    if let pid = Int32(launcher), getppid() != pid { exit(1) }
}

/// `fedsim coordinator`: the coordinator alone, for runs started by hand across hosts.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator", abstract: "Run only the coordinator; workers join with `fedsim worker --connect`.")

    @Option(help: "The topology file (YAML).")
    var config: String

    @Option(help: "ZeroMQ endpoint to bind, e.g. tcp://0.0.0.0:5555 (tcp://127.0.0.1:* picks a free port).")
    var bind = "tcp://0.0.0.0:5555"

    @Option(help: "Run directory (default: the file's output.dir; a suffix is added if it holds a run).")
    var out: String?

    @Option(help: "Number of workers to wait for (default: the file's processes.workers).")
    var workers: Int?

    @Option(help: "Transport recorded in the resolved config (the bind endpoint decides the real one).")
    var transport: String?

    @Flag(help: "No progress line.")
    var quiet = false

    @Flag(help: "Continue the run in --out from its checkpoint (results identical to an uninterrupted run); without a checkpoint, start it.")
    var resume = false

    @Option(help: "A file kept fresh while the coordinator runs, for `fedsim health` (default: $FEDSIM_HEALTH_FILE).")
    var healthFile: String?

    @Option(help: "After the run: exit, or wait idle for SIGTERM (under Kubernetes, which restarts exited containers).")
    var onFinish: FinishBehaviour = .exit

    func validate() throws {
        if resume && out == nil { throw ValidationError("--resume needs --out RUN_DIR") }
    }

    @Option(name: .customLong("set"), help: "Override a key of the file: dotted.key=value (repeatable).")
    var overrides: [String] = []

    func run() throws {
        bindLifetimeToLauncher()
        var spec = try loadOrExplain(config, overrides: overrides)
        if let workers { spec.processes.workers = workers }
        if let transport, let kind = Topology.Transport(rawValue: transport) { spec.processes.transport = kind }
        let directory = try out.map { try RunDirectory(existing: $0) } ?? RunDirectory.makeFresh(at: spec.output.directory)
        let context = try ZMQContext()
        do {
            _ = try RunHost.runCoordinator(topology: spec, runDirectory: directory, context: context, endpoint: bind,
                                           showProgress: !quiet, resume: resume, liveness: try makeLivenessBeacon(healthFile))
        } catch {
            printError("fedsim coordinator: \(error)")
            throw ExitCode(1)
        }
        if ProcessInfo.processInfo.environment[MultiProcessRun.launchedMarker] == nil { printSummary(directory) }
        onFinish.apply()
    }
}

/// `fedsim worker`: one worker process hosting virtual clients.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run a worker that joins a coordinator.")

    @Option(help: "The coordinator's endpoint, e.g. tcp://HOST:5555.")
    var connect: String

    @Option(help: "A name for this worker (default: host name and process id).")
    var name: String?

    @Option(help: "Seconds without any message from the coordinator before giving up.")
    var coordinatorTimeout: Double = 60

    @Option(help: "Decentralized runs over tcp: the address other workers reach this one at (default: this host's first IPv4 address).")
    var advertiseHost: String?

    @Option(help: "A file kept fresh while the worker runs, for `fedsim health` (default: $FEDSIM_HEALTH_FILE).")
    var healthFile: String?

    @Option(help: "After the run: exit, or wait idle for SIGTERM (under Kubernetes, which restarts exited containers).")
    var onFinish: FinishBehaviour = .exit

    @Option(help: "Where hosted clients' private state is saved, so resumed and moved clients continue; share it between workers (default: $FEDSIM_STATE_DIR, else memory only).")
    var stateDir: String?

    func run() throws {
        bindLifetimeToLauncher()
        let context = try ZMQContext()
        let stateDirectory = stateDir ?? ProcessInfo.processInfo.environment["FEDSIM_STATE_DIR"]
        let label = name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        do {
            _ = try RunHost.runWorker(
                context: context, endpoint: connect,
                options: Worker.Options(name: label, coordinatorTimeoutSeconds: coordinatorTimeout, advertiseHost: advertiseHost,
                                        liveness: try makeLivenessBeacon(healthFile), stateDirectory: stateDirectory))
        } catch {
            printError("fedsim worker \(label): \(error)")
            throw ExitCode(1)
        }
        onFinish.apply()
    }
}
