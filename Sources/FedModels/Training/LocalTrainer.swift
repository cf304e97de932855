import FedCore

/// The local work of one virtual client: epochs of shuffled minibatch SGD on its shard.
public enum LocalTrainer {
    /// What one client does with its data in a round.
    public struct Settings: Sendable, Equatable {
        /// Passes over the local data (ignored when `maxSteps` is set).
        public var epochs: Int
        /// Examples per minibatch; the last batch of an epoch may be smaller.
        public var batchSize: Int
        /// If set, stop after this many steps (cycling through epochs as needed).
        public var maxSteps: Int?
        /// Optimiser settings.
        public var optimizer: SGD.Settings
        /// When set, Adam replaces SGD (its moments start at zero in every call, as a client's
        /// optimiser does in every round of FedAvg); `optimizer`'s momentum and weight decay are unused.
        public var adam: Adam.Settings?
        /// Adam only: the step size of tensors whose names start with `router` (the adapter models'
        /// routers; spec §3.9 trains them at 1e−2 and the LoRAs at 3e−3). Nil: one step size.
        public var routerLearningRate: Float?

        public init(epochs: Int, batchSize: Int, maxSteps: Int? = nil, optimizer: SGD.Settings, adam: Adam.Settings? = nil,
                    routerLearningRate: Float? = nil) {
            self.routerLearningRate = routerLearningRate
            self.epochs = epochs
            self.batchSize = batchSize
            self.maxSteps = maxSteps
            self.optimizer = optimizer
            self.adam = adam
        }
    }

    /// Terms added to the local objective: μ/2·‖w − anchor‖² (FedProx) and ⟨linear, w⟩ (the dual
    /// term of consensus methods such as FedMM).
    public struct Proximal: Sendable {
        public var anchor: [Float]
        public var mu: Float
        /// A constant added to every gradient (empty: none).
        public var linear: [Float]
        /// The scalars the proximal term applies to (nil: all), e.g. only the min player.
        public var range: Range<Int>?
        public init(anchor: [Float], mu: Float, linear: [Float] = [], range: Range<Int>? = nil) {
            self.anchor = anchor
            self.mu = mu
            self.linear = linear
            self.range = range
        }
    }

    /// Summary of a local run.
    public struct Outcome: Sendable, Equatable {
        /// Mean minibatch loss over all steps (without the proximal term).
        public var meanLoss: Double
        public var steps: Int
        public var examplesSeen: Int
    }

