import FedCore
import FedModels

/// ASFGNN-R, the reconstruction of the separated-federated GNN of Zheng et al. (arXiv 2011.03248),
/// spec `models-and-protocols.md` §1.2–1.3.
///
/// The message-passing convolutions are private to each client; only the linear head θ = (Wc, bc)
/// is federated. Round r on client i: (r > 1) update the personalised head θ_i a second time from the
/// received global head θ̄ (the "JS step"), report the personalised network's validation and test
/// accuracy, run E full-batch Adam epochs on (MP_i, θ_i), and send θ_i back. The server averages
/// the heads weighted by training nodes.
///
/// JS step, `mode`:
/// - `interp` (default): θ_i ← α_i θ̄ + (1 − α_i) θ_i with α_i = 1 − JS_i / ln 2 (or `alpha` when fixed:
///   1 gives local message passing + FedAvg head, 0 keeps the local head).
/// - `distill`: `js_steps` gradient steps (`js_lr`) on the head only, minimising
///   CE + `mu` · mean JS(local, global predictions) over the client's train and validation nodes.
///
/// JS_i, `js_source`:
/// - `label_distribution` (default, after the authors' patent): JS between the client's training
///   class distribution and the overall one, which the server computes from the histograms the
///   clients send as `class_histogram`. [INF] The histogram rides with every update (C counts)
///   rather than only the first, so a client that missed round 1 still counts.
/// - `degree_distribution`: the same with the histogram of node degrees in the client's subgraph
///   (buckets 0, 1, 2, 3–4, 5–8, 9–16, > 16), sent as `degree_histogram`.
/// - `predictions`: mean JS between the local and global heads' predictions on the client's train
///   and validation nodes, recomputed every round.
///
/// Messages up: `head.weight`, `head.bias`, `class_histogram` (label_distribution) or
/// `degree_histogram` (degree_distribution), and scalars.
public struct ASFGNN: StarAlgorithm {
    public enum Mode: String, Sendable, CaseIterable { case interp, distill }
    public enum JSSource: String, Sendable, CaseIterable {
        case labelDistribution = "label_distribution"
        case degreeDistribution = "degree_distribution"
        case predictions
    }

    public struct Settings: Sendable, Equatable {
        public var local = GraphLocalSettings()
        public var mode = Mode.interp
        public var jsSource = JSSource.labelDistribution
        /// A fixed mixing weight instead of 1 − JS/ln 2 (interp).
        public var fixedAlpha: Double?
        /// μ, the weight of the JS term (distill).
        public var mu = 1.0
        public var jsSteps = 5
        public var jsLearningRate = 0.1
        public init() {}
    }

    /// The histogram a client sends and the overall distribution the server returns, per source.
    var histogramName: String { settings.jsSource == .degreeDistribution ? "degree_histogram" : "class_histogram" }
    var distributionName: String { settings.jsSource == .degreeDistribution ? "global.degree_distribution" : "global.class_distribution" }
    /// Bins of the histogram: the classes, or the degree buckets.
    var histogramBins: Int { settings.jsSource == .degreeDistribution ? GraphClient.degreeBucketCount : classCount }

    public let settings: Settings
    /// The model layout: convolutions private, head shared.
    public let layout: ParameterLayout
    let classCount: Int
    let embeddingWidth: Int
    let weightDecay: Double

