import FedCore
import FedTestSupport
import Foundation
import Testing

/// Graphs covering regular, irregular, disconnected and isolated-node cases.
private func sampleGraphs() throws -> [(String, PeerGraph)] {
    [
        ("ring 5", try PeerGraph.ring(5)), ("torus 3×4", try PeerGraph.torus(rows: 3, columns: 4)),
        ("complete 6", try PeerGraph.complete(6)),
        ("G(15, 0.3)", try PeerGraph.erdosRenyi(15, probability: 0.3, seed: 11)),
        ("star", try PeerGraph.edges(5, [(0, 1), (0, 2), (0, 3), (0, 4)])),
        ("two parts + isolated", try PeerGraph.edges(7, [(0, 1), (1, 2), (3, 4), (4, 5), (5, 3), (2, 0)])),
    ]
}

@Suite struct MixingMatrixTests {
    // MARK: - Structure

    @Test func metropolisHastings_isSymmetricDoublyStochastic_andFollowsTheGraph() throws {
        for (name, graph) in try sampleGraphs() {
            let w = MixingMatrix.metropolisHastings(graph)
            let n = graph.nodeCount
            #expect(w.nodeCount == n && w.weights.count == n * n, "\(name)")
            for i in 0..<n {
                var rowSum = 0.0
                for j in 0..<n {
                    rowSum += w.weight(i, j)
                    #expect(w.weight(i, j) == w.weight(j, i), "\(name): asymmetric at (\(i), \(j))")
                    if i == j || graph.neighbours[i].contains(j) {
                        #expect(w.weight(i, j) > 0, "\(name): w[\(i), \(j)] = \(w.weight(i, j))")
                    } else {
                        #expect(w.weight(i, j) == 0, "\(name): weight off the graph at (\(i), \(j))")
                    }
                }
                #expect(abs(rowSum - 1) < 1e-14, "\(name): row \(i) sums to \(rowSum)")
            }
        }
    }

