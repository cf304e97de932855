import FedCore
import FedModels

/// Secure prediction with the distributed model (spec §2.4.8): each party marks the leaves each row
/// can reach under its own splits, both input-share those 0/1 vectors, their product selects the
/// one true leaf, its dot product with the shared leaf weights gives the shared margin (seg3 for
/// logistic), and only party 0, the label holder, receives the result.
public enum SecurePrediction {
    /// Party `model.party`'s side for `rows` new rows of its own features (`binned`, [rows, features]).
    /// Party 0 gets the raw fixed-point predictions; party 1 gets nil.
    public static func predict(engine: SecureEngine, model: PartyModel, binned: [UInt8], rows: Int) throws -> [Int64]? {
        let features = model.bins.dimension
        precondition(binned.count == rows * features, "prediction: [\(rows), \(features)] bins expected")
        engine.enter(tree: -2, level: 0)
        let leaves = 1 << model.depth
        var reach = [UInt64]()
        reach.reserveCapacity(model.trees.count * rows * leaves)
        for tree in model.trees {
            guard tree.owners.count == leaves - 1, tree.leafShares.count == leaves else {
                throw PartyProtocolError.refused(reason: "model tree does not have depth \(model.depth)")
            }
            for i in 0..<rows { reach += tree.reachableLeaves(binned[(i * features)..<((i + 1) * features)], party: model.party) }
        }
        let shares = try engine.inputBoth(reach, theirCount: reach.count)
        let (mine0, mine1) = model.party == 0 ? (shares.mine, shares.theirs) : (shares.theirs, shares.mine)
        let leaf = try engine.multiply(mine0, mine1)
        var weights = [UInt64]()
        weights.reserveCapacity(reach.count)
        for tree in model.trees {
            for _ in 0..<rows { weights += tree.leafShares }
        }
        let terms = try engine.multiply(leaf, weights)
        var margins = engine.constant(UInt64(bitPattern: model.baseScore), count: rows)
        for t in model.trees.indices {
            for i in 0..<rows {
                let base = (t * rows + i) * leaves
                for l in 0..<leaves { margins[i] &+= terms[base + l] }
            }
        }
        let scores = model.loss == .logistic ? try engine.sigmoidSeg3(margins) : margins
        return try engine.open(scores, to: 0, purpose: .predictionToLabelHolder).map { $0.map { Int64(bitPattern: $0) } }
    }
}
