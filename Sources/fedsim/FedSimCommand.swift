import ArgumentParser
import CSupport
import FedRuntime
import Foundation

/// The `fedsim` command line.
@main
struct FedSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedsim",
        abstract: "A federated-learning simulator that is also a real distributed system.",
        subcommands: [RunCommand.self, CoordinatorCommand.self, WorkerCommand.self, ValidateCommand.self,
                      ListCommand.self, PlotCommand.self, BenchCommand.self, HealthCommand.self, TuneCommand.self,
                      CentralCommand.self])

    static func main() {
        BLASKernelSelection.reexecWithFastestKernelIfNeeded()
        fedsim_tune_malloc_for_big_buffers()
        fedsim_line_buffer_stdout()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Prints a message to stderr.
func printError(_ message: String) {
    FileHandleOutput.standardError(message + "\n")
}
