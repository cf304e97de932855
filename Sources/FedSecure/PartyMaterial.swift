import FedCore

/// Where P0's correlated fields come from: a dealer in this process, or the coordinator over the
/// network. P1 never needs one.
public protocol CorrectionSource: AnyObject {
    func correction(index: Int, request: MaterialRequest) throws -> [UInt64]
}

/// A dealer in this process (single-process simulation and tests).
public final class LocalDealer: CorrectionSource {
    public private(set) var dealer: Dealer
    public init(keys: DealerKeys) { dealer = Dealer(keys: keys) }
    public func correction(index: Int, request: MaterialRequest) throws -> [UInt64] {
        try dealer.correction(index: index, request: request)
    }
}

/// One party's supply of correlated randomness: numbers its requests, draws its own fields from its
/// key and, for P0, appends the dealer's correlated fields. Returns the whole layout of
/// `MaterialRequest`.
public final class PartyMaterial {
    public let party: Int
    let key: ChaCha20Stream.Key
    let corrections: CorrectionSource?
    /// Requests made so far.
    public private(set) var requests = 0
    /// Words received from the dealer so far.
    public private(set) var wordsFromDealer = 0

    public init(party: Int, key: ChaCha20Stream.Key, corrections: CorrectionSource?) {
        precondition(party == 1 || corrections != nil, "party 0 needs the dealer's corrections")
        self.party = party
        self.key = key
        self.corrections = corrections
    }

    public func take(_ request: MaterialRequest) throws -> [UInt64] {
        let index = requests
        requests += 1
        var words = drawMaterial(party: party, key: key, index: index, request: request)
        if party == 0, let corrections {
            let correlated = try corrections.correction(index: index, request: request)
            guard correlated.count == request.fieldCounts(party: 0).correlated else {
                throw PartyProtocolError.unexpectedFrame(expected: ShareTag(tree: -1, level: -1, step: index),
                                                         reason: "dealer sent \(correlated.count) words for \(request)")
            }
            wordsFromDealer += correlated.count
            words += correlated
        }
        return words
    }
}