    public init(settings: Settings, model: any DifferentiableModel) throws(AlgorithmError) {
        guard let graph = model as? GraphModel, graph.network.settings.head else {
            throw AlgorithmError("asfgnn needs a gcn model with a head (head: true): the head is what the clients share")
        }
        self.settings = settings
        layout = model.layout.assigningRoles { $0.name.hasPrefix("head.") ? .shared : .private }
        classCount = graph.classCount
        embeddingWidth = graph.network.settings.widths.last ?? 0
        weightDecay = graph.network.settings.decayFirstLayerOnly ? 0 : Double(graph.network.settings.weightDecay)
    }

    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        var settings = Settings()
        settings.local = try GraphLocalSettings(section: section)
        settings.mode = Mode(rawValue: try section.string("mode", oneOf: Mode.allCases.map(\.rawValue), default: "interp")) ?? .interp
        settings.jsSource = JSSource(rawValue: try section.string("js_source", oneOf: JSSource.allCases.map(\.rawValue),
                                                                 default: "label_distribution")) ?? .labelDistribution
        if section.has("alpha") {
            guard settings.mode == .interp else { throw section.error("alpha", "a fixed alpha is a setting of mode interp") }
            settings.fixedAlpha = try section.double("alpha", range: 0...1)
        }
        if settings.mode == .distill {
            settings.mu = try section.double("mu", default: 1, range: 0...1_000)
            settings.jsSteps = try section.int("js_steps", default: 5, range: 0...10_000)
            settings.jsLearningRate = try section.double("js_lr", default: 0.1, range: 1e-8...100)
        }
        do { try self.init(settings: settings, model: model) } catch { throw section.error("name", error.reason) }
    }

    public var name: String { "asfgnn" }
    public var settingsSummary: [(key: String, value: String)] {
        var pairs = settings.local.summary + [("mode", settings.mode.rawValue), ("js_source", settings.jsSource.rawValue)]
        if let alpha = settings.fixedAlpha { pairs.append(("alpha", "\(alpha)")) }
        if settings.mode == .distill {
            pairs += [("mu", "\(settings.mu)"), ("js_steps", "\(settings.jsSteps)"), ("js_lr", "\(settings.jsLearningRate)")]
        }
        return pairs
    }
    public var batchCapacity: Int { 1 }
    public var metricNames: [String] { ["mean_alpha"] }

    var sendsHistogram: Bool { settings.jsSource != .predictions }

    public func initialState(parameters: [Float]) -> ServerState { ServerState(parameters: parameters) }

    public func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout {
        let head = layout.part(.shared).entries.map { (name: $0.name, shape: $0.shape) }
        return ParameterLayout(head + (sendsHistogram ? [(histogramName, [histogramBins])] : []))
    }

    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        phase == ClientEvaluation.phase ? ParameterLayout([]) : updateLayout(modelLayout: modelLayout)
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        var tensors = layout.part(.shared).split(layout.gather(.shared, from: state.parameters))
        if sendsHistogram, let distribution = overallDistribution(state) {
            tensors.append(NamedTensor(name: distributionName, shape: [histogramBins], values: distribution))
        }
        return RoundPlan(tasks: clients.map { ClientTask(clientID: $0, tensors: tensors) })
    }

    /// Σ_i c_i / Σ_i |L_i| over every client that has reported its histogram (nil before any).
    func overallDistribution(_ state: ServerState) -> [Float]? {
        var totals = [Double](repeating: 0, count: histogramBins)
        for key in state.extras.keys.sorted() where key.hasPrefix("histogram:") {
            for (c, count) in (state.extras[key] ?? []).enumerated() where c < histogramBins { totals[c] += Double(count) }
        }
        let sum = totals.reduce(0, +)
        return sum > 0 ? totals.map { Float($0 / sum) } : nil
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        var next = state
        let head = layout.part(.shared)
        var heads = [[Float]](), weights = [Double]()
        for update in updates {
            var tensors = update.tensors
            if let index = tensors.firstIndex(where: { $0.name == histogramName }) {
                // Counts are validated only as finite numbers on the wire; negative ones count as 0.
                next.extras["histogram:\(update.clientID)"] = tensors[index].values.map { max($0, 0) }
                tensors.remove(at: index)
            }
            guard let values = try? head.flatten(tensors) else { continue }
            heads.append(values)
            weights.append(Double(update.numSamples))
        }
        if !heads.isEmpty { layout.scatter(.shared, Aggregation.weightedMean(heads, weights: weights), into: &next.parameters) }
        let alphas = updates.compactMap { $0.metrics["alpha"] }.filter(\.isFinite)
        return RoundResult(state: next, metrics: ["train_loss": Aggregation.weightedMetric("train_loss", in: updates),
                                                  "mean_alpha": alphas.isEmpty ? .nan : alphas.reduce(0, +) / Double(alphas.count)])
    }

    static let localHeadKey = "local_head"

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        let graph = try context.requireGraph(name)
        let (model, seed) = (context.model, context.seed)
        var client = try GraphClientModel(privateState: context.privateState, context: context, settings: settings.local) { ClientContext.initialParameters(model: model, seed: seed) }
        let head = layout.part(.shared)
        var global = [Float](), distribution: [Float]?
        do {
            var tensors = task.tensors
            if let index = tensors.firstIndex(where: { $0.name == distributionName }) {
                distribution = tensors.remove(at: index).values
            }
            global = try head.flatten(tensors)
        } catch {
            throw AlgorithmError("task: \(error.reason)")
        }
        var metrics = [String: Double]()
        if let localHead = context.privateState[Self.localHeadKey] {
            guard localHead.count == head.totalCount else { throw AlgorithmError("the saved local head does not fit this model") }
            let (updated, alpha) = jsStep(local: localHead, global: global, distribution: distribution, client: client, graph: graph)
            layout.scatter(.shared, updated, into: &client.parameters)
            if let alpha { metrics["alpha"] = alpha }
        } else {
            layout.scatter(.shared, global, into: &client.parameters)  // round 0: θ_i ← θ̄
        }
        GraphClientModel.report(client.parameters, graph: graph, into: &metrics)
        let samples = max(graph.train.count, 1)
        if task.config[ClientEvaluation.evaluateOnlyKey] == 1 {
            return ClientUpdate(clientID: task.clientID, numSamples: samples, tensors: [], metrics: metrics)
        }
        metrics["train_loss"] = client.train(graph: graph, epochs: settings.local.localEpochs, rng: &context.rng)
        client.save(into: &context.privateState)
        let localHead = layout.gather(.shared, from: client.parameters)
        context.privateState[Self.localHeadKey] = localHead
        var tensors = head.split(localHead)
        if sendsHistogram {
            tensors.append(NamedTensor(name: histogramName, shape: [histogramBins], values: ownHistogram(graph).map(Float.init)))
        }
        return ClientUpdate(clientID: task.clientID, numSamples: samples, tensors: tensors, metrics: metrics)
    }

    /// The client's training class counts, or the degree counts of all its nodes.
    func ownHistogram(_ graph: GraphClient) -> [Int] {
        settings.jsSource == .degreeDistribution ? graph.degreeHistogram : graph.trainHistogram
    }

    /// The second head update: the new local head, and the mixing weight used (interp).
    func jsStep(local: [Float], global: [Float], distribution: [Float]?, client: GraphClientModel,
                graph: GraphClient) -> (head: [Float], alpha: Double?) {
        // The embeddings (one forward pass) are needed unless the weight comes from label counts alone.
        func embeddings() -> [Float] {
            var withLocal = client.parameters
            layout.scatter(.shared, local, into: &withLocal)
            return graph.network.embeddings(parameters: withLocal, inputs: graph.inputs, workspace: graph.workspace)
        }
        let jsNodes = graph.train + graph.validation
        switch settings.mode {
        case .interp:
            let alpha: Double
            if let fixed = settings.fixedAlpha {
                alpha = fixed
            } else {
                let divergence: Double
                let histogram = ownHistogram(graph), total = histogram.reduce(0, +)
                if settings.jsSource != .predictions, let distribution, total > 0 {
                    let own = histogram.map { Double($0) / Double(total) }
                    divergence = HeadDivergence.jensenShannon(own, distribution.map(Double.init))
                } else {
                    divergence = HeadDivergence.meanPredictionDivergence(
                        embeddings: embeddings(), width: embeddingWidth, nodes: jsNodes, local: local, global: global, classCount: classCount)
                }
                alpha = min(max(1 - divergence / libmLog(2), 0), 1)
            }
            return (zip(local, global).map { Float(alpha * Double($1) + (1 - alpha) * Double($0)) }, alpha)
        case .distill:
            var head = local
            let embeddings = embeddings()
            for _ in 0..<settings.jsSteps {
                let (_, gradient) = HeadDivergence.distillationLossAndGradient(
                    embeddings: embeddings, width: embeddingWidth, labels: graph.inputs.labels, trainNodes: graph.train, jsNodes: jsNodes,
                    head: head, global: global, classCount: classCount, mu: settings.mu, weightDecay: weightDecay)
                for i in head.indices { head[i] -= Float(settings.jsLearningRate * gradient[i]) }
            }
            return (head, nil)
        }
    }
}