    /// Trains `parameters` in place. Batches are drawn from `rng` (one shuffle per epoch).
    ///
    /// For a two-player model every step is a simultaneous descent–ascent step (the model's gradients
    /// are in descent form for both players), followed by the projection of the max player onto its
    /// feasible set. With `ascentSnapshot` (the min player's values x̃), the max player's gradient is
    /// taken at (x̃, y) instead of (x, y): the step of Local SGDA+ (one extra gradient pass per step).
    ///
    /// - Complexity: allocates the gradient and momentum buffers once per call, nothing per step.
    public static func train(
        model: some DifferentiableModel, parameters: inout [Float], data: DatasetShard, settings: Settings,
        proximal: Proximal? = nil, ascentSnapshot: [Float]? = nil, rng: inout RNGStream, workspace: ModelWorkspace
    ) -> Outcome {
        let maxPlayer = model.maxPlayerRange
        precondition(ascentSnapshot == nil || (maxPlayer != nil && ascentSnapshot!.count == maxPlayer!.lowerBound),
                     "an ascent snapshot needs a two-player model and one value per min-player scalar")
        // Scratch for the snapshot pass: (x̃, y) and its gradient.
        var snapshotPoint = ascentSnapshot == nil ? [] : parameters
        var snapshotGradient = ascentSnapshot == nil ? [] : [Float](repeating: 0, count: parameters.count)
        precondition(settings.batchSize > 0 && settings.batchSize <= workspace.batchCapacity,
                     "batch size \(settings.batchSize) must be in 1...\(workspace.batchCapacity)")
        guard data.count > 0 else { return Outcome(meanLoss: .nan, steps: 0, examplesSeen: 0) }
        precondition(proximal.map { $0.anchor.count == parameters.count && ($0.linear.isEmpty || $0.linear.count == parameters.count) }
                     ?? true, "proximal anchor/linear term do not match the \(parameters.count) parameters")
        var optimizer = SGD(settings: settings.adam == nil ? settings.optimizer : SGD.Settings(learningRate: 0), parameterCount: parameters.count)
        // Frozen scalars have zero gradient, so Adam's moments and steps stay zero there.
        var adam = settings.adam.map { Adam(settings: $0, parameterCount: parameters.count) }
        let groupRates = settings.routerLearningRate.map { rate in
            model.layout.entries.filter { $0.name.hasPrefix("router") }.map { (range: $0.offset..<($0.offset + $0.count), rate: rate) }
                .sorted { $0.range.lowerBound < $1.range.lowerBound }
        } ?? []
        let frozen = model.layout.entries.filter { $0.role == .frozen }.map { $0.offset..<($0.offset + $0.count) }.sorted { $0.lowerBound < $1.lowerBound }
        var gradient = [Float](repeating: 0, count: parameters.count)
        var order = Array(0..<data.count)
        let d = data.base.dimension
        let stepLimit = settings.maxSteps ?? Int.max
        let epochLimit = settings.maxSteps == nil ? settings.epochs : Int.max
        var steps = 0, seen = 0
        var lossSum = 0.0
        var epoch = 0
        // A model that draws in its steps gets a stream of its own, derived from the client's stream
        // for the round; models that draw nothing leave the client's stream untouched.
        if model.drawsInSteps { workspace.stepRandomness = RNGStream(seed: rng.next(), purpose: .localTraining, client: 0x5_7E9) }
        while epoch < epochLimit && steps < stepLimit {
            rng.shuffle(&order)
            var start = 0
            while start < order.count && steps < stepLimit {
                let b = min(settings.batchSize, order.count - start)
                data.base.features.withUnsafeBufferPointer { features in
                    for row in 0..<b {
                        let source = data.indices[order[start + row]]
                        (workspace.batchX + row * d).update(from: features.baseAddress! + source * d, count: d)
                        workspace.batchLabels[row] = data.base.labels[source]
                    }
                }
                gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                let loss = parameters.withUnsafeBufferPointer { w in
                    gradient.withUnsafeMutableBufferPointer { g in
                        model.lossAndGradient(
                            parameters: w, x: workspace.batchX, labels: workspace.batchLabels, batch: b,
                            gradient: g, workspace: workspace)
                    }
                }
                if let snapshot = ascentSnapshot, let maxPlayer {
                    replaceMaxPlayerGradient(model: model, parameters: parameters, snapshot: snapshot, maxPlayer: maxPlayer,
                                             point: &snapshotPoint, scratch: &snapshotGradient, gradient: &gradient,
                                             batch: b, workspace: workspace)
                }
                if let proximal {
                    // ∇ μ/2‖w − w₀‖² = μ(w − w₀);  ∇⟨λ, w⟩ = λ
                    gradient.withUnsafeMutableBufferPointer { g in
                        parameters.withUnsafeBufferPointer { w in
                            proximal.anchor.withUnsafeBufferPointer { anchor in
                                for i in proximal.range ?? 0..<g.count { g[i] += proximal.mu * (w[i] - anchor[i]) }
                            }
                        }
                        if !proximal.linear.isEmpty {
                            proximal.linear.withUnsafeBufferPointer { lambda in for i in 0..<g.count { g[i] += lambda[i] } }
                        }
                    }
                }
                if adam != nil {
                    adam!.step(parameters: &parameters, gradient: gradient, rates: groupRates)
                } else {
                    optimizer.step(parameters: &parameters, gradient: gradient, maxPlayer: maxPlayer, frozen: frozen)
                }
                if maxPlayer != nil { parameters.withUnsafeMutableBufferPointer { model.projectMaxPlayer($0) } }
                lossSum += Double(loss)
                steps += 1
                seen += b
                start += b
            }
            epoch += 1
        }
        return Outcome(meanLoss: steps > 0 ? lossSum / Double(steps) : .nan, steps: steps, examplesSeen: seen)
    }

    /// Overwrites the max player's part of `gradient` with its gradient at (x̃, y), on the batch
    /// already gathered in the workspace.
    private static func replaceMaxPlayerGradient(
        model: some DifferentiableModel, parameters: [Float], snapshot: [Float], maxPlayer: Range<Int>,
        point: inout [Float], scratch: inout [Float], gradient: inout [Float], batch: Int, workspace: ModelWorkspace
    ) {
        point.withUnsafeMutableBufferPointer { p in
            snapshot.withUnsafeBufferPointer { x in for i in x.indices { p[i] = x[i] } }
            parameters.withUnsafeBufferPointer { w in for i in maxPlayer { p[i] = w[i] } }
        }
        scratch.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        _ = point.withUnsafeBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { g in
                model.lossAndGradient(parameters: p, x: workspace.batchX, labels: workspace.batchLabels, batch: batch,
                                      gradient: g, workspace: workspace)
            }
        }
        for i in maxPlayer { gradient[i] = scratch[i] }
    }
}
