import ArgumentParser
import FedCore
import FedRuntime
import Foundation

/// `fedsim bench`: the benchmark workloads over real processes, plus the kernels they rest on,
/// each printed next to the limit it chases on this machine. Build with `-c release`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: W1/W2/W3, DANN, ASFGNN and FedRec over real processes, secure XGB, sgemm, protobuf vs memcpy (build with -c release).")

    @Option(help: "Workloads to run: w1, w2, w3, dann, asfgnn, fedrec, fedrec_lightgcn (comma separated), or none.")
    var workloads = "w1,w2,w3,dann,asfgnn,fedrec,fedrec_lightgcn"

    @Flag(help: "Skip the kernel micro-benchmarks.")
    var skipKernels = false

    @Option(help: "Folder holding the workloads' topology files (<name>.yaml).")
    var topologies = "topologies/bench"

    func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless. Use: swift build -c release")
        #endif
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS core \(Matmul.coreName)")
        if !skipKernels {
            Matmul.setThreadCount(1)
            KernelBenchmarks.printSgemm()
            KernelBenchmarks.printWirePath()
            GraphKernelBenchmarks.printAll()
            RecommenderBenchmarks.printEvaluation()
            SecureXGBBenchmarks.printAll()
            AdapterBenchmarks.printAll()
        }
        let names = workloads.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "none" && !$0.isEmpty }
        for name in names {
            try WorkloadBenchmark.run(name: name.uppercased(), topologyPath: "\(topologies)/\(name).yaml")
        }
    }
}
