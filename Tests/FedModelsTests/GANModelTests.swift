import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// GAN2D as a trainable model: training noise, gradients, evaluation metrics and samples.
@Suite struct GANModelTests {
    static let target = ModeCoverage.Target(centres: GaussianMixture2D.centres, standardDeviation: 0.02)

    func randomParameters(_ model: GAN2D, seed: UInt64) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .custom)
        var parameters = model.initialParameters(rng: &rng)
        for i in parameters.indices { parameters[i] += Float(rng.nextGaussian() * 0.1) }
        return parameters
    }

    func noise(_ model: GAN2D, for rows: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: rows.count / 2 * model.latentDimension)
        rows.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { model.fillNoise(forBatch: x.baseAddress!, count: rows.count / 2, into: $0.baseAddress!) } }
        return out
    }

    @Test func lossAndGradient_isTheGameGradient_onTheBatchsOwnNoise() {
        let model = GAN2D(latentDimension: 3, generatorHidden: [8, 6], discriminatorHidden: [7])
        let parameters = randomParameters(model, seed: 4)
        let data = GaussianMixture2D.make(count: 5, seed: 2)
        let z = noise(model, for: data.features)
        // Both accumulate into the same starting values, so the sums round identically.
        var expected = [Float](repeating: 0.5, count: model.layout.totalCount)
        var actual = expected
        let (value, loss) = parameters.withUnsafeBufferPointer { p in data.features.withUnsafeBufferPointer { x in
            data.labels.withUnsafeBufferPointer { labels in z.withUnsafeBufferPointer { n in
                let value = expected.withUnsafeMutableBufferPointer { g in
                    model.gradients(parameters: p, real: x.baseAddress!, realCount: 5, noise: n.baseAddress!, noiseCount: 5,
                                    gradient: g, workspace: model.makeWorkspace(batchCapacity: 5))
                }
                let loss = actual.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(parameters: p, x: x.baseAddress!, labels: labels.baseAddress!, batch: 5, gradient: g,
                                          workspace: model.makeWorkspace(batchCapacity: 8))
                }
                return (value, loss)
            } }
        } }
        #expect(loss == value)
        #expect(actual == expected)
        #expect(expected.filter { $0 != 0.5 }.count > expected.count / 2)
    }

    @Test func trainingNoise_isAFunctionOfTheBatch_andStandardNormal() {
        let model = GAN2D(latentDimension: 2)
        let rows = GaussianMixture2D.make(count: 4_000, seed: 9).features
        let batch = Array(rows[0..<128])
        #expect(noise(model, for: batch) == noise(model, for: batch))
        var nudged = batch
        nudged[77] = nudged[77].nextUp
        var reordered = batch
        reordered.swapAt(0, 2)
        reordered.swapAt(1, 3)
        let base = noise(model, for: batch)
        for other in [noise(model, for: nudged), noise(model, for: reordered), noise(model, for: Array(batch[0..<126]))] {
            #expect(zip(base, other).filter { $0 == $1 }.count < 3, "a different batch must get unrelated noise")
        }
        let large = noise(model, for: rows).map(Double.init)  // 8,000 draws
        #expect(abs(Numerics.mean(large)) < 0.05)
        #expect(abs(Numerics.variance(large) - 1) < 0.06)
    }

    /// `count` points around `centre` at distance `radius`, at evenly spread angles.
    func ring(_ count: Int, centre: (Double, Double), radius: Double) -> [Float] {
        (0..<count).flatMap { i -> [Float] in
            let angle = 2 * Double.pi * Double(i) / Double(count)
            return [Float(centre.0 + radius * cos(angle)), Float(centre.1 + radius * sin(angle))]
        }
    }

    func mode(_ m: Int) -> (Double, Double) { (2 * cos(Double(m) * .pi / 4), 2 * sin(Double(m) * .pi / 4)) }

    @Test func modeCoverage_onHandMadeSamples() {
        let onOneMode = ModeCoverage.measure(samples: ring(100, centre: mode(3), radius: 0.05), target: Self.target)
        #expect(onOneMode == ModeCoverage(modesCovered: 1, highQualityFraction: 1))
        let farAway = ModeCoverage.measure(samples: ring(50, centre: (0, 0), radius: 0.5) + ring(50, centre: (9, -4), radius: 1),
                                           target: Self.target)
        #expect(farAway == ModeCoverage(modesCovered: 0, highQualityFraction: 0))
        // 3σ = 0.06: a ring at 0.065 misses, one at 0.055 counts.
        let half = ModeCoverage.measure(samples: ring(40, centre: mode(0), radius: 0.055) + ring(40, centre: mode(1), radius: 0.065),
                                        target: Self.target)
        #expect(half == ModeCoverage(modesCovered: 1, highQualityFraction: 0.5))
        // A mode needs 20 samples: 20 on each of seven modes and 19 on the eighth cover seven.
        let spread = (0..<8).flatMap { ring($0 == 7 ? 19 : 20, centre: mode($0), radius: 0.01) }
        let counted = ModeCoverage.measure(samples: spread, target: Self.target)
        #expect(counted.modesCovered == 7 && counted.highQualityFraction == 1)
        #expect(ModeCoverage.measure(samples: spread, target: Self.target, minimumPerMode: 19).modesCovered == 8)
        #expect(ModeCoverage.measure(samples: [], target: Self.target).highQualityFraction.isNaN)
    }

    @Test func target_fittedFromTheMixture_findsItsCentresAndSpread() {
        let fitted = ModeCoverage.Target(fitting: GaussianMixture2D.make(count: 4_000, seed: 3, part: .test))
        #expect(fitted.centres.count == 16)
        for m in 0..<8 {
            #expect(abs(fitted.centres[2 * m] - mode(m).0) < 5e-3 && abs(fitted.centres[2 * m + 1] - mode(m).1) < 5e-3, "mode \(m)")
        }
        #expect(abs(fitted.standardDeviation - 0.02) < 1e-3, "σ \(fitted.standardDeviation)")
    }

    /// Parameters whose generator outputs `point` for every noise input (last layer: zero weights, bias = point).
    func constantGenerator(_ model: GAN2D, at point: (Double, Double)) throws -> [Float] {
        var parameters = randomParameters(model, seed: 1)
        let weight = try #require(model.layout.entry(named: "generator.layer1.weight"))
        let bias = try #require(model.layout.entry(named: "generator.layer1.bias"))
        for i in weight.offset..<(weight.offset + weight.count) { parameters[i] = 0 }
        parameters[bias.offset] = Float(point.0)
        parameters[bias.offset + 1] = Float(point.1)
        return parameters
    }

    @Test func evaluationMetrics_scoreTheGeneratorAgainstTheTestModes() throws {
        let model = GAN2D(latentDimension: 2, generatorHidden: [4], discriminatorHidden: [5])
        let test = GaussianMixture2D.make(count: 800, seed: 3, part: .test)
        let onMode = model.evaluationMetrics(parameters: try constantGenerator(model, at: mode(5)), on: test, workspace: nil)
        #expect(onMode["modes_covered"] == 1 && onMode["high_quality_fraction"] == 1)
        let between = model.evaluationMetrics(parameters: try constantGenerator(model, at: (0, 0)), on: test, workspace: nil)
        #expect(between["modes_covered"] == 0 && between["high_quality_fraction"] == 0)
        #expect(try #require(onMode["test_accuracy"]).isNaN)
        #expect(try #require(onMode["test_loss"]).isFinite)
        #expect(Set(onMode.keys) == Set(["test_loss", "test_accuracy"] + model.evaluationMetricNames))
        #expect(model.headlineMetric.name == "modes_covered")
        // The same answer in chunks of 256 (the evaluator's workspace) as in chunks of 7 (up to rounding).
        let parameters = randomParameters(model, seed: 8)
        let large = model.evaluationMetrics(parameters: parameters, on: test, workspace: model.makeWorkspace(batchCapacity: 256))
        let small = model.evaluationMetrics(parameters: parameters, on: test, workspace: model.makeWorkspace(batchCapacity: 7))
        #expect(large["modes_covered"] == small["modes_covered"] && large["high_quality_fraction"] == small["high_quality_fraction"])
        #expect(abs(try #require(large["test_loss"]) - (try #require(small["test_loss"]))) < 1e-5)
    }

    @Test func generatedSamples_areTheGeneratorOnTheFixedEvaluationNoise() throws {
        let model = GAN2D(latentDimension: 3, generatorHidden: [6], discriminatorHidden: [4])
        let parameters = randomParameters(model, seed: 6)
        let many = try #require(model.generatedSamples(parameters: parameters, count: 300))
        let few = try #require(model.generatedSamples(parameters: parameters, count: 10))
        #expect(many.count == 600 && Array(many[0..<20]) == few)
        let noise = model.evaluationNoise(count: 300)
        let workspace = model.makeWorkspace(batchCapacity: 300)
        let direct = parameters.withUnsafeBufferPointer { p in noise.withUnsafeBufferPointer { n in
            Array(UnsafeBufferPointer(start: model.generate(parameters: p, noise: n.baseAddress!, count: 300, workspace: workspace), count: 600))
        } }
        // One pass of 300 against chunks of 256 and 44: equal up to the kernel's rounding.
        #expect(Numerics.distance(direct, many) < 1e-5)
        #expect(MLP(inputDimension: 2, hidden: [], classCount: 2).generatedSamples(parameters: [], count: 5) == nil)
    }

    @Test func catalog_buildsTheGAN_fromItsSpec() throws {
        var spec = ModelCatalog.Spec(kind: "gan", hidden: [16, 8], discriminatorHidden: [12])
        spec.latentDimension = 3
        let model = try #require(ModelCatalog.make(spec, inputDimension: 2, classCount: 8) as? GAN2D)
        #expect(model.latentDimension == 3)
        #expect(model.layout.entry(named: "generator.layer0.weight")?.shape == [3, 16])
        #expect(model.layout.entry(named: "generator.layer2.weight")?.shape == [8, 2])
        #expect(model.layout.entry(named: "discriminator.layer1.weight")?.shape == [12, 1])
        #expect(model.maxPlayerRange == model.maxPlayer)
    }
}
