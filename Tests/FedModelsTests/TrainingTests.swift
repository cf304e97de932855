import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

@Suite struct SGDTests {
    @Test func step_withoutMomentum_appliesGradientPlusWeightDecay() {
        // w ← w − η(g + λw) with η = 0.5, λ = 0.1:
        // 1 − 0.5(0.3 + 0.1) = 0.8;  −2 − 0.5(0.1 − 0.2) = −1.95;  0.5 − 0.5(−0.2 + 0.05) = 0.575.
        var sgd = SGD(settings: .init(learningRate: 0.5, momentum: 0, weightDecay: 0.1), parameterCount: 3)
        var w: [Float] = [1, -2, 0.5]
        sgd.step(parameters: &w, gradient: [0.3, 0.1, -0.2])
        expectClose(w, [0.8, -1.95, 0.575])
        #expect(sgd.velocity.isEmpty)
    }

    @Test func step_plainSGD_isWMinusLearningRateTimesGradient() {
        var sgd = SGD(settings: .init(learningRate: 0.25), parameterCount: 2)
        var w: [Float] = [1, 1]
        sgd.step(parameters: &w, gradient: [4, -2])
        #expect(w == [0, 1.5])
    }

    @Test func step_withMaxPlayerRate_movesOnlyThoseScalarsAtThatRate() {
        // Scalars 1..<3 are the max player: η_y = 0.5 there, η = 0.25 elsewhere.
        var sgd = SGD(settings: .init(learningRate: 0.25, maxPlayerLearningRate: 0.5), parameterCount: 4)
        var w: [Float] = [1, 1, 1, 1]
        sgd.step(parameters: &w, gradient: [4, 4, -2, 4], maxPlayer: 1..<3)
        #expect(w == [0, -1, 2, 0])
        var unsplit = [Float](repeating: 1, count: 4)
        sgd.step(parameters: &unsplit, gradient: [4, 4, -2, 4])
        #expect(unsplit == [0, 0, 1.5, 0], "without a max-player range every scalar uses η")
    }

    @Test func step_withMomentum_followsHeavyBallRecursion() {
        // η = 0.1, μ = 0.9. Step 1: v = g₁ = (0.5, −0.25), w = (0.95, −0.975).
        // Step 2: v = 0.9·v + g₂ = (0.55, −0.025), w = (0.895, −0.9725).
        var sgd = SGD(settings: .init(learningRate: 0.1, momentum: 0.9), parameterCount: 2)
        var w: [Float] = [1, -1]
        sgd.step(parameters: &w, gradient: [0.5, -0.25])
        expectClose(w, [0.95, -0.975])
        expectClose(sgd.velocity, [0.5, -0.25])
        sgd.step(parameters: &w, gradient: [0.1, 0.2])
        expectClose(sgd.velocity, [0.55, -0.025])
        expectClose(w, [0.895, -0.9725])
    }

    @Test func step_withMomentumAndWeightDecay_addsDecayToVelocity() {
        // η = 0.1, μ = 0.9, λ = 0.1. Step 1: v = g₁ + λw = (0.6, −0.35), w = (0.94, −0.965).
        // Step 2: v = 0.9·v + g₂ + λw = (0.54 + 0.1 + 0.094, −0.315 + 0.2 − 0.0965) = (0.734, −0.2115),
        //         w = (0.94 − 0.0734, −0.965 + 0.02115) = (0.8666, −0.94385).
        var sgd = SGD(settings: .init(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1), parameterCount: 2)
        var w: [Float] = [1, -1]
        sgd.step(parameters: &w, gradient: [0.5, -0.25])
        expectClose(w, [0.94, -0.965])
        sgd.step(parameters: &w, gradient: [0.1, 0.2])
        expectClose(sgd.velocity, [0.734, -0.2115])
        expectClose(w, [0.8666, -0.94385])
    }
}

private func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-6,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        #expect(abs(Double(a) - e) <= tolerance, "element \(i): \(a) vs \(e)", sourceLocation: sourceLocation)
    }
}

