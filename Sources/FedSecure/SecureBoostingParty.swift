import FedCore
import FedModels

/// Fang et al., "Large-Scale Secure XGB for Vertical Federated Learning" (CIKM 2021), as the
/// two-party protocol of spec §2.4: second-order boosting on bins (§2.1) with every intermediate
/// value secret-shared in Z_2^64, complete trees grown level by level with all nodes of a level in one
/// batch, owner-only reveal of split indices, and a distributed model.
///
/// One party's side, as an explicit state machine: `setup → level(t, 0) … level(t, D−1) →
/// leaves(t) → level(t+1, 0) … → finished`. `advance()` runs the current phase's exchanges and
/// moves on; frames carry (tree, level, step), so a frame from another phase is refused.
///
/// Deviations: buckets per feature are a fixed k (features with fewer distinct values leave empty
/// buckets, whose candidates tie with their neighbours and lose to the lower index); only the
/// owner-only reveal is built (SecretFlow's reveal-to-both mode is not); the sigmoid is `seg3`.
public final class SecureBoostingParty {
    public enum Phase: Equatable, CustomStringConvertible {
        case setup
        case level(tree: Int, level: Int)
        case leaves(tree: Int)
        case finished

        public var description: String {
            switch self {
            case .setup: return "setup"
            case let .level(tree, level): return "tree \(tree) level \(level)"
            case let .leaves(tree): return "tree \(tree) leaves"
            case .finished: return "finished"
            }
        }
    }

    /// What this party brings: its binned feature columns and, for party 0, the labels.
    public struct Input: Sendable {
        public let party: Int
        public let bins: FeatureBins
        /// [rows, features] bucket indices of this party's columns.
        public let binned: [UInt8]
        public let rows: Int
        /// Party 0 only.
        public let labels: [Double]?

        public init(party: Int, bins: FeatureBins, binned: [UInt8], rows: Int, labels: [Double]?) {
            self.party = party
            self.bins = bins
            self.binned = binned
            self.rows = rows
            self.labels = labels
        }

        public var features: Int { bins.dimension }
    }

    /// Public facts both parties agree on before the first frame.
    public struct Shape: Sendable, Equatable {
        public let rows: Int
        public let features: [Int]
        public let buckets: Int
        public init(rows: Int, features: [Int], buckets: Int) {
            self.rows = rows
            self.features = features
            self.buckets = buckets
        }
        public var columns: (Int, Int) { (features[0] * buckets, features[1] * buckets) }
        public var candidates: Int { (features[0] + features[1]) * buckets }
    }

    public private(set) var phase = Phase.setup
    public let engine: SecureEngine
    let input: Input
    let shape: Shape
    let settings: BinnedBoosting.Settings
    let bounds: FixedPoint.DivisionBounds
    var party: Int { input.party }
    var bucketSetup: BucketSumSetup?
    var labelShares = [UInt64]()
    /// This party's share of the training margins ŷ.
    public private(set) var margins = [UInt64]()
    var gradient = [UInt64](), hessian = [UInt64]()
    /// Node indicators of the current level [nodes, rows] (unscaled 0/1 shares).
    var indicators = [UInt64]()
    /// Left sums of g and h per candidate for each node of the previous level [nodes, K].
    var parentLeft = (g: [UInt64](), h: [UInt64]())
    var owners = [Int]()
    var splits = [Int: DistributedTree.OwnSplit]()
    public private(set) var trees = [DistributedTree]()

    public init(engine: SecureEngine, input: Input, shape: Shape, settings: BinnedBoosting.Settings) throws {
        precondition(engine.party == input.party, "engine and input of different parties")
        guard shape.features.count == 2, shape.features[input.party] == input.features, input.rows == shape.rows,
              input.binned.count == input.rows * input.features, (input.party == 0) == (input.labels != nil) else {
            throw PartyProtocolError.refused(reason: "party \(input.party)'s columns do not match the agreed shape \(shape)")
        }
        guard settings.depth >= 1, settings.trees >= 1, settings.lambda > 0, shape.buckets >= 2, shape.buckets <= 256 else {
            throw PartyProtocolError.refused(reason: "secure boosting needs depth ≥ 1, trees ≥ 1, λ > 0 and 2…256 buckets")
        }
        self.engine = engine
        self.input = input
        self.shape = shape
        self.settings = settings
        bounds = FixedPoint.DivisionBounds(lambda: settings.lambda, rows: shape.rows, maxHessian: settings.loss == .squared ? 1 : 0.25)
    }

    /// Runs every phase; `observe` sees each phase as it completes.
    public func run(observe: (Phase) throws -> Void = { _ in }) throws -> PartyModel {
        while phase != .finished {
            let done = phase
            try advance()
            try observe(done)
        }
        return model
    }

    public var model: PartyModel {
        PartyModel(party: party, depth: settings.depth, buckets: shape.buckets, loss: settings.loss,
                   baseScore: party == 0 ? FixedPoint.encode(settings.baseScore) : 0, bins: input.bins, trees: trees)
    }

