import ArgumentParser
import FedCore
import FedReport
import FedRuntime
import FedWorkloads
import Foundation

/// `fedsim tune`: the topology's tuning study. Every trial is a whole federated run of the file with
/// the tuned keys set as the method proposes; each method writes `METHOD/trials.csv`, and the study
/// `tuning.svg` (best value so far against trial). Proposals depend only on the seed and the earlier
/// trials, so `--resume` continues a study exactly; a trial whose run fails is recorded as failed.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune", abstract: "Run a topology's tuning study (Bayesian optimisation, random search, grid).")

    @Argument(help: "The topology file, with a tuning section.")
    var topology: String

    @Option(help: "Methods to run, comma-separated (default: the file's tuning.methods): bo, random, grid.")
    var methods: String?

    @Option(help: "Trials per method (default: the file's tuning.trials).")
    var trials: Int?

    @Option(help: "Study directory (default: the file's output.dir; a suffix is added if it holds a study).")
    var out: String?

    @Option(help: "Continue the study in this directory.")
    var resume: String?

    @Option(help: "Worker processes per trial (default: the file's processes.workers).")
    var workers: Int?

    @Flag(help: "Print one line per trial only.")
    var quiet = false

    @Option(name: .customLong("set"), help: "Override a key of the file for every trial: dotted.key=value (repeatable).")
    var overrides: [String] = []

    func validate() throws {
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1") }
        if let methods, methods.split(separator: ",").contains(where: { TrialProposer.Method(rawValue: String($0)) == nil }) {
            throw ValidationError("--methods takes bo, random, grid (comma-separated)")
        }
    }

    func run() throws {
        let base = try loadOrExplain(topology, overrides: overrides)
        guard let tuning = base.tuning else {
            printError("fedsim: \(topology) has no tuning section (see the README, \"Tuning\")")
            throw ExitCode(2)
        }
        let chosen = methods.map { $0.split(separator: ",").compactMap { TrialProposer.Method(rawValue: String($0)) } } ?? tuning.methods
        let budget = trials ?? tuning.trials
        let root = try resume.map { try RunDirectory(existing: $0) } ?? RunDirectory.makeFresh(at: out ?? base.output.directory)
        let metric = try tuning.metric ?? PreparedWorkload.prepare(base, role: .coordinator).model.headlineMetric.name
        var studies = [(method: String, trials: [TuningSummary.Trial])]()
        for method in chosen {
            let directory = try RunDirectory(existing: root.path(method.rawValue))
            var done = try TuningSummary.read(from: directory, keys: tuning.space.keys)
            let proposer = TrialProposer(space: tuning.space, method: method, seed: base.seed, budget: budget,
                                         initialPoints: tuning.initialPoints)
            while done.count < budget {
                let trial = try runTrial(index: done.count, proposer: proposer, history: done, tuning: tuning, metric: metric,
                                         into: directory)
                done.append(trial)
                try TuningSummary.write(done, keys: tuning.space.keys, into: directory)
                let best = TuningSummary.bestSoFar(done, maximize: tuning.maximize).last ?? .nan
                print(String(format: "fedsim: %@ trial %d/%d: %@ %@ (best %.4g)  %@", method.rawValue, trial.index + 1, budget, metric,
                             trial.succeeded ? String(format: "%.4g", trial.value) : "failed", best,
                             zip(tuning.space.keys, trial.settings).map { "\($0)=\($1)" }.joined(separator: " ")))
            }
            studies.append((method.rawValue, done))
        }
        let svg = TuningSummary.render(studies, metric: metric, maximize: tuning.maximize, title: "\(base.name): tuning study")
        try root.writeAtomically(TuningSummary.plotFile, Data(svg.utf8))
        report(studies, tuning: tuning, metric: metric, root: root)
    }

    /// Runs one trial and returns its record; a run that fails is a failed trial, not an error.
    func runTrial(index: Int, proposer: TrialProposer, history: [TuningSummary.Trial], tuning: Topology.TuningSpec,
                  metric: String, into directory: RunDirectory) throws -> TuningSummary.Trial {
        // The proposer maximises; a minimised metric is fed to it negated.
        let signed = history.map { ($0.point, $0.succeeded ? (tuning.maximize ? $0.value : -$0.value) : nil) }
        let point = proposer.propose(index: index, history: signed)
        let trialOverrides = overrides + Topology.tuningOverrides(tuning, point: point)
        var spec = try loadOrExplain(topology, overrides: trialOverrides)
        if let workers { spec.processes.workers = workers }
        let runDirectory = try RunDirectory.makeFresh(at: directory.path(String(format: "trial-%03d", index + 1)))
        let start = Date()
        var value = Double.nan
        do {
            try runTopologyOnce(path: topology, spec: spec, overrides: trialOverrides, directory: runDirectory, quiet: true, resume: false)
            value = try SweepSummary.point(value: "", runDirectory: runDirectory, metric: metric, lastFraction: tuning.lastFraction).plateau
        } catch let exit as ExitCode where exit.rawValue == 130 {
            throw exit  // interrupted: stop the study; --resume reruns this trial
        } catch {
            printError("fedsim: trial \(index + 1) failed: \(error)")
        }
        return TuningSummary.Trial(index: index, succeeded: value.isFinite, value: value, seconds: Date().timeIntervalSince(start),
                                   point: point, runDirectory: runDirectory.url.path,
                                   settings: tuning.space.decode(point).map(\.value))
    }

    /// The best configuration of each method, and when each first came within 1 % of the best overall.
    func report(_ studies: [(method: String, trials: [TuningSummary.Trial])], tuning: Topology.TuningSpec, metric: String,
                root: RunDirectory) {
        let finite = studies.flatMap(\.trials).filter(\.succeeded).map(\.value)
        guard let overall = tuning.maximize ? finite.max() : finite.min() else {
            print("fedsim: no trial succeeded; see the trial directories under \(root.url.path)")
            return
        }
        for study in studies {
            let curve = TuningSummary.bestSoFar(study.trials, maximize: tuning.maximize)
            let within = curve.firstIndex { $0.isFinite && (tuning.maximize ? $0 >= overall - 0.01 * abs(overall) : $0 <= overall + 0.01 * abs(overall)) }
            let bestTrial = study.trials.filter(\.succeeded).max { tuning.maximize ? $0.value < $1.value : $0.value > $1.value }
            let settings = bestTrial.map { zip(tuning.space.keys, $0.settings).map { "\($0)=\($1)" }.joined(separator: " ") } ?? "none"
            print("fedsim: \(study.method): best \(metric) \(bestTrial.map { String(format: "%.4g", $0.value) } ?? "none") with \(settings); "
                  + "within 1 % of the overall best after \(within.map { "\($0 + 1) trials" } ?? "never")")
        }
        print("fedsim: study: \(root.url.path) (trials.csv per method, \(TuningSummary.plotFile))")
    }
}
