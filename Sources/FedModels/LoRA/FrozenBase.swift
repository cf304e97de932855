import FedCore

/// The frozen random base network the adapter models (spec §3.9, §4.10) sit on: Kaiming-normal weights
/// (std √(2/fan_in)) and zero biases, layer by layer, from `RNGStream(seed, .parameterInit, client:
/// 0xBA5E)` alone. Every process builds the same base from the seed, so it never travels, and every
/// model over the same seed and widths (LoRA, MixLoRA, ReMix, S'MoRE) adapts the same numbers.
public enum FrozenBase {
    /// The weights [outputs, inputs] (row-major) and zero biases [outputs] of each layer in `dims`.
    public static func parameters(seed: UInt64, dims: [(inputs: Int, outputs: Int)]) -> [(weight: [Float], bias: [Float])] {
        var rng = RNGStream(seed: seed, purpose: .parameterInit, client: 0xBA5E)
        return dims.map { inputs, outputs in
            let std = (2 / Double(inputs)).squareRoot()
            return ((0..<(inputs * outputs)).map { _ in Float(rng.nextGaussian() * std) }, [Float](repeating: 0, count: outputs))
        }
    }
}

/// A classifier made of a frozen two-layer base x ∈ R^I → relu(W1 x + b1) ∈ R^H → W2 h + b2 ∈ R^C
/// plus trainable adapters: what a teacher needs to know about its student (`SkillTeacher`).
public protocol FrozenBaseNetwork: Sendable {
    var inputDimension: Int { get }
    var hidden: Int { get }
    var classCount: Int { get }
    /// The frozen (weight [O, I], bias [O]) of both layers.
    func baseParameters() -> [(weight: [Float], bias: [Float])]
}
