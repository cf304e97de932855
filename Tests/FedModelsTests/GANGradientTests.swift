import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

@Suite struct GANGradientTests {
    /// V = mean log σ(D(x)) + mean log(1 − σ(D(G(z)))) in Double, and the closest ReLU pre-activation to 0.
    func referenceValue(_ model: GAN2D, _ parameters: [Double], real: [[Double]], noise: [[Double]]) -> (Double, Double) {
        let network = ReferenceNetwork(layout: model.layout, parameters: parameters)
        let (fake, k1) = network.stack("generator.", noise, reluLast: false)
        let (realScores, k2) = network.stack("discriminator.", real, reluLast: false)
        let (fakeScores, k3) = network.stack("discriminator.", fake, reluLast: false)
        let logSigmoid = { (s: Double) in -log(1 + exp(-s)) }
        let value = realScores.map { logSigmoid($0[0]) }.reduce(0, +) / Double(real.count)
            + fakeScores.map { logSigmoid(-$0[0]) }.reduce(0, +) / Double(noise.count)
        return (value, min(k1, k2, k3))
    }

    @Test(arguments: [([4], [5], 3, 2), ([6, 3], [4, 4], 4, 5), ([3], [3], 1, 1)])
    func gradients_areDescentDirectionsOfBothPlayers(generatorHidden: [Int], discriminatorHidden: [Int], realCount: Int,
                                                     noiseCount: Int) throws {
        let model = GAN2D(latentDimension: 2, generatorHidden: generatorHidden, discriminatorHidden: discriminatorHidden)
        var checked = false
        for seed in UInt64(1)...40 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            var parameters = model.initialParameters(rng: &rng)
            for i in parameters.indices { parameters[i] += Float(rng.nextGaussian() * 0.1) }
            let real = Numerics.gaussianFloats(count: realCount * 2, scale: 2, rng: &rng)
            let noise = Numerics.gaussianFloats(count: noiseCount * 2, rng: &rng)
            let realRows = (0..<realCount).map { [Double(real[2 * $0]), Double(real[2 * $0 + 1])] }
            let noiseRows = (0..<noiseCount).map { [Double(noise[2 * $0]), Double(noise[2 * $0 + 1])] }
            let (reference, kink) = referenceValue(model, parameters.map(Double.init), real: realRows, noise: noiseRows)
            guard kink > 1e-2 else { continue }
            checked = true
            let workspace = model.makeWorkspace(batchCapacity: max(realCount, noiseCount))
            var gradient = [Float](repeating: 0, count: model.layout.totalCount)
            let value = parameters.withUnsafeBufferPointer { p in real.withUnsafeBufferPointer { r in noise.withUnsafeBufferPointer { n in
                gradient.withUnsafeMutableBufferPointer { g in
                    model.gradients(parameters: p, real: r.baseAddress!, realCount: realCount, noise: n.baseAddress!,
                                    noiseCount: noiseCount, gradient: g, workspace: workspace)
                }
            } } }
            #expect(abs(Double(value) - reference) < 1e-4 * max(1, abs(reference)), "seed \(seed)")
            // The generator descends V, the discriminator descends −V.
            let gameValue = { (p: [Double]) in referenceValue(model, p, real: realRows, noise: noiseRows).0 }
            let worst = Numerics.worstPlayerGradientError(
                parameters: parameters, gradient: gradient, minPlayer: model.minPlayer,
                minObjective: { gameValue($0) }, maxObjective: { -gameValue($0) })
            #expect(worst < 1e-2, "seed \(seed): worst relative gradient error \(worst)")
            break
        }
        #expect(checked, "no seed without a pre-activation near a ReLU kink")
    }

    @Test func generate_isTheGeneratorStackAlone() {
        let model = GAN2D(latentDimension: 3, generatorHidden: [4], discriminatorHidden: [4])
        var rng = RNGStream(seed: 5, purpose: .custom)
        let parameters = model.initialParameters(rng: &rng)
        let noise = Numerics.gaussianFloats(count: 6, rng: &rng)
        let workspace = model.makeWorkspace(batchCapacity: 2)
        let points = parameters.withUnsafeBufferPointer { p in noise.withUnsafeBufferPointer { n in
            Array(UnsafeBufferPointer(start: model.generate(parameters: p, noise: n.baseAddress!, count: 2, workspace: workspace), count: 4))
        } }
        let network = ReferenceNetwork(layout: model.layout, parameters: parameters.map(Double.init))
        let expected = network.stack("generator.", [[Double(noise[0]), Double(noise[1]), Double(noise[2])],
                                                    [Double(noise[3]), Double(noise[4]), Double(noise[5])]], reluLast: false).out
        for (a, b) in zip(points, expected.flatMap { $0 }) { #expect(abs(Double(a) - b) < 1e-5) }
        #expect(model.minPlayer.upperBound == model.maxPlayer.lowerBound && model.maxPlayer.upperBound == model.layout.totalCount)
    }
}
