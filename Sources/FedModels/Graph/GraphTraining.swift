import FedCore

/// Full-batch training of a `GraphConvNet` on one graph: the centralised GCN recipe, and the local
/// epochs of a graph client.
public enum GraphTraining {
    /// How long to train and when to stop.
    public struct Schedule: Sendable, Equatable {
        public var epochs: Int
        /// Kipf's rule: stop once the validation loss exceeds the mean of the previous `window`
        /// epochs' (nil: never stop early).
        public var earlyStoppingWindow: Int?
        public init(epochs: Int, earlyStoppingWindow: Int? = nil) {
            self.epochs = epochs
            self.earlyStoppingWindow = earlyStoppingWindow
        }
    }

    /// What a training run ended with.
    public struct Outcome: Sendable {
        public var parameters: [Float]
        public var epochsRun: Int
        public var trainLosses: [Double]
        public var validationLosses: [Double]
    }

    /// Trains `model` from `parameters` with Adam on the loss nodes, full batch, one dropout stream
    /// per epoch from (seed, epoch).
    public static func fit(
        model: GraphConvNet, parameters start: [Float], inputs: GraphInputs, trainNodes: [Int], validationNodes: [Int],
        optimizer settings: Adam.Settings, schedule: Schedule, seed: UInt64
    ) -> Outcome {
        var parameters = start
        var adam = Adam(settings: settings, parameterCount: parameters.count)
        let workspace = model.makeWorkspace(nodeCount: inputs.nodeCount, featureNonZeros: inputs.features.nonZeroCount)
        var gradient = [Float](repeating: 0, count: parameters.count)
        var outcome = Outcome(parameters: parameters, epochsRun: 0, trainLosses: [], validationLosses: [])
        for epoch in 0..<schedule.epochs {
            for i in gradient.indices { gradient[i] = 0 }
            var dropout: RNGStream? = RNGStream(seed: seed, purpose: .custom, round: UInt64(epoch))
            let loss = parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(parameters: p, inputs: inputs, lossNodes: trainNodes, gradient: g, workspace: workspace,
                                          dropout: &dropout)
                }
            }
            adam.step(parameters: &parameters, gradient: gradient)
            outcome.trainLosses.append(Double(loss))
            outcome.epochsRun = epoch + 1
            guard !validationNodes.isEmpty else { continue }
            let validation = model.evaluate(parameters: parameters, inputs: inputs, nodes: validationNodes, workspace: workspace).loss
            outcome.validationLosses.append(validation)
            if let window = schedule.earlyStoppingWindow, outcome.validationLosses.count > window {
                let previous = outcome.validationLosses.dropLast().suffix(window)
                if validation > previous.reduce(0, +) / Double(window) { break }
            }
        }
        outcome.parameters = parameters
        return outcome
    }
}
