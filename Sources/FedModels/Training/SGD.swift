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

        public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
            self.learningRate = learningRate
            self.momentum = momentum
            self.weightDecay = weightDecay
        }
    }

    public let settings: Settings
    /// Momentum buffer v, same layout as the parameters (empty when momentum is 0).
    public private(set) var velocity: [Float]

    public init(settings: Settings, parameterCount: Int) {
        self.settings = settings
        velocity = settings.momentum == 0 ? [] : [Float](repeating: 0, count: parameterCount)
    }

    /// Applies one update to `parameters` using `gradient` (same layout).
    public mutating func step(parameters: inout [Float], gradient: [Float]) {
        let (eta, mu, lambda) = (settings.learningRate, settings.momentum, settings.weightDecay)
        let n = parameters.count
        precondition(gradient.count == n, "gradient has \(gradient.count) values, parameters \(n)")
        parameters.withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                if mu == 0 {
                    for i in 0..<n { w[i] -= eta * (g[i] + lambda * w[i]) }
                } else {
                    velocity.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            v[i] = mu * v[i] + g[i] + lambda * w[i]
                            w[i] -= eta * v[i]
                        }
                    }
                }
            }
        }
    }
}