    /// Runs the current phase and moves to the next.
    public func advance() throws {
        switch phase {
        case .setup:
            try runSetup()
            phase = .level(tree: 0, level: 0)
        case let .level(tree, level):
            try runLevel(tree: tree, level: level)
            phase = level + 1 < settings.depth ? .level(tree: tree, level: level + 1) : .leaves(tree: tree)
        case let .leaves(tree):
            try runLeaves(tree: tree)
            phase = tree + 1 < settings.trees ? .level(tree: tree + 1, level: 0) : .finished
        case .finished:
            preconditionFailure("secure boosting party \(party): advance() after the run finished")
        }
    }

    var rows: Int { shape.rows }

    /// Bucket-map exchange, label input, ŷ = base.
    func runSetup() throws {
        engine.enter(tree: -1, level: -1)
        let map = BucketMap(bins: input.binned, rows: rows, features: input.features, buckets: shape.buckets)
        bucketSetup = try engine.exchangeBucketMaps(map, columns: shape.columns)
        let encoded = input.labels.map { $0.map { UInt64(bitPattern: FixedPoint.encode($0)) } } ?? []
        let shares = try engine.inputBoth(encoded, theirCount: party == 0 ? 0 : rows)
        labelShares = party == 0 ? shares.mine : shares.theirs
        margins = engine.constant(UInt64(bitPattern: FixedPoint.encode(settings.baseScore)), count: rows)
    }

    /// g and h at the current margins (squared: h = 1, public; logistic: seg3 sigmoid).
    func computeDerivatives() throws {
        switch settings.loss {
        case .squared:
            gradient = zip(margins, labelShares).map { $0 &- $1 }
            hessian = []
        case .logistic:
            let p = try engine.sigmoidSeg3(margins)
            gradient = zip(p, labelShares).map { $0 &- $1 }
            let one = UInt64(bitPattern: FixedPoint.one)
            hessian = try engine.multiplyFixed(p, p.map { (party == 0 ? one : 0) &- $0 })
        }
    }

    /// u = s ⊙ g and w = s ⊙ h for every node of the level ([nodes, rows] each).
    func nodeVectors(nodes: Int) throws -> (u: [UInt64], w: [UInt64]) {
        let repeatedG = (0..<nodes).flatMap { _ in gradient }
        if settings.loss == .squared {
            // h = 1 (fixed point): w is the indicator scaled by 2^f, a local step.
            return (try engine.multiply(indicators, repeatedG), indicators.map { $0 << UInt64(FixedPoint.fractionBits) })
        }
        let both = try engine.multiply(indicators + indicators, repeatedG + (0..<nodes).flatMap { _ in hessian })
        let half = nodes * rows
        return (Array(both[0..<half]), Array(both[half...]))
    }

    func nodeSums(_ vectors: [UInt64], nodes: Int) -> [UInt64] {
        (0..<nodes).map { v in vectors[(v * rows)..<((v + 1) * rows)].reduce(0, &+) }
    }

    func runLevel(tree: Int, level: Int) throws {
        engine.enter(tree: tree, level: level)
        if level == 0 {
            try computeDerivatives()
            indicators = engine.constant(1, count: rows)
            owners = []
            splits = [:]
        }
        guard let bucketSetup else { preconditionFailure("level before setup") }
        let nodes = 1 << level, k = shape.candidates, (k0, k1) = shape.columns
        let (u, w) = try nodeVectors(nodes: nodes)
        // Bucket sums for the left nodes only (the root at level 0); right siblings by subtraction.
        let computed = level == 0 ? [0] : Array(stride(from: 0, to: nodes, by: 2))
        var vectors = [UInt64]()
        vectors.reserveCapacity(2 * computed.count * rows)
        for v in computed {
            vectors += u[(v * rows)..<((v + 1) * rows)]
            vectors += w[(v * rows)..<((v + 1) * rows)]
        }
        let sums = try engine.bucketSums(vectors, vectors: 2 * computed.count, setup: bucketSetup)
        var leftG = [UInt64](repeating: 0, count: nodes * k), leftH = leftG
        for (slot, v) in computed.enumerated() {
            for (target, vector) in [(0, 2 * slot), (1, 2 * slot + 1)] {
                let row = Array(sums.map0[(vector * k0)..<((vector + 1) * k0)]) + sums.map1[(vector * k1)..<((vector + 1) * k1)]
                if target == 0 { leftG.replaceSubrange((v * k)..<((v + 1) * k), with: row) } else { leftH.replaceSubrange((v * k)..<((v + 1) * k), with: row) }
            }
        }
        if level > 0 {
            for v in stride(from: 1, to: nodes, by: 2) {
                for c in 0..<k {
                    leftG[v * k + c] = parentLeft.g[(v / 2) * k + c] &- leftG[(v - 1) * k + c]
                    leftH[v * k + c] = parentLeft.h[(v / 2) * k + c] &- leftH[(v - 1) * k + c]
                }
            }
        }
        parentLeft = (leftG, leftH)
        let totalG = nodeSums(u, nodes: nodes), totalH = nodeSums(w, nodes: nodes)
        let lambda = UInt64(bitPattern: FixedPoint.encode(settings.lambda))
        var numerators = leftG, denominators = leftH.map { party == 0 ? $0 &+ lambda : $0 }
        for v in 0..<nodes {
            for c in 0..<k {
                numerators.append(totalG[v] &- leftG[v * k + c])
                denominators.append((totalH[v] &- leftH[v * k + c]) &+ (party == 0 ? lambda : 0))
            }
        }
        let ratios = try engine.divide(numerators, by: denominators, bounds: bounds)
        let terms = try engine.multiplyFixed(ratios, numerators)
        let scores = (0..<(nodes * k)).map { terms[$0] &+ terms[nodes * k + $0] }
        let winners = try engine.argmax(scores, rows: nodes, columns: k).index
        try splitNodes(level: level, winners: winners)
    }

