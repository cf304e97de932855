import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

// MARK: - Independent Double references

/// Cross-entropy of one row under a linear classifier W [C, d] (row-major), b [C], in Double.
private func linearCrossEntropy(_ y: ArraySlice<Double>, row: ArraySlice<Float>, label: Int, classes c: Int) -> Double {
    let d = row.count, w = y.startIndex, b = y.startIndex + c * d
    let z = (0..<c).map { k in
        var sum = y[b + k]
        for i in 0..<d { sum += y[w + k * d + i] * Double(row[row.startIndex + i]) }
        return sum
    }
    let top = z.max()!
    return log(z.reduce(0) { $0 + exp($1 - top) }) + top - z[label]
}

/// Hyper-cleaning's g (weighted) or f (unweighted) over `rows`, written from its documented formula.
private func hyperCleaningLoss(_ level: BilevelLevel, _ parameters: [Double], rows: [Int], data: Dataset,
                               regularization: Double) -> Double {
    let n = data.count, c = data.classCount, d = data.dimension
    let y = parameters[n...]
    var total = 0.0
    for j in rows {
        let ce = linearCrossEntropy(y, row: data.features[(j * d)..<((j + 1) * d)], label: Int(data.labels[j]), classes: c)
        total += level == .lower ? ce / (1 + exp(-parameters[j])) : ce
    }
    total /= Double(rows.count)
    if level == .lower { total += regularization * y.reduce(0) { $0 + $1 * $1 } }
    return total
}

/// Quadratic bilevel g or f over `rows`, from the row layout A (q×q), B (q×p), c (q).
private func quadraticLoss(_ level: BilevelLevel, _ parameters: [Double], rows: [Int], data: Dataset,
                           p: Int, q: Int, lambda: Double) -> Double {
    let x = Array(parameters[0..<p]), y = Array(parameters[p...])
    var total = 0.0
    for r in rows {
        let v = data.features[(r * data.dimension)..<((r + 1) * data.dimension)].map(Double.init)
        for i in 0..<q {
            switch level {
            case .lower:
                for j in 0..<q { total += 0.5 * y[i] * v[i * q + j] * y[j] }
                for j in 0..<p { total -= y[i] * v[q * q + i * p + j] * x[j] }
            case .upper:
                let diff = y[i] - v[q * q + q * p + i]
                total += 0.5 * diff * diff
            }
        }
        if level == .upper { total += 0.5 * lambda * x.reduce(0) { $0 + $1 * $1 } }
    }
    return total / Double(rows.count)
}

/// Central differences of `loss` in Double.
private func numericGradient(_ loss: ([Double]) -> Double, at point: [Double], step h: Double = 1e-5) -> [Double] {
    point.indices.map { i in
        var plus = point, minus = point
        plus[i] += h
        minus[i] -= h
        return (loss(plus) - loss(minus)) / (2 * h)
    }
}

/// Finite differences of the (numeric) gradient along v in the last `q` coordinates:
/// d/ds ∇ loss(point + s·(0, v)) at s = 0, by mixed central differences in Double.
private func numericGradientDerivative(_ loss: ([Double]) -> Double, at point: [Double], direction v: [Double],
                                       step h: Double = 1e-4) -> [Double] {
    let offset = point.count - v.count
    func shifted(_ s: Double) -> [Double] {
        var moved = point
        for k in v.indices { moved[offset + k] += s * v[k] }
        return moved
    }
    let up = numericGradient(loss, at: shifted(h), step: h), down = numericGradient(loss, at: shifted(-h), step: h)
    return point.indices.map { (up[$0] - down[$0]) / (2 * h) }
}

/// max |a − b| / max(floor, |b|).
private func worstError(_ a: [Float], _ b: [Double], floor: Double = 1e-3) -> Double {
    precondition(a.count == b.count, "lengths \(a.count) vs \(b.count)")
    var worst = 0.0
    for i in a.indices { worst = max(worst, abs(Double(a[i]) - b[i]) / max(floor, abs(b[i]))) }
    return worst
}

