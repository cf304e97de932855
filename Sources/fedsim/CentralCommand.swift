import ArgumentParser
import FedCore
import FedModels
import FedReport
import FedRuntime
import FedWorkloads
import Foundation

/// `fedsim central`: the centralised counterpart of a recommender topology. It trains the workload's
/// model on every user's training interactions at once (same data, split, seed and initial
/// parameters as the federated run) and writes a run directory whose rows are epochs, so
/// `fedsim plot` overlays it with federated runs.
struct CentralCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "central",
        abstract: "Train a recommender topology's model centrally (bpr_mf, ncf, lightgcn, ngcf); rows are epochs.")

    @Argument(help: "A topology file with an interaction data set (its algorithm section is ignored).")
    var topology: String

    @Option(name: .customLong("set"), help: "Override a topology value, e.g. --set workload.model.kind=lightgcn (repeatable).")
    var overrides: [String] = []

    @Option(help: "Epochs over the training interactions.")
    var epochs = 50

    @Option(help: "Adam's step size.")
    var lr: Float = 0.001

    @Option(help: "Examples per Adam step.")
    var batchSize = 1024

    @Option(help: "Sampled negatives per positive (ncf; BPR models take one per positive).")
    var negatives = 4

    @Option(help: "Evaluate every this many epochs (and after the last).")
    var evalEvery = 5

    @Option(help: "NeuMF: pre-train GMF and MLP this many epochs each, then fine-tune NeuMF from them with plain SGD.")
    var pretrainEpochs: Int?

    @Option(help: "NeuMF after pre-training: plain SGD's step size.")
    var fineTuneLr: Float = 0.001

    @Option(help: "Run directory (default: the topology's output.dir with -central).")
    var out: String?

    func run() throws {
        do {
            let top = try ConfigSection(try RunHost.loadTopologyNode(path: topology, overrides: overrides))
            let seed = try top.uint64("seed", default: 1)
            let workload = try WorkloadCatalog.decode(try top.section("workload"))
            guard WorkloadCatalog.interactionDatasets.contains(workload.dataset.name) else {
                throw ValidationError("fedsim central trains recommenders: the data set must be one of "
                                      + WorkloadCatalog.interactionDatasets.sorted().joined(separator: ", "))
            }
            let name = (try? top.section("output").optionalString("dir")).flatMap { $0 }.map { $0 + "-central" } ?? "runs/central"
            let directory = try RunDirectory.makeFresh(at: out ?? name)
            let loaded = try RecommenderWorkload.load(workload.dataset, seed: seed)
            let model = RecommenderModel(network: workload.model.recommender, data: loaded.data)
            var settings = RecommenderTraining.Settings()
            settings.epochs = epochs
            settings.learningRate = lr
            settings.batchSize = batchSize
            let names = loaded.data.evaluation.metricNames
            let metrics = try MetricsWriter(path: directory.path(RunDirectory.File.metrics), extraColumns: names + ["test_users", "data_epochs"])
            let start = Date()
            print("fedsim central: \(workload.model.kind) on \(workload.dataset.name), \(loaded.data.userCount) users, "
                  + "\(loaded.data.itemCount) items, \(epochs) epochs")
            if pretrainEpochs != nil {
                guard case .neuralCF(.neumf, _, _) = workload.model.recommender else {
                    throw ValidationError("--pretrain-epochs is NeuMF's pre-training: use kind ncf with variant neumf")
                }
            }
            let pretraining = pretrainEpochs.map { (epochs: $0, fineTuneRate: fineTuneLr) }
            CentralRecommender.train(model, settings: settings, negatives: negatives, seed: seed, evaluateEvery: evalEvery,
                                     pretraining: pretraining) { point in
                var row: [String: Double] = ["round": Double(point.epoch), "data_epochs": Double(point.epoch),
                                             "wall_s": Date().timeIntervalSince(start), "bytes_up": 0, "bytes_down": 0, "bytes_state": 0,
                                             "participants": 1, "failures": 0, "rejected": 0, "train_loss": point.loss,
                                             "test_users": Double((0..<loaded.data.userCount).filter(loaded.data.isEvaluated).count)]
                for (name, value) in zip(names, point.metrics) { row[name] = value }
                metrics.append(row)
                print(String(format: "  epoch %4d  loss %.4f  %@ %.4f  %@ %.4f", point.epoch, point.loss, names[0], point.metrics[0],
                             names[1], point.metrics[1]))
            }
            metrics.close()
            let svg = try ConvergencePlot.render(runDirectories: [directory.url.path], metric: names[0],
                                                 title: "\(workload.model.kind), central, \(workload.dataset.name)")
            try directory.writeAtomically(RunDirectory.File.plot, Data(svg.utf8))
            print("fedsim central: run directory \(directory.url.path)")
        } catch let error as ValidationError {
            throw error
        } catch {
            printError("fedsim central: \(error)")
            throw ExitCode(2)
        }
    }
}