    @Test(arguments: [
        ("ring", 1.0 / 3), ("torus", 1.0 / 5), ("complete", 1.0 / 8),
    ])
    func regularGraphs_getTheUniformSpecWeights_exactly(topology: String, expected: Double) throws {
        let graph = switch topology {
        case "ring": try PeerGraph.ring(8)
        case "torus": try PeerGraph.torus(rows: 3, columns: 5)
        default: try PeerGraph.complete(8)
        }
        let w = MixingMatrix.metropolisHastings(graph)
        for i in 0..<graph.nodeCount {
            #expect(w.weight(i, i) == expected, "\(topology): w[\(i), \(i)] = \(w.weight(i, i))")
            for j in graph.neighbours[i] { #expect(w.weight(i, j) == expected, "\(topology): w[\(i), \(j)]") }
        }
    }

    @Test func pathOfThree_matchesHandDerivedWeights() throws {
        // Degrees 1, 2, 1: edges get 1/(1 + 2) = 1/3; the ends keep 2/3, the middle 1/3.
        let w = MixingMatrix.metropolisHastings(try PeerGraph.edges(3, [(0, 1), (1, 2)]))
        let third = 1.0 / 3, twoThirds = 2.0 / 3
        let expected: [Double] = [twoThirds, third, 0, third, third, third, 0, third, twoThirds]
        #expect(Numerics.maxRelativeError(w.weights, expected) < 1e-15)
    }

    // MARK: - ρ against closed forms

    @Test(arguments: [3, 4, 5, 8, 16, 31])
    func ring_rhoAndSpectrum_matchTheCirculantFormula(n: Int) throws {
        // W is circulant with first row (1/3, 1/3, 0, …, 0, 1/3): λ_k = (1 + 2 cos(2πk/n)) / 3.
        let w = MixingMatrix.metropolisHastings(try PeerGraph.ring(n))
        let lambdas = (0..<n).map { (1 + 2 * cos(2 * Double.pi * Double($0) / Double(n))) / 3 }
        let expectedRho = lambdas.dropFirst().map(abs).max() ?? 0
        #expect(abs(w.rho - expectedRho) < 1e-12, "n \(n): rho \(w.rho) vs \(expectedRho)")
        #expect(abs(w.spectralGap - (1 - expectedRho)) < 1e-12)
        let spectrum = w.eigenvalues
        for (got, want) in zip(spectrum, lambdas.sorted(by: >)) { #expect(abs(got - want) < 1e-12, "n \(n)") }
    }

    @Test(arguments: [(3, 3), (3, 4), (4, 6)])
    func torus_rho_matchesTheProductFormula(rows: Int, columns: Int) throws {
        // W = (I + 2 cos-shifts in each direction) / 5: λ_ab = (1 + 2cos(2πa/rows) + 2cos(2πb/columns)) / 5.
        let w = MixingMatrix.metropolisHastings(try PeerGraph.torus(rows: rows, columns: columns))
        var expected = 0.0
        for a in 0..<rows {
            for b in 0..<columns where a != 0 || b != 0 {
                let lambda = (1 + 2 * cos(2 * Double.pi * Double(a) / Double(rows))
                    + 2 * cos(2 * Double.pi * Double(b) / Double(columns))) / 5
                expected = max(expected, abs(lambda))
            }
        }
        #expect(abs(w.rho - expected) < 1e-12, "\(rows)×\(columns): \(w.rho) vs \(expected)")
    }

    @Test(arguments: [2, 5, 12])
    func complete_hasRhoZero(n: Int) throws {
        let w = MixingMatrix.metropolisHastings(try PeerGraph.complete(n))
        #expect(w.rho < 1e-12 && abs(w.spectralGap - 1) < 1e-12, "n \(n): rho \(w.rho)")
    }

    @Test func irregularGraphs_matchHandDerivedRho() throws {
        // Path 0-1-2: W has eigenvalues 1, 2/3 (vector (1, 0, −1)) and, by the trace 5/3, 0.
        let path = MixingMatrix.metropolisHastings(try PeerGraph.edges(3, [(0, 1), (1, 2)]))
        #expect(abs(path.rho - 2.0 / 3) < 1e-12, "path: \(path.rho)")
        // Star with 3 leaves: w = 1/4 on edges and centre, 3/4 on leaves; eigenvalues 1, 3/4, 3/4, 0.
        let star = MixingMatrix.metropolisHastings(try PeerGraph.edges(4, [(0, 1), (0, 2), (0, 3)]))
        #expect(abs(star.rho - 0.75) < 1e-12, "star: \(star.rho)")
    }

    @Test func disconnectedGraph_hasRhoOne() throws {
        let twoRings = try PeerGraph.edges(6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)])
        let w = MixingMatrix.metropolisHastings(twoRings)
        #expect(abs(w.rho - 1) < 1e-9 && abs(w.spectralGap) < 1e-9, "rho \(w.rho)")
        let isolated = MixingMatrix.metropolisHastings(try PeerGraph.edges(3, [(0, 1)]))
        #expect(abs(isolated.rho - 1) < 1e-9, "rho \(isolated.rho)")
    }

    @Test func rhoBelowOne_iffConnected_onRandomGraphs() throws {
        var connectedCount = 0
        for seed in UInt64(1)...40 {
            let graph = try PeerGraph.erdosRenyi(10, probability: 0.25, seed: seed)
            let rho = MixingMatrix.metropolisHastings(graph).rho
            #expect(graph.isConnected == (rho < 1 - 1e-9), "seed \(seed): rho \(rho), connected \(graph.isConnected)")
            #expect(rho >= 0 && rho <= 1 + 1e-12, "seed \(seed): rho \(rho)")
            if graph.isConnected { connectedCount += 1 }
        }
        #expect(connectedCount > 0 && connectedCount < 40, "both cases must occur: \(connectedCount) connected")
    }
}

