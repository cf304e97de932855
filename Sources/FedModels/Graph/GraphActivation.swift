import FedCore

/// The element-wise activations a graph network may use (a tuned hyper-parameter in ASFGNN).
public enum GraphActivation: String, Sendable, CaseIterable {
    case relu
    case tanh
    case elu
    /// Slope 0.2 for negative inputs.
    case leakyRelu = "leaky_relu"

    /// act(u).
    @inlinable
    public func apply(_ u: Float) -> Float {
        switch self {
        case .relu: return u > 0 ? u : 0
        case .tanh: return fastTanh(u)
        case .elu: return u > 0 ? u : fastExp(u) - 1
        case .leakyRelu: return u > 0 ? u : 0.2 * u
        }
    }

    /// act'(u), from the pre-activation u (tanh: 1 − tanh²(u); elu: e^u below zero).
    @inlinable
    public func derivative(_ u: Float) -> Float {
        switch self {
        case .relu: return u > 0 ? 1 : 0
        case .tanh:
            let t = fastTanh(u)
            return 1 - t * t
        case .elu: return u > 0 ? 1 : fastExp(u)
        case .leakyRelu: return u > 0 ? 1 : 0.2
        }
    }
}
