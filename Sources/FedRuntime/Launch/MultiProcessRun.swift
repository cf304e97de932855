#if canImport(Glibc)
import FedReport
import FedWorkloads
import Foundation
import Glibc
#endif

/// `fedsim run`: the coordinator and every worker as separate processes of this same executable.
///
/// The launcher starts the coordinator, waits until it has bound its socket (it writes the concrete
/// endpoint into the run directory), starts the workers, and waits. Ctrl-C or SIGTERM is forwarded
/// to every child; children also get SIGTERM from the kernel if the launcher dies (PR_SET_PDEATHSIG),
/// so no process outlives the run.
public enum MultiProcessRun {
    /// The outcome seen by the launcher.
    public struct Outcome: Sendable {
        public var coordinatorExit: Int32
        public var workerExits: [Int32]
        /// Sum of every child's peak resident memory plus the launcher's own.
        public var peakTreeBytes: Int
        /// Sum of the children's peak resident memory.
        public var peakChildrenBytes: Int
        public var interrupted: Bool
    }

    /// Environment variable telling a child it was started by the launcher (its value: the launcher's pid).
    public static let launchedMarker = "FEDSIM_LAUNCHED"

    public static func run(
        topologyPath: String, topology: Topology, runDirectory: RunDirectory, quiet: Bool, resume: Bool = false,
        overrides: [String] = []
    ) throws -> Outcome {
        guard let executable = DataLocator.executablePath() else {
            throw RuntimeError.setupFailed(reason: "cannot find this executable's path")
        }
        let children = ChildProcesses()
        let environment = ["OPENBLAS_NUM_THREADS": "1", launchedMarker: "\(getpid())"]
        let endpoint: String
        switch topology.processes.transport {
        case .ipc: endpoint = "ipc://\(NSTemporaryDirectory())fedsim-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        default: endpoint = "tcp://127.0.0.1:*"
        }
        var coordinatorArguments = ["coordinator", "--config", topologyPath, "--bind", endpoint,
                                    "--out", runDirectory.url.path, "--workers", "\(topology.processes.workers)",
                                    "--transport", topology.processes.transport.rawValue]
        for override in overrides { coordinatorArguments += ["--set", override] }
        if quiet { coordinatorArguments.append("--quiet") }
        if resume { coordinatorArguments.append("--resume") }
        // A resumed run directory still holds the previous endpoint; workers must wait for the new one.
        try? FileManager.default.removeItem(atPath: runDirectory.path(RunDirectory.File.endpoint))
        let coordinator = try children.spawn(name: "coordinator", executable: executable, arguments: coordinatorArguments,
                                             environment: environment)
        let interrupted = InterruptFlag()
        let signalSources = installForwarding(children: children, flag: interrupted)
        defer { for source in signalSources { source.cancel() } }

        // Wait for the coordinator to bind (it loads its data first, which may take a while), die, or
        // be interrupted.
        let endpointFile = runDirectory.path(RunDirectory.File.endpoint)
        var bound: String?
        while bound == nil && children.isRunning(coordinator) && !interrupted.isSet {
            if let text = try? String(contentsOfFile: endpointFile, encoding: .utf8), text.hasSuffix("\n") {
                bound = text.trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                children.reap(timeout: 0.005)
            }
        }
        if let bound {
            for index in 0..<topology.processes.workers {
                _ = try children.spawn(name: "worker-\(index)", executable: executable,
                                       arguments: ["worker", "--connect", bound, "--name", "worker-\(index)",
                                                   "--state-dir", runDirectory.path(RunDirectory.File.privateState)],
                                       environment: environment)
            }
        }
        // Wait for the coordinator; then give workers a moment to take their Shutdown and leave.
        while children.isRunning(coordinator) { children.reap(timeout: 0.5) }
        let coordinatorExit = children.allExits.first { $0.pid == coordinator }?.code ?? -1
        let workerDeadline = Date().addingTimeInterval(coordinatorExit == 0 ? 10 : 0.5)
        while children.runningCount > 0 && Date() < workerDeadline { children.reap(timeout: 0.1) }
        if children.runningCount > 0 { children.terminateAll(grace: 2) }

        var own = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &own)
        let exits = children.allExits
        let childrenPeak = exits.reduce(0) { $0 + $1.peakResidentBytes }
        return Outcome(coordinatorExit: coordinatorExit, workerExits: exits.filter { $0.pid != coordinator }.map(\.code),
                       peakTreeBytes: childrenPeak + Int(own.ru_maxrss) * 1024, peakChildrenBytes: childrenPeak,
                       interrupted: interrupted.isSet)
    }

    /// Forwards SIGINT and SIGTERM to the children. Installed after spawning the first child, and
    /// children reset their handlers at spawn, so ignoring the signals here does not reach them.
    static func installForwarding(children: ChildProcesses, flag: InterruptFlag) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                flag.set()
                children.signalAll(SIGTERM)
            }
            source.resume()
            return source
        }
    }
}

/// A thread-safe one-way flag.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}
