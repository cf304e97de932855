import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

@Suite struct FairClassifierTests {
    /// f(x, y) = Σ_r y_{c_r} ℓ_r / (π_{c_r} B) − (λ/2)‖y‖², computed in Double by the reference network.
    func referenceObjective(_ model: FairClassifier, _ parameters: [Double], rows: [[Double]], labels: [Int]) -> (Double, Double) {
        let network = ReferenceNetwork(layout: model.layout, parameters: parameters)
        let (logits, kink) = network.stack("", rows, reluLast: false)
        let y = Array(parameters[(parameters.count - model.classCount)...])
        var value = 0.0
        for (row, label) in labels.enumerated() {
            let z = logits[row], top = z.max()!
            let loss = log(z.map { exp($0 - top) }.reduce(0, +)) - (z[label] - top)
            value += y[label] * loss / Double(model.classPriors[label]) / Double(labels.count)
        }
        value -= 0.5 * Double(model.regularization) * y.map { $0 * $0 }.reduce(0, +)
        return (value, kink)
    }

    @Test func gradients_areDescentDirectionsOfBothPlayers() throws {
        let model = FairClassifier(inputDimension: 3, hidden: [5], classCount: 4, classPriors: [0.1, 0.2, 0.3, 0.4],
                                   regularization: 0.3)
        var checked = false
        for seed in UInt64(1)...40 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            var parameters = model.initialParameters(rng: &rng)
            for i in parameters.indices { parameters[i] += Float(rng.nextGaussian() * 0.1) }
            let x = Numerics.gaussianFloats(count: 6 * 3, rng: &rng)
            let labels: [Int32] = [0, 1, 2, 3, 1, 3]
            let rows = (0..<6).map { r in (0..<3).map { Double(x[r * 3 + $0]) } }
            let (_, kink) = referenceObjective(model, parameters.map(Double.init), rows: rows, labels: labels.map(Int.init))
            guard kink > 1e-2 else { continue }
            checked = true
            let workspace = model.makeWorkspace(batchCapacity: 6)
            var gradient = [Float](repeating: 0, count: model.layout.totalCount)
            _ = parameters.withUnsafeBufferPointer { p in x.withUnsafeBufferPointer { xs in labels.withUnsafeBufferPointer { l in
                gradient.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(parameters: p, x: xs.baseAddress!, labels: l.baseAddress!, batch: 6, gradient: g,
                                          workspace: workspace)
                } } } }
            let f = { (p: [Double]) in self.referenceObjective(model, p, rows: rows, labels: labels.map(Int.init)).0 }
            let error = Numerics.worstPlayerGradientError(
                parameters: parameters, gradient: gradient, minPlayer: 0..<(model.maxPlayerRange!.lowerBound),
                minObjective: f, maxObjective: { -f($0) })
            #expect(error < 1e-2, "seed \(seed): worst relative error \(error)")
            break
        }
        #expect(checked, "no draw away from ReLU kinks")
    }

    @Test func training_keepsClassWeightsOnTheSimplex_andMovesThemToTheHardestClass() {
        // Class 1's rows are pure noise, class 0's are separable: the ascent must favour class 1.
        var rng = RNGStream(seed: 8, purpose: .custom)
        var features = [Float](), labels = [Int32]()
        for r in 0..<200 {
            let label = Int32(r % 2)
            labels.append(label)
            features += label == 0 ? [3, Float(rng.nextGaussian())] : [Float(rng.nextGaussian()), Float(rng.nextGaussian())]
        }
        let data = Dataset(features: features, labels: labels, dimension: 2, classCount: 3)
        let model = FairClassifier(inputDimension: 2, hidden: [4], classCount: 3, classPriors: [0.5, 0.5, 0], regularization: 0.1)
        var parameters = model.initialParameters(rng: &rng)
        let settings = LocalTrainer.Settings(epochs: 5, batchSize: 20, optimizer: .init(learningRate: 0.05, momentum: 0, weightDecay: 0))
        _ = LocalTrainer.train(model: model, parameters: &parameters, data: DatasetShard(all: data), settings: settings,
                               rng: &rng, workspace: model.makeWorkspace(batchCapacity: 20))
        let y = Array(parameters[model.maxPlayerRange!])
        #expect(y.allSatisfy { $0 >= 0 } && abs(y.reduce(0, +) - 1) < 1e-5, "y = \(y)")
        #expect(y[1] > y[0], "the noisy class should weigh more: y = \(y)")
    }
}
