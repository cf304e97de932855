import FedCore

/// The fixed-point emulator of secure vertical boosting (spec §2.6, reference R1): plaintext `Int64`
/// with the protocol's operation order, exact floor truncations, division, three-piece sigmoid and
/// tie rule, and the range-budget checks. The secure protocol must reproduce its owners, splits,
/// leaf weights and margins bit for bit.
///
/// Candidates are numbered globally: party 0's features first (feature j, bucket b → j·k + b), then
/// party 1's (K0 + j·k + b); bucket k − 1 is "all left". The largest score wins, the lowest index
/// among equal scores.
public enum FixedPointBoosting {
    public struct Tree: Sendable, Equatable {
        /// The winning global candidate of each internal node, heap order.
        public let candidates: [Int]
        /// Raw fixed-point leaf weights.
        public let leaves: [Int64]
    }

    public struct Model: Sendable, Equatable {
        public let trees: [Tree]
        public let baseScore: Int64
        public let loss: BinnedBoosting.Loss
        public let buckets: Int
        public let features: (Int, Int)

        public static func == (a: Model, b: Model) -> Bool {
            a.trees == b.trees && a.baseScore == b.baseScore && a.loss == b.loss && a.buckets == b.buckets && a.features == b.features
        }

        /// The party (0 or 1) owning global candidate c, and its (feature, bucket) there.
        public func locate(_ c: Int) -> (party: Int, feature: Int, bucket: Int) {
            let k0 = features.0 * buckets
            return c < k0 ? (0, c / buckets, c % buckets) : (1, (c - k0) / buckets, (c - k0) % buckets)
        }

        /// Raw margins (squared loss) or seg3 probabilities (logistic) of rows given as each party's bins.
        public func predict(bins0: [UInt8], bins1: [UInt8], rows: Int) -> [Int64] {
            (0..<rows).map { i in
                var margin = baseScore
                for tree in trees {
                    var node = 0
                    while node < tree.candidates.count {
                        let (party, feature, bucket) = locate(tree.candidates[node])
                        let bin = party == 0 ? bins0[i * features.0 + feature] : bins1[i * features.1 + feature]
                        node = Int(bin) <= bucket ? 2 * node + 1 : 2 * node + 2
                    }
                    margin &+= tree.leaves[node - tree.candidates.count]
                }
                return loss == .logistic ? FixedPoint.sigmoidSeg3(margin) : margin
            }
        }
    }

    /// Trains on both parties' bins ([rows, d0] and [rows, d1]) and the labels; returns the model and
    /// the final raw training margins.
    public static func train(bins0: [UInt8], features0: Int, bins1: [UInt8], features1: Int, buckets: Int, labels: [Double],
                             settings: BinnedBoosting.Settings) throws -> (model: Model, margins: [Int64]) {
        let rows = labels.count
        precondition(bins0.count == rows * features0 && bins1.count == rows * features1, "bins for \(rows) rows")
        let k0 = features0 * buckets, candidateCount = (features0 + features1) * buckets
        let bounds = FixedPoint.DivisionBounds(lambda: settings.lambda, rows: rows, maxHessian: settings.loss == .squared ? 1 : 0.25)
        let lambda = FixedPoint.encode(settings.lambda), shrink = FixedPoint.encode(-settings.learningRate)
        let y = labels.map(FixedPoint.encode)
        var margins = [Int64](repeating: FixedPoint.encode(settings.baseScore), count: rows)
        var trees = [Tree]()
        func bin(_ i: Int, _ c: Int) -> Int {
            c < k0 ? Int(bins0[i * features0 + c / buckets]) : Int(bins1[i * features1 + (c - k0) / buckets])
        }
        for _ in 0..<settings.trees {
            var g = [Int64](repeating: 0, count: rows), h = [Int64](repeating: FixedPoint.one, count: rows)
            for i in 0..<rows {
                switch settings.loss {
                case .squared: g[i] = try FixedPoint.checked(margins[i] - y[i], "gradient")
                case .logistic:
                    let p = FixedPoint.sigmoidSeg3(margins[i])
                    g[i] = p - y[i]
                    h[i] = try FixedPoint.multiply(p, FixedPoint.one - p, "hessian")
                }
            }
            var node = [Int](repeating: 0, count: rows)
            var candidates = [Int]()
            for level in 0..<settings.depth {
                let first = (1 << level) - 1, width = 1 << level
                // Per node and candidate: left sums of g and h (exact integers, in any order).
                var leftG = [Int64](repeating: 0, count: width * candidateCount), leftH = leftG
                var totalG = [Int64](repeating: 0, count: width), totalH = totalG
                for i in 0..<rows {
                    let v = node[i] - first
                    totalG[v] += g[i]; totalH[v] += h[i]
                    for c in 0..<candidateCount where bin(i, c) <= c % buckets {
                        leftG[v * candidateCount + c] += g[i]
                        leftH[v * candidateCount + c] += h[i]
                    }
                }
                for v in 0..<width {
                    var best = Int64.min, winner = 0
                    for c in 0..<candidateCount {
                        let gl = try FixedPoint.checked(leftG[v * candidateCount + c], "left gradient sum")
                        let hl = try FixedPoint.checked(leftH[v * candidateCount + c], "left hessian sum")
                        let gr = totalG[v] - gl, hr = totalH[v] - hl
                        let ql = try FixedPoint.checked(try FixedPoint.divide(gl, by: hl + lambda, bounds: bounds), "gain ratio")
                        let qr = try FixedPoint.checked(try FixedPoint.divide(gr, by: hr + lambda, bounds: bounds), "gain ratio")
                        let score = try FixedPoint.checked(try FixedPoint.multiply(ql, gl, "gain") + FixedPoint.multiply(qr, gr, "gain"), "gain")
                        if score > best { best = score; winner = c }
                    }
                    candidates.append(winner)
                }
                for i in 0..<rows {
                    let c = candidates[node[i]]
                    node[i] = bin(i, c) <= c % buckets ? 2 * node[i] + 1 : 2 * node[i] + 2
                }
            }
            let leafCount = 1 << settings.depth
            var sumG = [Int64](repeating: 0, count: leafCount), sumH = sumG
            for i in 0..<rows {
                sumG[node[i] - candidates.count] += g[i]
                sumH[node[i] - candidates.count] += h[i]
            }
            let leaves = try (0..<leafCount).map { leaf in
                try FixedPoint.multiply(try FixedPoint.divide(sumG[leaf], by: sumH[leaf] + lambda, bounds: bounds), shrink, "leaf weight")
            }
            for i in 0..<rows { margins[i] = try FixedPoint.checked(margins[i] + leaves[node[i] - candidates.count], "margin") }
            trees.append(Tree(candidates: candidates, leaves: leaves))
        }
        let model = Model(trees: trees, baseScore: FixedPoint.encode(settings.baseScore), loss: settings.loss, buckets: buckets,
                          features: (features0, features1))
        return (model, margins)
    }
}
