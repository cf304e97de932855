import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// An MLP forward pass in Double with naive loops, written from the documented layout:
/// per layer l, `layer{l}.weight` [d_l, d_{l+1}] row-major then `layer{l}.bias` [d_{l+1}];
/// ReLU on hidden layers; mean softmax cross-entropy over the batch.
struct ReferenceMLP {
    let widths: [Int]

    var parameterCount: Int {
        var total = 0
        for l in 0..<(widths.count - 1) { total += widths[l] * widths[l + 1] + widths[l + 1] }
        return total
    }

    /// Logits [B, C] and the smallest |pre-activation| of any hidden unit (∞ without hidden layers).
    func logits(_ p: [Double], x: [Double], batch: Int) -> (logits: [Double], closestToKink: Double) {
        var input = x, closest = Double.infinity, offset = 0
        for l in 0..<(widths.count - 1) {
            let (dIn, dOut) = (widths[l], widths[l + 1])
            let weight = offset, bias = offset + dIn * dOut
            offset = bias + dOut
            var output = [Double](repeating: 0, count: batch * dOut)
            for row in 0..<batch {
                for j in 0..<dOut {
                    var z = p[bias + j]
                    for i in 0..<dIn { z += input[row * dIn + i] * p[weight + i * dOut + j] }
                    if l < widths.count - 2 {
                        closest = min(closest, abs(z))
                        z = max(z, 0)
                    }
                    output[row * dOut + j] = z
                }
            }
            input = output
        }
        return (input, closest)
    }

    func loss(_ p: [Double], x: [Double], labels: [Int], batch: Int) -> Double {
        let z = logits(p, x: x, batch: batch).logits
        let c = widths[widths.count - 1]
        var total = 0.0
        for row in 0..<batch {
            let slice = Array(z[(row * c)..<((row + 1) * c)])
            let top = slice.max()!
            var sum = 0.0
            for value in slice { sum += exp(value - top) }
            total += (log(sum) + top) - slice[labels[row]]
        }
        return total / Double(batch)
    }
}

/// A random problem for one architecture and batch size, with no hidden pre-activation near a kink.
struct GradientProblem {
    let model: MLP
    let reference: ReferenceMLP
    let parameters: [Float]
    let x: [Float]
    let labels: [Int32]
    let batch: Int

    init(inputs: Int, hidden: [Int], classes: Int, batch: Int) {
        model = MLP(inputDimension: inputs, hidden: hidden, classCount: classes)
        reference = ReferenceMLP(widths: [inputs] + hidden + [classes])
        for seed: UInt64 in 1...200 {
            var rng = RNGStream(seed: seed, purpose: .custom, client: UInt64(batch), round: UInt64(hidden.count))
            let p = Numerics.gaussianFloats(count: model.layout.totalCount, scale: 0.7, rng: &rng)
            let xs = Numerics.gaussianFloats(count: batch * inputs, rng: &rng)
            let ys = (0..<batch).map { _ in Int32(rng.nextInt(below: classes)) }
            let kink = reference.logits(p.map(Double.init), x: xs.map(Double.init), batch: batch).closestToKink
            if kink > 1e-2 {
                (parameters, x, labels, self.batch) = (p, xs, ys, batch)
                return
            }
        }
        fatalError("no seed kept every pre-activation away from the ReLU kink")
    }

    /// The model's loss and the gradient it accumulates into a buffer starting at `initial`.
    func modelLossAndGradient(initial: [Float]? = nil, calls: Int = 1) -> (Float, [Float]) {
        let workspace = model.makeWorkspace(batchCapacity: batch)
        var gradient = initial ?? [Float](repeating: 0, count: model.layout.totalCount)
        var loss: Float = .nan
        for _ in 0..<calls {
            loss = parameters.withUnsafeBufferPointer { p in
                x.withUnsafeBufferPointer { xp in
                    labels.withUnsafeBufferPointer { lp in
                        gradient.withUnsafeMutableBufferPointer { g in
                            model.lossAndGradient(parameters: p, x: xp.baseAddress!, labels: lp.baseAddress!, batch: batch,
                                                  gradient: g, workspace: workspace)
                        }
                    }
                }
            }
        }
        return (loss, gradient)
    }