// MARK: - Fixtures

/// A small labelled data set with `rows` rows, d = 3, C = 3, and tags cycling 0, 1, 2.
private func smallData(rows: Int, seed: UInt64) -> Dataset {
    var data = Fixtures.blobs(count: rows, dimension: 3, classes: 3, seed: seed)
    data.domains = (0..<rows).map { UInt8($0 % 3) }
    return data
}

/// The rows of `smallData` each level uses: tag 1 for the upper level, tags 0 and 2 for the lower.
private func levelRows(_ level: BilevelLevel, count: Int) -> [Int] {
    (0..<count).filter { ($0 % 3 == 1) == (level == .upper) }
}

private let lowerRows = levelRows(.lower, count: 11), upperRows = levelRows(.upper, count: 11)

/// Data sizes checked: a single chunk and several (the oracles work in chunks of 256 rows).
private let dataSizes = [11, 800]

@Suite struct BilevelProblemTests {
    // MARK: HyperRepresentation

    /// Parameters whose hidden pre-activations all stay away from the ReLU kink on the data.
    /// With many rows some pre-activation always lies near the kink, so `margin` shrinks with the
    /// data and the finite-difference step must stay well below it.
    static func representationCase(rows: Int = 11, margin: Double = 1e-2) -> (HyperRepresentation, [Float], Dataset) {
        let model = HyperRepresentation(inputDimension: 3, hidden: 4, classCount: 3, headerPenalty: 0.05)
        let data = smallData(rows: rows, seed: 2)
        let reference = ReferenceMLP(widths: [3, 4, 3])
        for seed: UInt64 in 1...200 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            let parameters = Numerics.gaussianFloats(count: model.layout.totalCount, scale: 0.7, rng: &rng)
            let kink = reference.logits(parameters.map(Double.init), x: data.features.map(Double.init), batch: data.count).closestToKink
            if kink > margin { return (model, parameters, data) }
        }
        fatalError("no seed kept every pre-activation away from the ReLU kink")
    }

    @Test func hyperRepresentation_split_isFirstLayerThenHeader() {
        let model = HyperRepresentation(inputDimension: 5, hidden: 4, classCount: 3)
        #expect(model.upperCount == 5 * 4 + 4 && model.lowerCount == 4 * 3 + 3)
        #expect(model.layout.entries.map(\.name) == ["layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias"])
        #expect(model.layout.entry(named: "layer1.weight")?.offset == model.upperCount)
    }

    @Test(arguments: [BilevelLevel.lower, .upper], dataSizes)
    func hyperRepresentation_gradient_matchesFiniteDifferencesOfDoubleReference(level: BilevelLevel, size: Int) {
        let margin = size > 100 ? 1e-4 : 1e-2
        let (model, parameters, data) = Self.representationCase(rows: size, margin: margin)
        let rows = levelRows(level, count: size)
        let subset = data.subset(rows)
        let reference = ReferenceMLP(widths: [3, 4, 3])
        let headWeights = model.upperCount..<(model.upperCount + 12), headBias = (model.upperCount + 12)..<model.layout.totalCount
        let loss = { (w: [Double]) -> Double in
            var value = reference.loss(w, x: subset.features.map(Double.init), labels: subset.labels.map(Int.init), batch: rows.count)
            if level == .lower {
                let norm = { (r: Range<Int>) in r.reduce(0.0) { $0 + w[$1] * w[$1] }.squareRoot() }
                value += 0.05 * (norm(headWeights) + norm(headBias))
            }
            return value
        }
        var rng = RNGStream(seed: 1, purpose: .custom)
        let (value, gradient) = model.gradient(level, parameters: parameters, rows: rows, data: data, rng: &rng)
        let point = parameters.map(Double.init)
        #expect(Numerics.relativeError(value, loss(point)) < 1e-5, "loss \(value) vs \(loss(point))")
        let worst = worstError(gradient, numericGradient(loss, at: point, step: margin * 1e-2))
        #expect(worst < 1e-3, "worst relative gradient error \(worst)")
    }

    /// With hand-picked header values the penalty is 0.05 (‖(3, 4)‖ + ‖(0, −2, 0)‖) = 0.05 · 7 and its
    /// gradient 0.05 θ/‖θ‖; a squared penalty would give 0.05 · 29 and 0.1 θ.
    @Test func hyperRepresentation_headerPenalty_isEuclideanNormNotSquared() {
        let (model, base, data) = Self.representationCase()
        let unpenalised = HyperRepresentation(inputDimension: 3, hidden: 4, classCount: 3, headerPenalty: 0)
        var parameters = base
        let p = model.upperCount
        for i in p..<model.layout.totalCount { parameters[i] = 0 }
        parameters[p + 1] = 3
        parameters[p + 5] = 4
        parameters[p + 12 + 1] = -2
        var rng = RNGStream(seed: 1, purpose: .custom)
        let with = model.gradient(.lower, parameters: parameters, rows: lowerRows, data: data, rng: &rng)
        let without = unpenalised.gradient(.lower, parameters: parameters, rows: lowerRows, data: data, rng: &rng)
        #expect(abs((with.loss - without.loss) - 0.35) < 1e-6, "penalty \(with.loss - without.loss)")
        var expected = [Double](repeating: 0, count: model.layout.totalCount)
        expected[p + 1] = 0.05 * 0.6
        expected[p + 5] = 0.05 * 0.8
        expected[p + 12 + 1] = -0.05
        for i in expected.indices {
            #expect(abs(Double(with.gradient[i] - without.gradient[i]) - expected[i]) < 1e-6, "parameter \(i)")
        }
    }

    // MARK: HyperCleaning

    static func cleaningCase(rows: Int = 11) -> (HyperCleaning, [Float], Dataset) {
        let data = smallData(rows: rows, seed: 3)
        let model = HyperCleaning(inputDimension: 3, classCount: 3, trainingRowCount: rows, regularization: 0.01)
        var rng = RNGStream(seed: 4, purpose: .custom)
        let parameters = Numerics.gaussianFloats(count: model.layout.totalCount, scale: 0.8, rng: &rng)
        return (model, parameters, data)
    }

    @Test(arguments: [BilevelLevel.lower, .upper], dataSizes)
    func hyperCleaning_gradient_matchesFiniteDifferencesOfDoubleReference(level: BilevelLevel, size: Int) {
        let (model, parameters, data) = Self.cleaningCase(rows: size)
        let rows = levelRows(level, count: size)
        let loss = { hyperCleaningLoss(level, $0, rows: rows, data: data, regularization: 0.01) }
        var rng = RNGStream(seed: 1, purpose: .custom)
        let (value, gradient) = model.gradient(level, parameters: parameters, rows: rows, data: data, rng: &rng)
        let point = parameters.map(Double.init)
        #expect(Numerics.relativeError(value, loss(point)) < 1e-5, "loss \(value) vs \(loss(point))")
        let worst = worstError(gradient, numericGradient(loss, at: point))
        #expect(worst < 1e-3, "worst relative gradient error \(worst)")
        // x_j outside the batch gets exactly nothing.
        for j in 0..<data.count where !rows.contains(j) || level == .upper { #expect(gradient[j] == 0, "x_\(j)") }
    }

    @Test(arguments: dataSizes)
    func hyperCleaning_exactSecondOrder_matchesFiniteDifferencesOfReferenceGradient(size: Int) {
        let (model, parameters, data) = Self.cleaningCase(rows: size)
        let lowerRows = levelRows(.lower, count: size)
        var rng = RNGStream(seed: 5, purpose: .custom)
        let v = Numerics.gaussianFloats(count: model.lowerCount, rng: &rng)
        let (hvp, jvp) = model.lowerSecondOrder(parameters: parameters, rows: lowerRows, data: data, direction: v, rng: &rng)
        let loss = { hyperCleaningLoss(.lower, $0, rows: lowerRows, data: data, regularization: 0.01) }
        let numeric = numericGradientDerivative(loss, at: parameters.map(Double.init), direction: v.map(Double.init))
        let p = model.upperCount
        let hvpError = worstError(hvp, Array(numeric[p...]), floor: 1e-2)
        let jvpError = worstError(jvp, Array(numeric[0..<p]), floor: 1e-2)
        #expect(hvpError < 1e-3, "HVP error \(hvpError)")
        #expect(jvpError < 1e-3, "JVP error \(jvpError)")
        for j in 0..<p where !lowerRows.contains(j) { #expect(jvp[j] == 0, "JVP at x_\(j) outside the batch") }
    }

    @Test func hyperCleaning_exactSecondOrder_matchesProtocolFiniteDifferences() {
        let (model, parameters, data) = Self.cleaningCase()
        var rng = RNGStream(seed: 6, purpose: .custom)
        let v = Numerics.gaussianFloats(count: model.lowerCount, rng: &rng)
        let exact = model.lowerSecondOrder(parameters: parameters, rows: lowerRows, data: data, direction: v, rng: &rng)
        let fd = model.finiteDifferenceSecondOrder(parameters: parameters, rows: lowerRows, data: data, direction: v, rng: &rng)
        // Float gradients differenced over a step of about 1e-3: a few 1e-4 of error is expected.
        let hvpError = worstError(exact.hvp, fd.hvp.map(Double.init), floor: 0.1)
        let jvpError = worstError(exact.jvp, fd.jvp.map(Double.init), floor: 0.1)
        #expect(hvpError < 1e-2, "HVP error \(hvpError)")
        #expect(jvpError < 1e-2, "JVP error \(jvpError)")
    }

    @Test func hyperCleaning_evaluation_reportsMeanWeightsOfCorruptedAndCleanRows() {
        let data = smallData(rows: 5, seed: 1)
        let model = HyperCleaning(inputDimension: 3, classCount: 3, trainingRowCount: 5, trainingTags: [0, 2, 1, 2, 0])
        #expect(model.evaluationMetricNames == ["corrupted_weight", "clean_weight"])
        var parameters = [Float](repeating: 0, count: model.layout.totalCount)
        parameters[0...4] = [0, Float(log(3.0)), 5, -Float(log(3.0)), 2]
        let metrics = model.evaluationMetrics(parameters: parameters, on: data, workspace: nil)
        // σ(ln 3) = 3/4, σ(−ln 3) = 1/4; σ(0) = 1/2, σ(2) = 1/(1 + e^−2).
        #expect(abs(metrics["corrupted_weight"]! - 0.5) < 1e-6)
        #expect(abs(metrics["clean_weight"]! - (0.5 + 1 / (1 + exp(-2.0))) / 2) < 1e-6)
        // y = 0: uniform scores, loss ln 3.
        #expect(abs(metrics["test_loss"]! - log(3.0)) < 1e-6)
        #expect(HyperCleaning(inputDimension: 3, classCount: 3, trainingRowCount: 5).evaluationMetricNames.isEmpty)
    }

    // MARK: QuadraticBilevelModel

    static let quadraticData = QuadraticBilevel.make(clients: 6, upper: 3, lower: 4, heterogeneity: 1, seed: 11)

    static func quadraticPoint() -> [Float] {
        var rng = RNGStream(seed: 12, purpose: .custom)
        return Numerics.gaussianFloats(count: 7, rng: &rng)
    }

    @Test(arguments: [BilevelLevel.lower, .upper])
    func quadratic_gradient_matchesFiniteDifferencesOfDoubleReference(level: BilevelLevel) {
        let model = QuadraticBilevelModel(upper: 3, lower: 4, upperRegularization: 0.1)
        let rows = [0, 2, 3, 5], parameters = Self.quadraticPoint()
        let loss = { quadraticLoss(level, $0, rows: rows, data: Self.quadraticData, p: 3, q: 4, lambda: 0.1) }
        var rng = RNGStream(seed: 1, purpose: .custom)
        let (value, gradient) = model.gradient(level, parameters: parameters, rows: rows, data: Self.quadraticData, rng: &rng)
        #expect(Numerics.relativeError(value, loss(parameters.map(Double.init))) < 1e-6)
        let worst = worstError(gradient, numericGradient(loss, at: parameters.map(Double.init)))
        #expect(worst < 1e-4, "worst relative gradient error \(worst)")
    }

    @Test func quadratic_exactSecondOrder_matchesFiniteDifferencesOfReferenceGradient() {
        let model = QuadraticBilevelModel(upper: 3, lower: 4)
        let rows = [1, 2, 4], parameters = Self.quadraticPoint()
        var rng = RNGStream(seed: 2, purpose: .custom)
        let v = Numerics.gaussianFloats(count: 4, rng: &rng)
        let (hvp, jvp) = model.lowerSecondOrder(parameters: parameters, rows: rows, data: Self.quadraticData, direction: v, rng: &rng)
        let loss = { quadraticLoss(.lower, $0, rows: rows, data: Self.quadraticData, p: 3, q: 4, lambda: 0.1) }
        let numeric = numericGradientDerivative(loss, at: parameters.map(Double.init), direction: v.map(Double.init))
        let hvpError = worstError(hvp, Array(numeric[3...]), floor: 1e-2)
        let jvpError = worstError(jvp, Array(numeric[0..<3]), floor: 1e-2)
        #expect(hvpError < 1e-4, "HVP error \(hvpError)")
        #expect(jvpError < 1e-4, "JVP error \(jvpError)")
    }

    /// ∇Φ from `hypergradient` against central differences of Φ(x) = mean_i ½‖y*(x) − c_i‖² + λ/2‖x‖².
    @Test func quadratic_hypergradient_matchesFiniteDifferencesOfPhi() {
        let (p, q, lambda) = (3, 4, 0.1)
        let averages = QuadraticBilevel.averages(of: Self.quadraticData, upper: p, lower: q)
        let width = Self.quadraticData.dimension
        let phi = { (x: [Double]) -> Double in
            let y = averages.lowerSolution(x: x)
            var total = 0.0
            for i in 0..<Self.quadraticData.count {
                for k in 0..<q {
                    let diff = y[k] - Double(Self.quadraticData.features[i * width + q * q + q * p + k])
                    total += 0.5 * diff * diff
                }
            }
            return total / Double(Self.quadraticData.count) + 0.5 * lambda * x.reduce(0) { $0 + $1 * $1 }
        }
        let x = [0.4, -1.2, 0.7]
        let analytic = averages.hypergradient(x: x, upperRegularization: lambda)
        let numeric = numericGradient(phi, at: x)
        #expect(Numerics.maxRelativeError(analytic, numeric, floor: 1e-3) < 1e-6, "\(analytic) vs \(numeric)")
    }

    // MARK: Row selection

    @Test func rows_taggedData_upperIsValidationTag_lowerIsEveryOtherTag() {
        let data = smallData(rows: 12, seed: 1)  // tags 0, 1, 2, 0, 1, 2, ...
        let model = HyperCleaning(inputDimension: 3, classCount: 3, trainingRowCount: 12)
        let shard = DatasetShard(base: data, indices: [0, 1, 2, 4, 5, 9, 10, 11])
        #expect(model.rows(of: .upper, in: shard) == [1, 4, 10])
        #expect(model.rows(of: .lower, in: shard) == [0, 2, 5, 9, 11])
        var untagged = data
        untagged.domains = []
        let plain = DatasetShard(base: untagged, indices: [3, 7, 8])
        #expect(model.rows(of: .upper, in: plain) == [3, 7, 8] && model.rows(of: .lower, in: plain) == [3, 7, 8])
    }
}
