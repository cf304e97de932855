import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// Dense stacks in Double with naive loops, read from the documented tensor names, and DANN's game:
/// L_class = mean CE of the classifier over labelled rows, L_domain = mean CE of the discriminator
/// over all rows (source = 0, target = 1), ω's objective L_class − c·L_domain.
struct ReferenceNetwork {
    let tensors: [String: (shape: [Int], values: [Double])]

    init(layout: ParameterLayout, parameters: [Double]) {
        var tensors = [String: (shape: [Int], values: [Double])]()
        for entry in layout.entries { tensors[entry.name] = (entry.shape, Array(parameters[entry.offset..<(entry.offset + entry.count)])) }
        self.tensors = tensors
    }

    /// A dense stack; `reluLast` says whether the last layer has a ReLU. Also returns the smallest |pre-activation|.
    func stack(_ prefix: String, _ x: [[Double]], reluLast: Bool) -> (out: [[Double]], kink: Double) {
        var rows = x, kink = Double.infinity, l = 0
        while let weight = tensors["\(prefix)layer\(l).weight"], let bias = tensors["\(prefix)layer\(l).bias"] {
            let (dIn, dOut) = (weight.shape[0], weight.shape[1])
            let isLast = tensors["\(prefix)layer\(l + 1).weight"] == nil
            rows = rows.map { input in
                (0..<dOut).map { j in
                    var z = bias.values[j]
                    for i in 0..<dIn { z += input[i] * weight.values[i * dOut + j] }
                    if !isLast || reluLast { kink = min(kink, abs(z)); z = max(z, 0) }
                    return z
                }
            }
            l += 1
        }
        return (rows, kink)
    }

    static func crossEntropy(_ scores: [Double], _ label: Int) -> Double {
        let top = scores.max()!
        return log(scores.reduce(0) { $0 + exp($1 - top) }) + top - scores[label]
    }

    /// (L_class, L_domain, closest pre-activation to a ReLU kink).
    func losses(x: [[Double]], labels: [Int]) -> (Double, Double, Double) {
        let (phi, k1) = stack("feature.", x, reluLast: true)
        let (classScores, k2) = stack("classifier.", phi, reluLast: false)
        let (domainScores, k3) = stack("discriminator.", phi, reluLast: false)
        var classTotal = 0.0, labelled = 0, domainTotal = 0.0
        for row in 0..<x.count {
            if labels[row] >= 0 { classTotal += Self.crossEntropy(classScores[row], labels[row]); labelled += 1 }
            domainTotal += Self.crossEntropy(domainScores[row], labels[row] >= 0 ? 0 : 1)
        }
        return (labelled > 0 ? classTotal / Double(labelled) : 0, domainTotal / Double(x.count), min(k1, k2, k3))
    }
}

@Suite struct DANNGradientTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let features: [Int], classifierHidden: [Int], discriminatorHidden: [Int], batch: Int, targetRows: Int
        var testDescription: String { "φ\(features) cls\(classifierHidden) disc\(discriminatorHidden) B=\(batch) target=\(targetRows)" }
    }

    @Test(arguments: [
        Case(features: [5], classifierHidden: [], discriminatorHidden: [], batch: 4, targetRows: 2),
        Case(features: [6, 4], classifierHidden: [3], discriminatorHidden: [5], batch: 5, targetRows: 2),
        Case(features: [4], classifierHidden: [], discriminatorHidden: [3], batch: 3, targetRows: 3),  // no source row
        Case(features: [4], classifierHidden: [], discriminatorHidden: [3], batch: 3, targetRows: 0),  // no target row
    ])
    func gradients_matchFiniteDifferencesOfTheGame(_ setup: Case) throws {
        let c: Float = 0.7
        let model = DANN(inputDimension: 3, classCount: 4, settings: .init(
            featureWidths: setup.features, classifierHidden: setup.classifierHidden,
            discriminatorHidden: setup.discriminatorHidden, adversarialWeight: c))
        var found = false
        for seed in UInt64(1)...40 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            var parameters = model.initialParameters(rng: &rng)
            for i in parameters.indices { parameters[i] += Float(rng.nextGaussian() * 0.1) }  // non-zero biases too
            let x = Numerics.gaussianFloats(count: setup.batch * 3, rng: &rng)
            let labels: [Int32] = (0..<setup.batch).map { $0 < setup.batch - setup.targetRows ? Int32(rng.nextInt(below: 4)) : -1 }
            let rows = (0..<setup.batch).map { r in (0..<3).map { Double(x[r * 3 + $0]) } }
            let reference = ReferenceNetwork(layout: model.layout, parameters: parameters.map(Double.init))
            let (refClass, refDomain, kink) = reference.losses(x: rows, labels: labels.map(Int.init))
            guard kink > 1e-2 else { continue }  // finite differences across a ReLU kink are meaningless
            found = true

            let workspace = model.makeWorkspace(batchCapacity: setup.batch)
            var gradient = [Float](repeating: 0, count: model.layout.totalCount)
            let (classLoss, domainLoss) = parameters.withUnsafeBufferPointer { p in
                x.withUnsafeBufferPointer { xs in labels.withUnsafeBufferPointer { ls in gradient.withUnsafeMutableBufferPointer { g in
                    model.gradients(parameters: p, x: xs.baseAddress!, labels: ls.baseAddress!, batch: setup.batch,
                                    gradient: g, workspace: workspace)
                } } }
            }
            #expect(abs(Double(classLoss) - refClass) < 1e-4 * max(1, refClass), "seed \(seed)")
            #expect(abs(Double(domainLoss) - refDomain) < 1e-4 * max(1, refDomain), "seed \(seed)")

            // ω descends L_class − c·L_domain; ψ descends L_domain.
            let losses = { (p: [Double]) in
                ReferenceNetwork(layout: model.layout, parameters: p).losses(x: rows, labels: labels.map(Int.init))
            }
            let worst = Numerics.worstPlayerGradientError(
                parameters: parameters, gradient: gradient, minPlayer: model.minPlayer,
                minObjective: { let l = losses($0); return l.0 - Double(c) * l.1 }, maxObjective: { losses($0).1 })
            #expect(worst < 1e-2, "seed \(seed): worst relative gradient error \(worst)")
            break
        }
        #expect(found, "no seed without a pre-activation near a ReLU kink")
    }

    @Test func players_partitionTheParameters_minPlayerFirst() {
        let model = DANN(inputDimension: 8, classCount: 10)
        #expect(model.minPlayer.lowerBound == 0 && model.minPlayer.upperBound == model.maxPlayer.lowerBound)
        #expect(model.maxPlayer.upperBound == model.layout.totalCount)
        let discriminatorEntries = model.layout.entries.filter { $0.name.hasPrefix("discriminator.") }
        #expect(discriminatorEntries.allSatisfy { model.maxPlayer.contains($0.offset) })
        #expect(model.layout.entries.filter { !$0.name.hasPrefix("discriminator.") }.allSatisfy { model.minPlayer.contains($0.offset) })
    }
}