    /// Central finite differences of the Double reference loss.
    func finiteDifferenceGradient(step h: Double = 1e-5) -> [Double] {
        let base = parameters.map(Double.init), xs = x.map(Double.init), ys = labels.map(Int.init)
        return base.indices.map { i in
            var plus = base, minus = base
            plus[i] += h
            minus[i] -= h
            return (reference.loss(plus, x: xs, labels: ys, batch: batch) - reference.loss(minus, x: xs, labels: ys, batch: batch)) / (2 * h)
        }
    }

    var referenceLoss: Double {
        reference.loss(parameters.map(Double.init), x: x.map(Double.init), labels: labels.map(Int.init), batch: batch)
    }
}

@Suite struct MLPGradientTests {
    @Test func layout_matchesDocumentedNamesShapesAndOrder() {
        let model = MLP(inputDimension: 4, hidden: [5, 3], classCount: 2)
        #expect(model.layout.entries.map(\.name) == ["layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"])
        #expect(model.layout.entries.map(\.shape) == [[4, 5], [5], [5, 3], [3], [3, 2], [2]])
        #expect(model.layout.totalCount == ReferenceMLP(widths: [4, 5, 3, 2]).parameterCount)
    }

    @Test(arguments: [[], [5], [4, 3]] as [[Int]], [1, 3, 7])
    func lossAndGradient_matchesFiniteDifferencesOfDoubleReference(hidden: [Int], batch: Int) {
        let problem = GradientProblem(inputs: 4, hidden: hidden, classes: 3, batch: batch)
        let (loss, analytic) = problem.modelLossAndGradient()
        #expect(Numerics.relativeError(Double(loss), problem.referenceLoss) < 1e-5, "loss \(loss) vs \(problem.referenceLoss)")
        let numeric = problem.finiteDifferenceGradient()
        let worst = Numerics.maxRelativeError(analytic.map(Double.init), numeric, floor: 1e-3)
        #expect(worst < 1e-3, "max relative gradient error \(worst)")
    }