@Suite struct SymmetricEigenTests {
    /// Q diag(λ) Qᵀ with Q a product of random plane rotations, so the spectrum is λ by construction.
    private static func conjugated(_ lambdas: [Double], rng: inout RNGStream) -> [Double] {
        let n = lambdas.count
        var q = [Double](repeating: 0, count: n * n)
        for i in 0..<n { q[i * n + i] = 1 }
        for _ in 0..<(3 * n * n) {  // Q ← Q G(p, r, θ)
            let p = rng.nextInt(below: n), r = rng.nextInt(below: n)
            if p == r { continue }
            let theta = 2 * Double.pi * rng.nextUnitDouble(), c = cos(theta), s = sin(theta)
            for k in 0..<n {
                let qp = q[k * n + p], qr = q[k * n + r]
                q[k * n + p] = c * qp - s * qr
                q[k * n + r] = s * qp + c * qr
            }
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += q[i * n + k] * lambdas[k] * q[j * n + k] }
                a[i * n + j] = sum
            }
        }
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }  // exact symmetry despite rounding
        return a
    }

    @Test(arguments: [1, 2, 6, 20, 40])
    func eigenvalues_ofRotatedDiagonal_recoverTheDiagonal(n: Int) {
        for seed in UInt64(1)...5 {
            var rng = RNGStream(seed: seed, purpose: .custom, client: UInt64(n))
            var lambdas = (0..<n).map { _ in rng.nextGaussian() * 3 }
            if n >= 4 { lambdas[1] = lambdas[0]; lambdas[3] = -lambdas[2] }  // repeated and ± pairs
            let a = Self.conjugated(lambdas, rng: &rng)
            let got = SymmetricEigen.eigenvalues(a, n: n)
            let scale = lambdas.map(abs).max() ?? 1
            for (x, y) in zip(got, lambdas.sorted(by: >)) {
                #expect(abs(x - y) < 1e-10 * scale, "n \(n) seed \(seed): \(x) vs \(y)")
            }
        }
    }

    @Test func eigenvalues_ofRandomSymmetric_keepTraceAndFrobeniusNorm() {
        for seed in UInt64(1)...30 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            let n = 1 + rng.nextInt(below: 30)
            var a = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for j in i..<n {
                    let value = rng.nextGaussian()
                    a[i * n + j] = value
                    a[j * n + i] = value
                }
            }
            let lambdas = SymmetricEigen.eigenvalues(a, n: n)
            let trace = (0..<n).reduce(0.0) { $0 + a[$1 * n + $1] }
            let frobenius = a.reduce(0.0) { $0 + $1 * $1 }
            #expect(abs(lambdas.reduce(0, +) - trace) < 1e-10 * Double(n), "seed \(seed) n \(n)")
            #expect(Numerics.relativeError(lambdas.reduce(0) { $0 + $1 * $1 }, frobenius) < 1e-12, "seed \(seed)")
            #expect(zip(lambdas, lambdas.dropFirst()).allSatisfy { $0 >= $1 }, "seed \(seed): not descending")
        }
    }

    @Test func eigenvalues_ofSmallMatrices_matchClosedForms() {
        // [[a, b], [b, c]]: (a + c)/2 ± √(((a − c)/2)² + b²).
        let (a, b, c) = (2.0, -1.5, 0.5)
        let half = (a + c) / 2, radius = (((a - c) / 2) * ((a - c) / 2) + b * b).squareRoot()
        let two = SymmetricEigen.eigenvalues([a, b, b, c], n: 2)
        #expect(abs(two[0] - (half + radius)) < 1e-14 && abs(two[1] - (half - radius)) < 1e-14, "\(two)")
        #expect(SymmetricEigen.eigenvalues([3, 0, 0, 0, -1, 0, 0, 0, 7], n: 3) == [7, 3, -1])
        // 11ᵀ on 5 nodes: eigenvalue 5 once, 0 four times.
        let ones = SymmetricEigen.eigenvalues([Double](repeating: 1, count: 25), n: 5)
        #expect(abs(ones[0] - 5) < 1e-12 && ones.dropFirst().allSatisfy { abs($0) < 1e-12 }, "\(ones)")
        #expect(SymmetricEigen.eigenvalues([], n: 0).isEmpty)
        #expect(SymmetricEigen.eigenvalues([0, 0, 0, 0], n: 2) == [0, 0])
    }
}
