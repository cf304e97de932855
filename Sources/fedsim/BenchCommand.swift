import ArgumentParser

/// `fedsim bench`: release-mode benchmarks (figures, not tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Run the benchmarks (build with -c release).")
    func run() throws { print("bench: not yet") }
}
