import FedCore

/// Second-order gradient boosting on bucketed features (spec §2.1), in plain floating point: the
/// function the secure vertical protocol computes, and the baseline it is compared with.
///
/// Trees are complete, of fixed depth, grown level by level (SecretFlow's shape). Nodes are numbered
/// in heap order (root 0; node v's children 2v + 1 on the left, 2v + 2 on the right). A node's
/// candidates are every (feature j, bucket b), left = {i : bin_ij ≤ b}, in feature-then-bucket
/// order; b = buckets − 1 sends every sample left, its gain is exactly 0 and it plays "no split".
/// The first candidate of largest gain wins.
public enum BinnedBoosting {
    public enum Loss: String, Sendable, CaseIterable { case squared, logistic }

    public struct Settings: Sendable, Equatable {
        public var trees = 5
        public var depth = 4
        /// η, the shrinkage of the leaf weights.
        public var learningRate = 0.3
        /// λ, the L2 term of the leaf weights and gains.
        public var lambda = 1.0
        public var baseScore = 0.0
        public var loss = Loss.squared
        public init() {}
    }

    /// One split: the feature and the largest bucket sent left.
    public struct Split: Sendable, Equatable {
        public let feature: Int
        public let bucket: Int
        public let gain: Double
    }

    /// A complete tree: 2^depth − 1 splits and 2^depth leaf weights, both in heap order.
    public struct Tree: Sendable, Equatable {
        public let splits: [Split]
        public let leaves: [Double]

        /// The leaf (0-based among the leaves) that the row with `bins` (one per feature) reaches.
        public func leaf(_ bins: ArraySlice<UInt8>) -> Int {
            var node = 0
            while node < splits.count {
                let split = splits[node]
                node = Int(bins[bins.startIndex + split.feature]) <= split.bucket ? 2 * node + 1 : 2 * node + 2
            }
            return node - splits.count
        }
    }

    public struct Model: Sendable, Equatable {
        public let trees: [Tree]
        public let baseScore: Double
        public let loss: Loss

        /// The margin of each row of `bins` [rows, dimension]: base + the leaf weights it reaches.
        public func margins(_ bins: [UInt8], dimension: Int) -> [Double] {
            let rows = bins.count / dimension
            return (0..<rows).map { i in
                let row = bins[(i * dimension)..<((i + 1) * dimension)]
                return trees.reduce(baseScore) { $0 + $1.leaves[$1.leaf(row)] }
            }
        }

        /// Predictions: the margin (squared loss) or σ(margin) (logistic).
        public func predictions(_ bins: [UInt8], dimension: Int) -> [Double] {
            margins(bins, dimension: dimension).map { loss == .logistic ? 1 / (1 + libmExp(-$0)) : $0 }
        }
    }

    /// Gradient and Hessian of the loss at margin m for label y.
    static func derivatives(_ loss: Loss, margin m: Double, label y: Double) -> (g: Double, h: Double) {
        switch loss {
        case .squared: return (m - y, 1)
        case .logistic:
            let p = 1 / (1 + libmExp(-m))
            return (p - y, p * (1 - p))
        }
    }

    /// Trains on `bins` [rows, dimension] (bucket indices below `buckets`) and `labels`.
    public static func train(bins: [UInt8], dimension: Int, buckets: Int, labels: [Float], settings: Settings) -> Model {
        let rows = labels.count
        precondition(bins.count == rows * dimension && buckets >= 2 && settings.depth >= 1 && settings.lambda > 0,
                     "boosting needs one bin per feature and row, two buckets, depth ≥ 1 and λ > 0")
        var margins = [Double](repeating: settings.baseScore, count: rows)
        var trees = [Tree]()
        for _ in 0..<settings.trees {
            let gh = (0..<rows).map { derivatives(settings.loss, margin: margins[$0], label: Double(labels[$0])) }
            let tree = growTree(bins: bins, dimension: dimension, buckets: buckets, gh: gh, settings: settings)
            for i in 0..<rows { margins[i] += tree.leaves[tree.leaf(bins[(i * dimension)..<((i + 1) * dimension)])] }
            trees.append(tree)
        }
        return Model(trees: trees, baseScore: settings.baseScore, loss: settings.loss)
    }

    static func growTree(bins: [UInt8], dimension: Int, buckets: Int, gh: [(g: Double, h: Double)], settings: Settings) -> Tree {
        let rows = gh.count, lambda = settings.lambda
        var node = [Int](repeating: 0, count: rows)  // each row's node at the current level
        var splits = [Split]()
        for level in 0..<settings.depth {
            let first = (1 << level) - 1, width = 1 << level
            // Per node, per feature, per bucket: the sums of g and h (one pass over the rows).
            var histogram = [Double](repeating: 0, count: width * dimension * buckets * 2)
            for i in 0..<rows {
                let base = (node[i] - first) * dimension * buckets
                for j in 0..<dimension {
                    let slot = (base + j * buckets + Int(bins[i * dimension + j])) * 2
                    histogram[slot] += gh[i].g
                    histogram[slot + 1] += gh[i].h
                }
            }
            for v in 0..<width {
                var best = Split(feature: 0, bucket: buckets - 1, gain: -.infinity)
                for j in 0..<dimension {
                    let base = (v * dimension + j) * buckets * 2
                    var (total, totalH) = (0.0, 0.0)
                    for b in 0..<buckets { total += histogram[base + 2 * b]; totalH += histogram[base + 2 * b + 1] }
                    var (left, leftH) = (0.0, 0.0)
                    for b in 0..<buckets {
                        left += histogram[base + 2 * b]
                        leftH += histogram[base + 2 * b + 1]
                        let (right, rightH) = (total - left, totalH - leftH)
                        let gain = left * left / (leftH + lambda) + right * right / (rightH + lambda) - total * total / (totalH + lambda)
                        if gain > best.gain { best = Split(feature: j, bucket: b, gain: gain) }
                    }
                }
                splits.append(best)
            }
            for i in 0..<rows {
                let split = splits[node[i]]
                node[i] = Int(bins[i * dimension + split.feature]) <= split.bucket ? 2 * node[i] + 1 : 2 * node[i] + 2
            }
        }
        // Leaf weights w = −η G / (H + λ).
        let leafCount = 1 << settings.depth
        var sums = [(g: Double, h: Double)](repeating: (0, 0), count: leafCount)
        for i in 0..<rows {
            let leaf = node[i] - splits.count
            sums[leaf].g += gh[i].g
            sums[leaf].h += gh[i].h
        }
        return Tree(splits: splits, leaves: sums.map { -settings.learningRate * $0.g / ($0.h + lambda) })
    }
}
