import FedCore

/// A small generative adversarial network for 2-D data: an MLP generator and an MLP discriminator.
///
/// The game (Goodfellow et al., NeurIPS 2014), on real points x and noise z ~ N(0, I):
///
///     V(G, D) = mean_x log σ(D(x)) + mean_z log(1 − σ(D(G(z))))
///     min over the generator G (the min player), max over the discriminator D (the max player)
///
/// `gradients` returns, in one flat buffer, ∇_G V for the generator (which descends V) and ∇_D(−V)
/// for the discriminator (which descends −V, its binary cross-entropy), so both players' updates
/// read as descent, as with `DANN`. Only this minimax form is implemented; the non-saturating
/// generator loss common in practice would change the generator's objective, not the game solved.
/// Dimension letters: B real rows, Z noise rows, k latent width. Tensors: `generator.layer{l}.*`,
/// `discriminator.layer{l}.*`.
public struct GAN2D: Sendable {
    public let latentDimension: Int
    public let layout: ParameterLayout
    /// Scalars of the generator (min player) and of the discriminator (max player).
    public let minPlayer: Range<Int>
    public let maxPlayer: Range<Int>
    let generator: DenseStack
    let discriminator: DenseStack

    /// - Parameters:
    ///   - latentDimension: k, the noise width.
    ///   - generatorHidden: hidden widths of the generator (k → hidden → 2).
    ///   - discriminatorHidden: hidden widths of the discriminator (2 → hidden → 1 logit).
    public init(latentDimension: Int = 2, generatorHidden: [Int] = [64, 64], discriminatorHidden: [Int] = [64, 64]) {
        precondition(latentDimension > 0, "the latent width must be positive")
        self.latentDimension = latentDimension
        let generatorWidths = [latentDimension] + generatorHidden + [2]
        let discriminatorWidths = [2] + discriminatorHidden + [1]
        let (layout, minPlayer, maxPlayer) = DenseStack.twoPlayerLayout(
            min: DenseStack.specs(prefix: "generator.", widths: generatorWidths),
            max: DenseStack.specs(prefix: "discriminator.", widths: discriminatorWidths))
        (self.layout, self.minPlayer, self.maxPlayer) = (layout, minPlayer, maxPlayer)
        generator = DenseStack(prefix: "generator.", widths: generatorWidths, layout: layout, reluAfterLast: false)
        discriminator = DenseStack(prefix: "discriminator.", widths: discriminatorWidths, layout: layout, reluAfterLast: false)
    }

    /// Glorot-uniform weights, zero biases.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        generator.initialize(&parameters, rng: &rng)
        discriminator.initialize(&parameters, rng: &rng)
        return parameters
    }

    /// Buffers for both stacks, then the 2-D gradient at the generator's output, then (for training
    /// as a `DifferentiableModel`) a noise batch [B, k] and the placeholder class scores [B, 2], so a
    /// training step draws its noise without allocating.
    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        let widths = Array(generator.widths.dropFirst()) + Array(discriminator.widths.dropFirst()) + [2, latentDimension, 2]
        return ModelWorkspace(batchCapacity: batchCapacity, inputDimension: max(latentDimension, 2), widths: widths)
    }

    var generatorSlice: Range<Int> { 0..<generator.layerCount }
    var discriminatorSlice: Range<Int> { generator.layerCount..<(generator.layerCount + discriminator.layerCount) }
    /// Workspace buffers after both stacks: the noise batch and the placeholder class scores.
    var noiseBuffer: Int { discriminatorSlice.upperBound + 1 }
    var classScoresBuffer: Int { discriminatorSlice.upperBound + 2 }

    /// Generated points [Z, 2] for `noise` [Z, k]; valid until the workspace is reused.
    public func generate(parameters: UnsafeBufferPointer<Float>, noise: UnsafePointer<Float>, count z: Int,
                         workspace: ModelWorkspace) -> UnsafePointer<Float> {
        generator.forward(base: parameters.baseAddress!, x: noise, batch: z, activations: workspace.activations[generatorSlice])
    }

    /// One simultaneous gradient pass for both players, added into `gradient` (see the type's notes).
    ///
    /// - Returns: V, the game's value on these samples.
    public func gradients(
        parameters: UnsafeBufferPointer<Float>, real: UnsafePointer<Float>, realCount b: Int,
        noise: UnsafePointer<Float>, noiseCount z: Int, gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        precondition(b > 0 && z > 0 && max(b, z) <= workspace.batchCapacity, "batches \(b), \(z) exceed \(workspace.batchCapacity)")
        let base = parameters.baseAddress!, gradBase = gradient.baseAddress!
        let dLogit = workspace.activationGradients[discriminatorSlice.upperBound - 1]
        // Real rows: V_real = mean log σ(s); D descends −V_real, so d(−V)/ds = −(1 − σ(s))/B.
        let realScores = discriminator.forward(base: base, x: real, batch: b, activations: workspace.activations[discriminatorSlice])
        var value: Float = 0
        for row in 0..<b {
            let s = realScores[row]
            value += logSigmoid(s) / Float(b)
            dLogit[row] = -(1 - sigmoid(s)) / Float(b)
        }
        discriminator.backward(base: base, gradient: gradBase, x: real, batch: b,
                               activations: workspace.activations[discriminatorSlice],
                               activationGradients: workspace.activationGradients[discriminatorSlice])
        // Fake rows: V_fake = mean log(1 − σ(s)) = mean log σ(−s); d(−V)/ds = σ(s)/Z for D.
        let fake = generator.forward(base: base, x: noise, batch: z, activations: workspace.activations[generatorSlice])
        let fakeScores = discriminator.forward(base: base, x: fake, batch: z, activations: workspace.activations[discriminatorSlice])
        for row in 0..<z {
            let s = fakeScores[row]
            value += logSigmoid(-s) / Float(z)
            dLogit[row] = sigmoid(s) / Float(z)
        }
        let dFake = workspace.activationGradients[discriminatorSlice.upperBound]
        discriminator.backward(base: base, gradient: gradBase, x: fake, batch: z,
                               activations: workspace.activations[discriminatorSlice],
                               activationGradients: workspace.activationGradients[discriminatorSlice], dInput: dFake)
        // The generator descends V: its upstream gradient is dV/dfake = −d(−V)/dfake.
        let dGenerated = workspace.activationGradients[generatorSlice.upperBound - 1]
        for i in 0..<(z * 2) { dGenerated[i] = -dFake[i] }
        generator.backward(base: base, gradient: gradBase, x: noise, batch: z,
                           activations: workspace.activations[generatorSlice],
                           activationGradients: workspace.activationGradients[generatorSlice])
        return value
    }
}

@inline(__always) func sigmoid(_ s: Float) -> Float { s >= 0 ? 1 / (1 + fastExp(-s)) : fastExp(s) / (1 + fastExp(s)) }

/// log σ(s) without overflow for large |s|.
@inline(__always) func logSigmoid(_ s: Float) -> Float { s >= 0 ? -fastLog(1 + fastExp(-s)) : s - fastLog(1 + fastExp(s)) }
