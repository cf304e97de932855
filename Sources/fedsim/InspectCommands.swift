import ArgumentParser
import FedAlgorithms
import FedModels
import FedReport
import FedRuntime
import FedSecure
import FedWorkloads
import Foundation

/// `fedsim validate`: check topology files without running them.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check topology files without running them.")

    @Argument(help: "Topology files.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let topology = try RunHost.loadTopology(path: file)
                print("\(file): ok (\(topology.algorithm.name), \(topology.federation.clients) clients, "
                      + "\(topology.algorithm.rounds) rounds, \(topology.processes.workers) workers)")
                if let graph = topology.network.graph, let rho = topology.network.rho {
                    let degrees = (0..<graph.nodeCount).map(graph.degree)
                    print("  network: \(topology.network.kind), \(graph.nodeCount) peers, \(graph.edgeCount) edges, degree "
                          + "\(degrees.min() ?? 0)–\(degrees.max() ?? 0), Metropolis–Hastings weights, "
                          + String(format: "rho = %.6f (spectral gap 1 − rho = %.6f)", rho, 1 - rho))
                }
                if let tuning = topology.tuning {
                    print("  tuning: \(tuning.space.keys.joined(separator: ", ")) by \(tuning.methods.map(\.rawValue).joined(separator: ", ")), "
                          + "\(tuning.trials) trials each (every corner of the space checked); run it with fedsim tune")
                }
                if let sweep = topology.sweep {
                    print("  sweep: \(sweep.key) over [\(sweep.values.joined(separator: ", "))] (every value checked)")
                }
            } catch {
                printError("\(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }
}

/// `fedsim list`: what a topology file may name.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List algorithms, models, data sets and partitioners.")

    func run() throws {
        print("algorithms:")
        for entry in AlgorithmCatalog.entries { print("  \(entry.name.padding(toLength: 22, withPad: " ", startingAt: 0))\(entry.summary)") }
        print("decentralized algorithms (with a network: section):")
        for entry in PeerAlgorithmCatalog.entries { print("  \(entry.name.padding(toLength: 22, withPad: " ", startingAt: 0))\(entry.summary)") }
        print("party protocols (two computing parties, the coordinator as dealer):")
        print("  \(SecureXGBSettings.algorithmName.padding(toLength: 22, withPad: " ", startingAt: 0))"
              + "secure vertical XGB over additive shares in Z_2^64: distributed model, secure prediction (Fang et al. 2021)")
        print("    data sets: \(VerticalSpec.datasetNames.joined(separator: ", ")); partition: vertical (party0/party1 columns)")
        print("models:")
        for kind in ModelCatalog.kinds { print("  \(kind.name.padding(toLength: 22, withPad: " ", startingAt: 0))\(kind.summary)") }
        print("data sets:")
        for entry in WorkloadCatalog.datasetSummaries { print("  \(entry.name.padding(toLength: 22, withPad: " ", startingAt: 0))\(entry.summary)") }
        print("partitioners:")
        for entry in WorkloadCatalog.partitionSummaries { print("  \(entry.name.padding(toLength: 22, withPad: " ", startingAt: 0))\(entry.summary)") }
        print("transports: tcp, ipc, inproc")
        print("networks: \(Topology.networkKinds.joined(separator: ", ")) (star: coordinator and clients; the others: peer graphs)")
    }
}

/// `fedsim plot`: overlay runs on one figure.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot", abstract: "Overlay runs: metric vs round and metric vs bytes.")

    @Argument(help: "Run directories.")
    var runs: [String]

    @Option(name: .shortAndLong, help: "Output SVG file.")
    var output = "convergence.svg"

    @Option(help: "Metric column to plot.")
    var metric = "test_accuracy"

    @Option(help: "Figure title.")
    var title: String?

    @Flag(help: "Logarithmic metric axis (for distances and losses that span decades).")
    var logY = false

    @Option(help: "The x column of the metric and loss panels (e.g. data_epochs to overlay federated and central recommender runs).")
    var x = "round"

    func run() throws {
        do {
            let svg = try ConvergencePlot.render(runDirectories: runs, metric: metric, title: title, logarithmic: logY, xColumn: x)
            try svg.write(toFile: output, atomically: true, encoding: .utf8)
            print("fedsim: wrote \(output)")
        } catch {
            printError("fedsim plot: \(error)")
            throw ExitCode(2)
        }
    }
}
