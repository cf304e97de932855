import FedCore
import FedModels

/// The local-training keys shared by algorithms whose clients run minibatch SGD.
///
/// YAML keys (under `algorithm:`): `local_epochs` (1), `local_steps` (unset: use epochs),
/// `batch_size` (32), `lr` (0.1), `momentum` (0), `weight_decay` (0), for two-player models
/// `lr_y` (unset: `lr`), the max player's step size, and `optimizer`: `sgd` (default) or `adam`
/// (β₁ 0.9, β₂ 0.999, moments reset every round; no momentum, weight decay or `lr_y` with it), and
/// with adam `lr_router`, the step size of the adapter models' `router*` tensors (unset: `lr`).
public enum LocalSGDSettings {
    /// Reads the keys from the algorithm section.
    public static func decode(_ section: ConfigSection) throws(ConfigError) -> LocalTrainer.Settings {
        let epochs = try section.int("local_epochs", default: 1, range: 1...10_000)
        let steps = section.has("local_steps") ? try section.int("local_steps", range: 1...1_000_000) : nil
        let batch = try section.int("batch_size", default: 32, range: 1...65_536)
        let lr = try section.double("lr", default: 0.1, range: 0...1_000)
        let momentum = try section.double("momentum", default: 0, range: 0...0.999)
        let decay = try section.double("weight_decay", default: 0, range: 0...10)
        let lrY = section.has("lr_y") ? Float(try section.double("lr_y", range: 0...1_000)) : nil
        let kind = try section.string("optimizer", oneOf: ["sgd", "adam"], default: "sgd")
        if kind == "adam" {
            for key in ["momentum", "weight_decay", "lr_y"] where section.has(key) {
                throw section.error(key, "\(key) belongs to sgd; adam takes lr and lr_router")
            }
        } else if section.has("lr_router") {
            throw section.error("lr_router", "lr_router needs optimizer: adam")
        }
        let routerRate = section.has("lr_router") ? Float(try section.double("lr_router", range: 0...1_000)) : nil
        return LocalTrainer.Settings(
            epochs: epochs, batchSize: batch, maxSteps: steps,
            optimizer: SGD.Settings(learningRate: Float(lr), momentum: Float(momentum), weightDecay: Float(decay),
                                    maxPlayerLearningRate: lrY),
            adam: kind == "adam" ? Adam.Settings(learningRate: Float(lr)) : nil, routerLearningRate: routerRate)
    }

    /// The resolved keys, for the run directory's config.
    public static func summary(_ settings: LocalTrainer.Settings) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [("local_epochs", "\(settings.epochs)")]
        if let steps = settings.maxSteps { pairs.append(("local_steps", "\(steps)")) }
        pairs += [("batch_size", "\(settings.batchSize)"), ("lr", "\(settings.optimizer.learningRate)")]
        if settings.adam != nil {
            pairs.append(("optimizer", "adam"))
            if let rate = settings.routerLearningRate { pairs.append(("lr_router", "\(rate)")) }
            return pairs
        }
        pairs += [("momentum", "\(settings.optimizer.momentum)"), ("weight_decay", "\(settings.optimizer.weightDecay)")]
        if let lrY = settings.optimizer.maxPlayerLearningRate { pairs.append(("lr_y", "\(lrY)")) }
        return pairs
    }

    /// One client's local SGD from the task's global model; the update carries the new parameters.
    static func runClient(
        task: ClientTask, settings: LocalTrainer.Settings, mu: Float, context: inout ClientContext
    ) throws(AlgorithmError) -> ClientUpdate {
        let layout = context.model.layout
        var parameters: [Float]
        do {
            let received = try layout.travellingPart.flatten(task.tensors)
            if layout.hasLocalTensors {
                // Frozen tensors never travel: rebuilt from the seed, as the coordinator built them.
                // Private ones continue from the client's own state (the initial values at first).
                var rng = RNGStream(seed: context.seed, purpose: .parameterInit)
                parameters = context.model.initialParameters(rng: &rng)
                layout.scatterTravelling(received, into: &parameters)
                if !context.privateState.isEmpty && !layout.restore(.private, from: context.privateState, into: &parameters) {
                    throw AlgorithmError("the client's private tensors do not match the model")
                }
            } else {
                parameters = received
            }
        } catch let error as AlgorithmError {
            throw error
        } catch { throw AlgorithmError("task: \(error)") }
        var metrics = [String: Double]()
        if let test = context.testData {
            // The client's whole model (with its private tensors) on its own test rows, before training:
            // the evaluation of the round's state, as the coordinator would compute it.
            let result = context.model.evaluate(parameters: parameters, on: test, workspace: context.workspace)
            ClientEvaluation.report("test_accuracy", mean: result.accuracy, count: test.count, into: &metrics)
            ClientEvaluation.report("test_loss", mean: result.loss, count: test.count, into: &metrics)
        }
        if task.config[ClientEvaluation.evaluateOnlyKey] == 1 {
            return ClientUpdate(clientID: task.clientID, numSamples: context.data.count, tensors: [], metrics: metrics)
        }
        let proximal = mu > 0 ? LocalTrainer.Proximal(anchor: parameters, mu: mu) : nil
        let outcome = LocalTrainer.train(
            model: context.model, parameters: &parameters, data: context.data, settings: settings,
            proximal: proximal, rng: &context.rng, workspace: context.workspace)
        if layout.count(of: .private) > 0 { context.privateState = layout.state(of: .private, from: parameters) }
        metrics["train_loss"] = outcome.meanLoss
        metrics["steps"] = Double(outcome.steps)
        return ClientUpdate(
            clientID: task.clientID, numSamples: context.data.count,
            tensors: layout.travellingPart.split(layout.gatherTravelling(from: parameters)), metrics: metrics)
    }

    /// Sample-weighted (or, with `uniform`, plain) model average: FedAvg's server step.
    static func averageModels(
        state: ServerState, updates: [ClientUpdate], layout: ParameterLayout, uniform: Bool = false
    ) -> RoundResult {
        guard !updates.isEmpty else { return RoundResult(state: state, metrics: ["train_loss": .nan]) }
        var flats = [[Float]]()
        flats.reserveCapacity(updates.count)
        for update in updates {
            // The runtime validated every update against `updateLayout` before aggregation.
            guard let flat = try? layout.travellingPart.flatten(update.tensors) else {
                preconditionFailure("update from client \(update.clientID) passed validation but does not match the layout")
            }
            flats.append(flat)
        }
        let mean = Aggregation.weightedMean(flats, weights: updates.map { uniform ? 1 : Double($0.numSamples) })
        var next = state
        layout.scatterTravelling(mean, into: &next.parameters)
        return RoundResult(state: next, metrics: ["train_loss": Aggregation.weightedMetric("train_loss", in: updates)])
    }
}
