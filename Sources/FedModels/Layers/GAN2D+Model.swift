import FedCore

/// GAN2D as a trainable model: each data row is a real 2-D point, labels (the mode) are not used.
///
/// A training step needs noise as well as real rows, but the trainer hands over only the batch. The
/// noise is therefore drawn from a stream seeded by a hash of the batch's feature bits: the batch
/// itself comes from the client's deterministic stream, so the noise is the same whatever process
/// trains the client, and a different batch gets unrelated noise. Z = B noise rows per step.
///
/// The reported training loss is V, the game's value on the batch. Evaluation reports V on the test
/// rows against a fixed noise set, and the mode-collapse metrics of `ModeCoverage`, measured on
/// `evaluationSampleCount` generated points from a noise set that is the same every round, against the
/// mode centres and spread estimated from the labelled test rows.
extension GAN2D: DifferentiableModel {
    /// Generated points the evaluation metrics are measured on.
    public static let evaluationSampleCount = 2_000
    /// High-quality samples a mode needs to count as covered (1 % of the evaluation samples).
    public static let minimumSamplesPerMode = 20

    public var inputDimension: Int { 2 }
    /// No class scores (the model is judged by mode coverage); 2 keeps the shared evaluation code valid.
    public var classCount: Int { 2 }
    public var maxPlayerRange: Range<Int>? { maxPlayer }

    public var evaluationMetricNames: [String] { ["modes_covered", "high_quality_fraction"] }
    public var headlineMetric: (name: String, logarithmic: Bool) { ("modes_covered", false) }

    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let noise = workspace.activations[noiseBuffer]
        fillNoise(forBatch: x, count: batch, into: noise)
        return gradients(parameters: parameters, real: x, realCount: batch, noise: noise, noiseCount: batch,
                         gradient: gradient, workspace: workspace)
    }

    /// Writes the training noise of the real rows `x` [B, 2] into `noise` [B, k]: standard normal, from
    /// a stream seeded by a hash of the rows' bits (see the type's notes). No allocation.
    public func fillNoise(forBatch x: UnsafePointer<Float>, count b: Int, into noise: UnsafeMutablePointer<Float>) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over the 32-bit words; RNGStream mixes the result further
        for i in 0..<(b * inputDimension) { hash = (hash ^ UInt64(x[i].bitPattern)) &* 0x0000_0100_0000_01B3 }
        var rng = RNGStream(seed: hash, purpose: .localTraining, round: UInt64(b))
        Self.fillGaussian(noise, count: b * latentDimension, rng: &rng)
    }

    /// The evaluation noise [count, k]: one fixed stream (purpose `.evaluation`), so every round and every
    /// run of this architecture is scored on the same noise, and a shorter set is a prefix of a longer one.
    public func evaluationNoise(count: Int) -> [Float] {
        var rng = RNGStream(seed: 0, purpose: .evaluation)
        var noise = [Float](repeating: 0, count: count * latentDimension)
        noise.withUnsafeMutableBufferPointer { Self.fillGaussian($0.baseAddress!, count: $0.count, rng: &rng) }
        return noise
    }

    static func fillGaussian(_ out: UnsafeMutablePointer<Float>, count: Int, rng: inout RNGStream) {
        var index = 0
        while index < count {
            let (a, b) = rng.nextGaussianPair()
            out[index] = Float(a)
            if index + 1 < count { out[index + 1] = Float(b) }
            index += 2
        }
    }

    /// Zeros: the model has no class scores.
    public func forward(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float> {
        let scores = workspace.activations[classScoresBuffer]
        scores.update(repeating: 0, count: batch * classCount)
        return UnsafePointer(scores)
    }

    /// Generated points [count, 2] for the first `count` rows of the evaluation noise.
    public func generatedSamples(parameters: [Float], count: Int) -> [Float]? {
        generatedSamples(parameters: parameters, noise: evaluationNoise(count: count), workspace: nil)
    }

    func generatedSamples(parameters: [Float], noise: [Float], workspace: ModelWorkspace?) -> [Float] {
        let count = noise.count / latentDimension
        let space = workspace ?? makeWorkspace(batchCapacity: min(256, max(count, 1)))
        var points = [Float](repeating: 0, count: count * 2)
        parameters.withUnsafeBufferPointer { p in noise.withUnsafeBufferPointer { z in
            var start = 0
            while start < count {
                let chunk = min(space.batchCapacity, count - start)
                let fake = generate(parameters: p, noise: z.baseAddress! + start * latentDimension, count: chunk, workspace: space)
                for i in 0..<(chunk * 2) { points[start * 2 + i] = fake[i] }
                start += chunk
            }
        } }
        return points
    }

    /// `test_loss`: V on the test rows and the evaluation noise; `test_accuracy`: NaN (no classes);
    /// `modes_covered` and `high_quality_fraction` of the evaluation samples against the test rows' modes.
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        guard data.count > 0 else {
            return ["test_loss": .nan, "test_accuracy": .nan, "modes_covered": .nan, "high_quality_fraction": .nan]
        }
        let space = workspace ?? makeWorkspace(batchCapacity: 256)
        let noise = evaluationNoise(count: Self.evaluationSampleCount)
        let samples = generatedSamples(parameters: parameters, noise: noise, workspace: space)
        let coverage = ModeCoverage.measure(samples: samples, target: ModeCoverage.Target(fitting: data),
                                            minimumPerMode: Self.minimumSamplesPerMode)
        // V = mean over real rows of log σ(D(x)) + mean over generated points of log σ(−D(G(z))).
        var realPart = 0.0, fakePart = 0.0
        parameters.withUnsafeBufferPointer { p in
            let discriminatorActivations = space.activations[discriminatorSlice]
            func scoreSum(_ rows: UnsafePointer<Float>, count: Int, sign: Float) -> Double {
                var sum = 0.0, start = 0
                while start < count {
                    let chunk = min(space.batchCapacity, count - start)
                    let scores = discriminator.forward(base: p.baseAddress!, x: rows + start * 2, batch: chunk,
                                                       activations: discriminatorActivations)
                    for row in 0..<chunk { sum += Double(logSigmoid(sign * scores[row])) }
                    start += chunk
                }
                return sum
            }
            data.features.withUnsafeBufferPointer { realPart = scoreSum($0.baseAddress!, count: data.count, sign: 1) / Double(data.count) }
            samples.withUnsafeBufferPointer { fakePart = scoreSum($0.baseAddress!, count: Self.evaluationSampleCount, sign: -1) }
        }
        return [
            "test_loss": realPart + fakePart / Double(Self.evaluationSampleCount),
            "test_accuracy": .nan,
            "modes_covered": Double(coverage.modesCovered),
            "high_quality_fraction": coverage.highQualityFraction,
        ]
    }
}