@Suite struct LocalTrainerTests {
    static let data = Fixtures.blobs(count: 300, dimension: 4, classes: 3, seed: 2)
    static let model = MLP(inputDimension: 4, hidden: [], classCount: 3)

    static func initial(seed: UInt64 = 1) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .parameterInit)
        return model.initialParameters(rng: &rng)
    }

    static func train(
        _ parameters: inout [Float], data: Dataset = data, epochs: Int = 1, batch: Int = 16, maxSteps: Int? = nil,
        lr: Float = 0.1, proximal: LocalTrainer.Proximal? = nil, seed: UInt64 = 1
    ) -> LocalTrainer.Outcome {
        var rng = RNGStream(seed: seed, purpose: .localTraining)
        let settings = LocalTrainer.Settings(epochs: epochs, batchSize: batch, maxSteps: maxSteps,
                                             optimizer: SGD.Settings(learningRate: lr))
        return LocalTrainer.train(model: model, parameters: &parameters, data: DatasetShard(all: data), settings: settings,
                                  proximal: proximal, rng: &rng, workspace: model.makeWorkspace(batchCapacity: batch))
    }

    @Test func train_onSeparableBlobs_reducesLossAndReachesHighAccuracy() {
        var parameters = Self.initial()
        let before = Self.model.evaluate(parameters: parameters, on: Self.data)
        let outcome = Self.train(&parameters, epochs: 5)
        let after = Self.model.evaluate(parameters: parameters, on: Self.data)
        #expect(after.loss < 0.5 * before.loss, "loss \(before.loss) → \(after.loss)")
        #expect(after.accuracy >= 0.95, "accuracy \(after.accuracy)")
        #expect(outcome.meanLoss.isFinite && outcome.meanLoss < before.loss)
    }

    @Test(arguments: [(10, 3, 2), (16, 4, 3), (1, 5, 1), (7, 7, 1), (300, 16, 5)])
    func train_stepCount_isCeilOfCountOverBatchTimesEpochs(count: Int, batch: Int, epochs: Int) {
        var parameters = Self.initial()
        let data = Self.data.subset(Array(0..<count))
        let outcome = Self.train(&parameters, data: data, epochs: epochs, batch: batch)
        #expect(outcome.steps == (count + batch - 1) / batch * epochs)
        #expect(outcome.examplesSeen == count * epochs)
    }

    @Test func train_withMaxSteps_stopsThereAcrossEpochBoundaries() {
        // 10 examples in batches of 3: epochs are 3+3+3+1; seven steps are one epoch then 3+3+3.
        var parameters = Self.initial()
        let data = Self.data.subset(Array(0..<10))
        let outcome = Self.train(&parameters, data: data, epochs: 1, batch: 3, maxSteps: 7)
        #expect(outcome.steps == 7)
        #expect(outcome.examplesSeen == 19)
        var short = Self.initial()
        #expect(Self.train(&short, data: data, epochs: 50, batch: 3, maxSteps: 2).steps == 2)
    }

    @Test func train_onEmptyShard_doesNothing() {
        var parameters = Self.initial()
        let before = parameters
        var rng = RNGStream(seed: 1, purpose: .localTraining)
        let outcome = LocalTrainer.train(
            model: Self.model, parameters: &parameters, data: DatasetShard(base: Self.data, indices: []),
            settings: .init(epochs: 3, batchSize: 4, optimizer: .init(learningRate: 0.1)), rng: &rng,
            workspace: Self.model.makeWorkspace(batchCapacity: 4))
        #expect(outcome.steps == 0 && outcome.examplesSeen == 0)
        #expect(parameters == before)
    }

    @Test func train_withHugeProximalMu_staysWithinOneGradientStepOfAnchor() {
        // With η·μ = 1 each step gives w − anchor = −η·∇loss(w_prev); for softmax regression
        // |∂loss/∂W| ≤ max|x| and |∂loss/∂b| ≤ 1, so every coordinate stays within η·max(max|x|, 1).
        let anchor = Self.initial()
        let lr: Float = 0.01
        var proximal = anchor, plain = anchor
        _ = Self.train(&proximal, epochs: 3, lr: lr, proximal: .init(anchor: anchor, mu: 1 / lr))
        _ = Self.train(&plain, epochs: 3, lr: lr)
        let bound = Double(lr) * max(Double(Self.data.features.map(abs).max()!), 1) * 1.001
        let worst = zip(proximal, anchor).map { abs(Double($0) - Double($1)) }.max()!
        #expect(worst <= bound, "max |w − anchor| \(worst) exceeds \(bound)")
        #expect(Numerics.distance(proximal, anchor) < 0.2 * Numerics.distance(plain, anchor))
    }

    @Test func train_oneStepWithProximal_differsFromPlainStepByLearningRateTimesMuTimesOffset() {
        // Same stream, same batch: w₁ − w₁' = −η·μ·(w₀ − anchor), the proximal gradient's contribution.
        let (lr, mu): (Float, Float) = (0.1, 0.5)
        let start = Self.initial()
        var rng = RNGStream(seed: 6, purpose: .custom)
        let anchor = zip(start, Numerics.gaussianFloats(count: start.count, rng: &rng)).map { $0 + $1 }
        var proximal = start, plain = start
        let stepsWith = Self.train(&proximal, batch: 32, maxSteps: 1, lr: lr, proximal: .init(anchor: anchor, mu: mu))
        let stepsWithout = Self.train(&plain, batch: 32, maxSteps: 1, lr: lr)
        #expect(stepsWith.steps == 1 && stepsWithout.steps == 1)
        for i in start.indices {
            let expected = -Double(lr * mu) * (Double(start[i]) - Double(anchor[i]))
            #expect(abs(Double(proximal[i]) - Double(plain[i]) - expected) < 1e-6, "parameter \(i)")
        }
    }

    @Test func train_withSameSeed_isBitIdentical_andDifferentSeedDiffers() {
        var a = Self.initial(), b = Self.initial(), c = Self.initial()
        let outcomeA = Self.train(&a, epochs: 2, batch: 8, seed: 3)
        let outcomeB = Self.train(&b, epochs: 2, batch: 8, seed: 3)
        _ = Self.train(&c, epochs: 2, batch: 8, seed: 4)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(outcomeA == outcomeB)
        #expect(a != c)
    }

    @Test func evaluate_matchesManualArgmaxCountAndMeanLoss() {
        // 600 examples span two full evaluation batches of 256 and a partial one.
        let data = Fixtures.blobs(count: 600, dimension: 4, classes: 3, seed: 9)
        var rng = RNGStream(seed: 5, purpose: .custom)
        let parameters = Numerics.gaussianFloats(count: Self.model.layout.totalCount, rng: &rng)
        let result = Self.model.evaluate(parameters: parameters, on: data)
        // Softmax regression in Double: logits = x·W + b, W [4, 3] row-major then b [3].
        var correct = 0, nearTies = 0, lossSum = 0.0
        for row in 0..<data.count {
            var logits = (0..<3).map { Double(parameters[12 + $0]) }
            for i in 0..<4 {
                for j in 0..<3 { logits[j] += Double(data.features[row * 4 + i]) * Double(parameters[i * 3 + j]) }
            }
            let label = Int(data.labels[row]), best = Numerics.argmax(logits)
            if best == label { correct += 1 }
            let sorted = logits.sorted(by: >)
            if sorted[0] - sorted[1] < 1e-4 { nearTies += 1 }
            let top = sorted[0]
            lossSum += log(logits.map { exp($0 - top) }.reduce(0, +)) + top - logits[label]
        }
        let manual = Double(correct) / Double(data.count)
        #expect(abs(result.accuracy - manual) <= Double(nearTies) / Double(data.count), "\(result.accuracy) vs \(manual)")
        #expect(Numerics.relativeError(result.loss, lossSum / Double(data.count)) < 1e-5)
    }
}
