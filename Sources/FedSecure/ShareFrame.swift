import FedCore
/// What two computing parties send each other in the secure-XGB protocol, and the link that carries
/// it. The dealer is not on this link: party-to-party frames go directly between the parties (over
/// the peer mesh, or in memory), never through the coordinator (spec §2.4.1).

/// Where a frame belongs: both parties derive the same tag from their own progress, so a frame for
/// another tree, level or step is refused instead of being combined with the wrong values.
public struct ShareTag: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// −1 during setup and prediction.
    public var tree: Int
    /// −1 during setup; the tree depth for the leaf step.
    public var level: Int
    /// The exchange's index within (tree, level).
    public var step: Int

    public init(tree: Int, level: Int, step: Int) {
        self.tree = tree
        self.level = level
        self.step = step
    }

    public var description: String { "tree \(tree) level \(level) step \(step)" }
}

/// Why a value leaves a party: the leakage audit (spec §2.4.9) checks every frame against this list.
public enum OpenPurpose: String, Sendable, CaseIterable {
    /// d = x − a, e = y − b of a Beaver multiplication (masked by the dealer's uniform a, b).
    case beaverMasked = "beaver_masked"
    /// d = u ⊕ α, e = v ⊕ β of AND gates.
    case andMasked = "and_masked"
    /// z = x + r of a comparison or truncation (masked by a uniform edaBit r).
    case comparisonMasked = "comparison_masked"
    /// e = b ⊕ ρ of a bit conversion.
    case bitConversionMasked = "bit_conversion_masked"
    /// e = u⟨o⟩ − a of an OLE bucket sum.
    case bucketSumMasked = "bucket_sum_masked"
    /// D_q = M_q − B_q, the owner's bucket map under the dealer's uniform matrix.
    case bucketMapMasked = "bucket_map_masked"
    /// r, the other party's share of an input (uniform).
    case inputShare = "input_share"
    /// The public bit saying which party owns a node's split.
    case ownerBit = "owner_bit"
    /// The non-owner's share of the winning candidate index, sent to the owner only.
    case splitIndexToOwner = "split_index_to_owner"
    /// P1's share of the predictions, sent to the label holder only.
    case predictionToLabelHolder = "prediction_to_label_holder"
}

/// One party-to-party message: the tag, why it is sent, and ring elements (or packed bits).
public struct ShareFrame: Sendable, Equatable {
    public var tag: ShareTag
    public var purpose: OpenPurpose
    public var words: [UInt64]

    public init(tag: ShareTag, purpose: OpenPurpose, words: [UInt64]) {
        self.tag = tag
        self.purpose = purpose
        self.words = words
    }
}

/// A protocol failure every party reports the same way: where it happened and why.
public enum PartyProtocolError: Error, Equatable, CustomStringConvertible {
    /// The other party sent nothing within the time-out.
    case silent(party: Int, waitedSeconds: Double, expected: ShareTag)
    /// A frame that does not fit the step: wrong tag, purpose or length.
    case unexpectedFrame(expected: ShareTag, reason: String)
    /// The other party, the dealer or the coordinator stopped the run.
    case stopped(reason: String)
    /// A configuration outside the protocol's range budget or limits.
    case refused(reason: String)

    public var description: String {
        switch self {
        case let .silent(party, seconds, expected):
            return "party \(party) sent nothing for \(seconds) s (waiting for \(expected))"
        case let .unexpectedFrame(expected, reason): return "bad share frame at \(expected): \(reason)"
        case let .stopped(reason): return "stopped: \(reason)"
        case let .refused(reason): return reason
        }
    }
}

/// The direct channel from one party to the other. `receive` blocks until the other party's next
/// frame arrives or the link's time-out passes (then it throws `silent`).
public protocol PartyLink: AnyObject {
    func send(_ frame: ShareFrame) throws
    func receive() throws -> ShareFrame
}
