import ArgumentParser
import FedRuntime
import Foundation

/// `fedsim health`: a container health check. Healthy while a coordinator or worker started with
/// `--health-file FILE` (or `FEDSIM_HEALTH_FILE`) keeps FILE fresh; it never contacts the run.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Exit 0 if a coordinator or worker's health file is fresh (for container health checks).")

    @Argument(help: "The health file (default: $FEDSIM_HEALTH_FILE).")
    var file: String?

    @Option(help: "Seconds after which a file that was not touched means the process is stuck.")
    var maxAge: Double = 30

    func run() throws {
        guard let path = file ?? ProcessInfo.processInfo.environment[LivenessBeacon.environmentVariable] else {
            throw ValidationError("name the health file, or set \(LivenessBeacon.environmentVariable)")
        }
        guard let age = LivenessBeacon.age(of: path) else {
            printError("unhealthy: \(path) does not exist (the process has not started its loop)")
            throw ExitCode(1)
        }
        guard age <= maxAge else {
            printError(String(format: "unhealthy: %@ was last touched %.1f s ago (limit %.0f s)", path, age, maxAge))
            throw ExitCode(1)
        }
        print(String(format: "healthy: %@ touched %.1f s ago", path, age))
    }
}

/// What a coordinator or worker process does once its run is over.
enum FinishBehaviour: String, ExpressibleByArgument, CaseIterable {
    /// Exit (a local run, docker-compose).
    case exit
    /// Stay up, idle, until SIGTERM or SIGINT: under a Kubernetes Deployment or StatefulSet, which
    /// restart any container that exits, a finished run then stays finished.
    case wait

    func apply() {
        guard self == .wait else { return }
        printError("fedsim: run over; waiting for SIGTERM (--on-finish wait)")
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
    }
}

/// The health file a process keeps fresh: the option, else the environment, else none.
func makeLivenessBeacon(_ option: String?) throws -> LivenessBeacon? {
    guard let path = option ?? ProcessInfo.processInfo.environment[LivenessBeacon.environmentVariable], !path.isEmpty else {
        return nil
    }
    return try LivenessBeacon(path: path)
}
