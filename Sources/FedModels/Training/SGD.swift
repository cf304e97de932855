import FedCore

/// Minibatch SGD with heavy-ball momentum and L2 weight decay, as a loop over the flat buffer.
///
/// Update (PyTorch convention): g ← ∇ + λ·w;  v ← μ·v + g;  w ← w − η·v.
/// With μ = 0 and λ = 0 this is plain SGD, w ← w − η·∇.
public struct SGD: Sendable {
    /// Step size, momentum and weight decay.
    public struct Settings: Sendable, Equatable {
        /// η, the learning rate.
        public var learningRate: Float
        /// μ in [0, 1); 0 disables momentum.
        public var momentum: Float
        /// λ ≥ 0, the L2 penalty coefficient.
        public var weightDecay: Float
        /// The max player's step size in two-player models (nil: `learningRate` for both players).
        public var maxPlayerLearningRate: Float?

        public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, maxPlayerLearningRate: Float? = nil) {
            self.learningRate = learningRate
            self.momentum = momentum
            self.weightDecay = weightDecay
            self.maxPlayerLearningRate = maxPlayerLearningRate
        }
    }

    public let settings: Settings
    /// Momentum buffer v, same layout as the parameters (empty when momentum is 0).
    public private(set) var velocity: [Float]

    public init(settings: Settings, parameterCount: Int) {
        self.settings = settings
        velocity = settings.momentum == 0 ? [] : [Float](repeating: 0, count: parameterCount)
    }

    /// Applies one update to `parameters` using `gradient` (same layout); the scalars in `maxPlayer`
    /// move with `maxPlayerLearningRate` when it is set.
    /// Scalars in `frozen` (sorted, disjoint ranges) are never touched: no step, no weight decay.
    public mutating func step(parameters: inout [Float], gradient: [Float], maxPlayer: Range<Int>? = nil, frozen: [Range<Int>] = []) {
        let n = parameters.count
        precondition(gradient.count == n, "gradient has \(gradient.count) values, parameters \(n)")
        if !frozen.isEmpty {
            precondition(maxPlayer == nil, "two-player models have no frozen tensors")
            var start = 0
            for range in frozen {
                if range.lowerBound > start { step(parameters: &parameters, gradient: gradient, range: start..<range.lowerBound, eta: settings.learningRate) }
                start = range.upperBound
            }
            if start < n { step(parameters: &parameters, gradient: gradient, range: start..<n, eta: settings.learningRate) }
        } else if let maxPlayer, let etaY = settings.maxPlayerLearningRate {
            precondition(maxPlayer.lowerBound >= 0 && maxPlayer.upperBound <= n, "max player \(maxPlayer) outside \(n) parameters")
            step(parameters: &parameters, gradient: gradient, range: 0..<maxPlayer.lowerBound, eta: settings.learningRate)
            step(parameters: &parameters, gradient: gradient, range: maxPlayer, eta: etaY)
            step(parameters: &parameters, gradient: gradient, range: maxPlayer.upperBound..<n, eta: settings.learningRate)
        } else {
            step(parameters: &parameters, gradient: gradient, range: 0..<n, eta: settings.learningRate)
        }
    }

    private mutating func step(parameters: inout [Float], gradient: [Float], range: Range<Int>, eta: Float) {
        let (mu, lambda) = (settings.momentum, settings.weightDecay)
        parameters.withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                if mu == 0 {
                    for i in range { w[i] -= eta * (g[i] + lambda * w[i]) }
                } else {
                    velocity.withUnsafeMutableBufferPointer { v in
                        for i in range {
                            v[i] = mu * v[i] + g[i] + lambda * w[i]
                            w[i] -= eta * v[i]
                        }
                    }
                }
            }
        }
    }
}
