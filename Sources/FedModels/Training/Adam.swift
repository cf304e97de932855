import FedCore

/// Adam (Kingma & Ba 2015) as a loop over the flat parameter buffer.
///
/// Update, with t the step count: m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
/// w ← w − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε). Weight decay, where a model wants it, is part of
/// its gradient (the L2 form Kipf's GCN uses), not decoupled.
public struct Adam: Sendable {
    public struct Settings: Sendable, Equatable {
        public var learningRate: Float
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
        }
    }

    public let settings: Settings
    /// First and second moment estimates, same layout as the parameters.
    public private(set) var firstMoment: [Float]
    public private(set) var secondMoment: [Float]
    public private(set) var stepCount = 0

    public init(settings: Settings, parameterCount: Int) {
        self.settings = settings
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = [Float](repeating: 0, count: parameterCount)
    }

    /// Continues from saved moments and step count (a client's optimiser kept between rounds).
    public init(settings: Settings, firstMoment: [Float], secondMoment: [Float], stepCount: Int) {
        precondition(firstMoment.count == secondMoment.count && stepCount >= 0, "inconsistent Adam state")
        self.settings = settings
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.stepCount = stepCount
    }

    /// Applies one update to `parameters` from `gradient` (same layout); scalars in the ranges of
    /// `rates` move with their own step size instead of `settings.learningRate` (parameter groups).
    public mutating func step(parameters: inout [Float], gradient: [Float], rates: [(range: Range<Int>, rate: Float)] = []) {
        precondition(gradient.count == parameters.count && parameters.count == firstMoment.count,
                     "Adam state has \(firstMoment.count) values, parameters \(parameters.count), gradient \(gradient.count)")
        stepCount += 1
        let (b1, b2) = (settings.beta1, settings.beta2)
        let correction1 = 1 - Float(powInt(Double(b1), stepCount))
        let correction2 = 1 - Float(powInt(Double(b2), stepCount))
        let epsilon = settings.epsilon
        // Raw buffers: one pass without per-element bounds and uniqueness checks (same arithmetic).
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        var groups = rates.makeIterator(), group = groups.next()
                        for i in 0..<p.count {
                            while let current = group, i >= current.range.upperBound { group = groups.next() }
                            let rate = group.map { $0.range.contains(i) ? $0.rate : settings.learningRate } ?? settings.learningRate
                            let gi = g[i]
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            let mHat = m[i] / correction1
                            let vHat = v[i] / correction2
                            p[i] -= rate * mHat / (vHat.squareRoot() + epsilon)
                        }
                    }
                }
            }
        }
    }

    /// x^k by repeated squaring (k ≥ 0), so no libm call is needed.
    func powInt(_ x: Double, _ k: Int) -> Double {
        var result = 1.0, base = x, exponent = k
        while exponent > 0 {
            if exponent & 1 == 1 { result *= base }
            base *= base
            exponent >>= 1
        }
        return result
    }
}