    @Test(arguments: [[], [5], [4, 3]] as [[Int]])
    func forward_logits_matchDoubleReference(hidden: [Int]) {
        let problem = GradientProblem(inputs: 4, hidden: hidden, classes: 3, batch: 7)
        let workspace = problem.model.makeWorkspace(batchCapacity: 7)
        let logits = problem.parameters.withUnsafeBufferPointer { p in
            problem.x.withUnsafeBufferPointer { xp in
                let out = problem.model.forward(parameters: p, x: xp.baseAddress!, batch: 7, workspace: workspace)
                return Array(UnsafeBufferPointer(start: out, count: 7 * 3))
            }
        }
        let expected = problem.reference.logits(problem.parameters.map(Double.init), x: problem.x.map(Double.init), batch: 7).logits
        for i in 0..<(7 * 3) { #expect(abs(Double(logits[i]) - expected[i]) < 1e-5 * max(1, abs(expected[i])), "logit \(i)") }
    }

    @Test(arguments: [[], [5]] as [[Int]])
    func lossAndGradient_accumulatesIntoGradientBuffer(hidden: [Int]) {
        let problem = GradientProblem(inputs: 4, hidden: hidden, classes: 3, batch: 3)
        let (_, once) = problem.modelLossAndGradient()
        let (_, twice) = problem.modelLossAndGradient(calls: 2)
        for i in once.indices { #expect(abs(twice[i] - 2 * once[i]) <= 1e-6 * max(1, abs(once[i])), "parameter \(i)") }
        let offset = (0..<once.count).map { Float($0) * 0.25 - 1 }
        let (_, shifted) = problem.modelLossAndGradient(initial: offset)
        for i in once.indices { #expect(abs(shifted[i] - (offset[i] + once[i])) <= 1e-6, "parameter \(i)") }
    }
}

@Suite struct SoftmaxCrossEntropyTests {
    /// Mean loss and (softmax − onehot)/B in Double.
    static func reference(_ logits: [Double], labels: [Int], classes c: Int) -> (Double, [Double]) {
        let b = labels.count
        var loss = 0.0, grad = [Double](repeating: 0, count: b * c)
        for row in 0..<b {
            let z = Array(logits[(row * c)..<((row + 1) * c)])
            let top = z.max()!
            let exps = z.map { exp($0 - top) }
            let sum = exps.reduce(0, +)
            loss += log(sum) + top - z[labels[row]]
            for j in 0..<c { grad[row * c + j] = (exps[j] / sum - (j == labels[row] ? 1 : 0)) / Double(b) }
        }
        return (loss / Double(b), grad)
    }

    static func run(_ logits: [Float], labels: [Int32], classes c: Int) -> (Float, [Float]) {
        var dLogits = [Float](repeating: .nan, count: logits.count)
        let loss = logits.withUnsafeBufferPointer { z in
            labels.withUnsafeBufferPointer { y in
                dLogits.withUnsafeMutableBufferPointer { dz in
                    SoftmaxCrossEntropy.forwardBackward(logits: z.baseAddress!, labels: y.baseAddress!, batch: labels.count,
                                                        classCount: c, dLogits: dz.baseAddress!)
                }
            }
        }
        return (loss, dLogits)
    }

    @Test(arguments: [(1, 2), (4, 5), (9, 10)])
    func forwardBackward_randomLogits_matchesDoubleReference(batch: Int, classes: Int) {
        var rng = RNGStream(seed: UInt64(batch * 100 + classes), purpose: .custom)
        let logits = Numerics.gaussianFloats(count: batch * classes, scale: 3, rng: &rng)
        let labels = (0..<batch).map { _ in Int32(rng.nextInt(below: classes)) }
        let (loss, grad) = Self.run(logits, labels: labels, classes: classes)
        let (expectedLoss, expectedGrad) = Self.reference(logits.map(Double.init), labels: labels.map(Int.init), classes: classes)
        #expect(Numerics.relativeError(Double(loss), expectedLoss) < 1e-5)
        for i in grad.indices { #expect(abs(Double(grad[i]) - expectedGrad[i]) < 1e-6, "dLogits[\(i)]") }
        for row in 0..<batch {
            // Each row of softmax − onehot sums to zero.
            let rowSum = (0..<classes).map { Double(grad[row * classes + $0]) }.reduce(0, +)
            #expect(abs(rowSum) < 1e-6, "row \(row)")
        }
    }

    @Test func forwardBackward_largeLogits_staysFiniteAndMatchesReference() {
        let logits: [Float] = [1000, 0, -1000, 1000, 1000, 999, -1000, -1000, 1000]
        let labels: [Int32] = [1, 2, 2]
        let (loss, grad) = Self.run(logits, labels: labels, classes: 3)
        let (expectedLoss, expectedGrad) = Self.reference(logits.map(Double.init), labels: [1, 2, 2], classes: 3)
        #expect(loss.isFinite && grad.allSatisfy(\.isFinite))
        // Row 0 costs 1000, row 1 costs log(1 + 1 + e⁻¹) + 1 ≈ 1.862, row 2 costs ≈ 0.
        #expect(abs(expectedLoss - (1000 + log(2 + exp(-1.0)) + 1) / 3) < 1e-9)
        #expect(Numerics.relativeError(Double(loss), expectedLoss) < 1e-5)
        for i in grad.indices { #expect(abs(Double(grad[i]) - expectedGrad[i]) < 1e-6, "dLogits[\(i)]") }
    }

    @Test func lossAndArgmax_returnsRowLossAndFirstLargestIndex() {
        let logits: [Float] = [1, 3, 3, -2]
        let (loss, argmax) = logits.withUnsafeBufferPointer { SoftmaxCrossEntropy.lossAndArgmax($0.baseAddress!, classCount: 4, label: 0) }
        #expect(argmax == 1)
        let (expected, _) = Self.reference(logits.map(Double.init), labels: [0], classes: 4)
        #expect(Numerics.relativeError(Double(loss), expected) < 1e-6)
        let huge: [Float] = [-1000, 1000]
        let (hugeLoss, hugeArgmax) = huge.withUnsafeBufferPointer { SoftmaxCrossEntropy.lossAndArgmax($0.baseAddress!, classCount: 2, label: 0) }
        #expect(hugeArgmax == 1)
        #expect(hugeLoss == 2000)
    }
}