    /// Opens the owner bits, opens each winner to its owner, records this party's splits, and splits
    /// the node indicators with the owners' input-shared left masks.
    func splitNodes(level: Int, winners: [UInt64]) throws {
        let nodes = 1 << level, first = nodes - 1, (k0, _) = shape.columns
        let ownerShares = try engine.greaterOrEqual(winners, engine.constant(UInt64(k0), count: nodes))
        let opened = try engine.open(ownerShares, purpose: .ownerBit)
        guard opened.allSatisfy({ $0 <= 1 }) else {
            throw PartyProtocolError.unexpectedFrame(expected: engine.tag, reason: "owner bits are not 0/1")
        }
        let levelOwners = opened.map(Int.init)
        owners += levelOwners
        let mine = (0..<nodes).filter { levelOwners[$0] == party }, theirs = (0..<nodes).filter { levelOwners[$0] != party }
        let received = try engine.exchange(theirs.map { winners[$0] }, expecting: mine.count, purpose: .splitIndexToOwner)
        var masks = [UInt64]()
        masks.reserveCapacity(mine.count * rows)
        let offset = party == 0 ? 0 : k0, perParty = input.features * shape.buckets
        for (slot, v) in mine.enumerated() {
            let candidate = Int(Int64(bitPattern: (winners[v] &+ received[slot]) &- UInt64(offset)))
            guard candidate >= 0, candidate < perParty else {
                throw PartyProtocolError.unexpectedFrame(expected: engine.tag, reason: "split index \(candidate) outside party \(party)'s \(perParty) candidates")
            }
            let split = DistributedTree.OwnSplit(feature: candidate / shape.buckets, bucket: candidate % shape.buckets)
            splits[first + v] = split
            for i in 0..<rows { masks.append(Int(input.binned[i * input.features + split.feature]) <= split.bucket ? 1 : 0) }
        }
        let shared = try engine.inputBoth(masks, theirCount: theirs.count * rows)
        var leftMasks = [UInt64](repeating: 0, count: nodes * rows)
        for (slot, v) in mine.enumerated() { leftMasks.replaceSubrange((v * rows)..<((v + 1) * rows), with: shared.mine[(slot * rows)..<((slot + 1) * rows)]) }
        for (slot, v) in theirs.enumerated() { leftMasks.replaceSubrange((v * rows)..<((v + 1) * rows), with: shared.theirs[(slot * rows)..<((slot + 1) * rows)]) }
        let left = try engine.multiply(indicators, leftMasks)
        var children = [UInt64](repeating: 0, count: 2 * nodes * rows)
        for v in 0..<nodes {
            for i in 0..<rows {
                children[(2 * v) * rows + i] = left[v * rows + i]
                children[(2 * v + 1) * rows + i] = indicators[v * rows + i] &- left[v * rows + i]
            }
        }
        indicators = children
    }

    /// Leaf weights w = −η·G/(H + λ) (kept shared) and ŷ += Σ_leaf s_leaf · w_leaf.
    func runLeaves(tree: Int) throws {
        engine.enter(tree: tree, level: settings.depth)
        let leaves = 1 << settings.depth
        let (u, w) = try nodeVectors(nodes: leaves)
        let totalG = nodeSums(u, nodes: leaves), totalH = nodeSums(w, nodes: leaves)
        let lambda = UInt64(bitPattern: FixedPoint.encode(settings.lambda))
        let ratios = try engine.divide(totalG, by: totalH.map { party == 0 ? $0 &+ lambda : $0 }, bounds: bounds)
        let shrink = UInt64(bitPattern: FixedPoint.encode(-settings.learningRate))
        let weights = try engine.truncate(ratios.map { $0 &* shrink }, by: FixedPoint.fractionBits)
        let contributions = try engine.multiply(indicators, weights.flatMap { [UInt64](repeating: $0, count: rows) })
        for leaf in 0..<leaves {
            for i in 0..<rows { margins[i] &+= contributions[leaf * rows + i] }
        }
        trees.append(DistributedTree(owners: owners, splits: splits, leafShares: weights))
    }
}
