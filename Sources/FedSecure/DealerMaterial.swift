import FedCore

/// The dealer's correlated randomness (spec §2.4.3), in the "volume reduction" form: every value a
/// party's material holds comes from a ChaCha20 stream named by (party key, request index, kind),
/// except P0's correlated fields (c of a Beaver triple, γ of an AND triple, the arithmetic values of
/// bits, the OLE masks C⟨0⟩), which the dealer computes from both streams and sends to P0. P1 derives
/// all of its material locally from its key and never talks to the dealer after setup; P0 derives
/// its independent fields from its own key. Both parties request material in the same order, so a
/// request's index names it on both sides.
///
/// Layouts (W = ⌈count / 64⌉ words of packed bits; every field is ring elements unless packed):
///
/// | request | fields in order (correlated ones marked *) |
/// |---|---|
/// | beaver(n) | a[n], b[n], c*[n] |
/// | and(w) | α[w], β[w], γ*[w] |
/// | bitConversion(n) | ρ bits[W], ρ arithmetic*[n] |
/// | edaBits(n, k) | bits of r, bit-sliced [64·W] (bit i of element e at i·W + e/64, bit e%64), r*[n], (r ≫ k)*[n] |
/// | bucketMap(q, n, K) | owner only: B_q[n·K] |
/// | bucketProduct(q, V, n, K) | non-owner: a[V·n], C*[V·K]; owner: C*[V·K] (row v is vector v) |
public enum MaterialRequest: Sendable, Equatable, CustomStringConvertible {
    case beaver(count: Int)
    case and(words: Int)
    case bitConversion(count: Int)
    case edaBits(count: Int, shift: Int)
    case bucketMap(owner: Int, rows: Int, columns: Int)
    case bucketProduct(owner: Int, vectors: Int, rows: Int, columns: Int)

    /// Names the stream (with the request index); never renumber.
    var kindCode: UInt32 {
        switch self {
        case .beaver: return 1
        case .and: return 2
        case .bitConversion: return 3
        case .edaBits: return 4
        case .bucketMap: return 5
        case .bucketProduct: return 6
        }
    }

    static func packedWords(_ count: Int) -> Int { (count + 63) / 64 }

    /// How many words of the layout are independent uniform values for `party` (drawn from its own
    /// stream, in layout order) and how many are correlated (P0: sent by the dealer; P1: drawn too).
    func fieldCounts(party: Int) -> (independent: Int, correlated: Int) {
        switch self {
        case let .beaver(n): return (2 * n, n)
        case let .and(w): return (2 * w, w)
        case let .bitConversion(n): return (Self.packedWords(n), n)
        case let .edaBits(n, _): return (64 * Self.packedWords(n), 2 * n)
        case let .bucketMap(owner, rows, columns): return (party == owner ? rows * columns : 0, 0)
        case let .bucketProduct(owner, vectors, rows, columns): return (party == owner ? 0 : vectors * rows, vectors * columns)
        }
    }

    public var description: String {
        switch self {
        case let .beaver(n): return "beaver(\(n))"
        case let .and(w): return "and(\(w) words)"
        case let .bitConversion(n): return "bit_conversion(\(n))"
        case let .edaBits(n, k): return "eda_bits(\(n), shift \(k))"
        case let .bucketMap(q, n, k): return "bucket_map(owner \(q), \(n)×\(k))"
        case let .bucketProduct(q, v, n, k): return "bucket_product(owner \(q), \(v) vectors, \(n)×\(k))"
        }
    }
}

/// The two 256-bit keys the dealer holds: key_p seeds every stream of party p's material.
public struct DealerKeys: Sendable, Equatable {
    public let party0: ChaCha20Stream.Key
    public let party1: ChaCha20Stream.Key

    public init(party0: ChaCha20Stream.Key, party1: ChaCha20Stream.Key) {
        self.party0 = party0
        self.party1 = party1
    }

    /// Keys from the system's random source: what a deployment needs.
    public static func system() throws -> DealerKeys { DealerKeys(party0: try .system(), party1: try .system()) }

    /// Keys derived from the public run seed: reproducible transcripts, no secrecy (tests, debugging).
    public static func seeded(_ seed: UInt64) -> DealerKeys {
        DealerKeys(party0: .seeded(seed, label: 0xDEA1_0000), party1: .seeded(seed, label: 0xDEA1_0001))
    }

    public func key(party: Int) -> ChaCha20Stream.Key { party == 0 ? party0 : party1 }
}

/// What a party's own key yields for one request: the independent fields (P0), or everything (P1).
public func drawMaterial(party: Int, key: ChaCha20Stream.Key, index: Int, request: MaterialRequest) -> [UInt64] {
    let counts = request.fieldCounts(party: party)
    var stream = ChaCha20Stream(key: key, use: UInt64(index), kind: request.kindCode)
    return stream.words(party == 0 ? counts.independent : counts.independent + counts.correlated)
}

/// The dealer: computes P0's correlated fields for each request, in request order. It keeps the
/// owners' bucket-map masks B_q, which every later bucket product needs.
public struct Dealer: Sendable {
    public let keys: DealerKeys
    /// Requests answered so far (the index the next one must carry).
    public private(set) var answered = 0
    private var bucketMasks = [Int: [UInt64]]()
    /// Largest request served, in words, so a confused or hostile party cannot make the dealer
    /// allocate without bound.
    public let maxWords: Int

    public init(keys: DealerKeys, maxWords: Int = 1 << 28) {
        self.keys = keys
        self.maxWords = maxWords
    }

    /// P0's correlated words for request `index`, which must be the next one.
    public mutating func correction(index: Int, request: MaterialRequest) throws -> [UInt64] {
        guard index == answered else {
            throw PartyProtocolError.refused(reason: "dealer request \(index) out of order (expected \(answered))")
        }
        let counts0 = request.fieldCounts(party: 0), counts1 = request.fieldCounts(party: 1)
        guard counts0.independent + counts0.correlated <= maxWords, counts1.independent + counts1.correlated <= maxWords else {
            throw PartyProtocolError.refused(reason: "dealer request \(request) exceeds \(maxWords) words")
        }
        answered += 1
        let mine = drawMaterial(party: 0, key: keys.party0, index: index, request: request)
        let theirs = drawMaterial(party: 1, key: keys.party1, index: index, request: request)
        switch request {
        case let .beaver(n):
            return (0..<n).map { i in (mine[i] &+ theirs[i]) &* (mine[n + i] &+ theirs[n + i]) &- theirs[2 * n + i] }
        case let .and(w):
            return (0..<w).map { i in ((mine[i] ^ theirs[i]) & (mine[w + i] ^ theirs[w + i])) ^ theirs[2 * w + i] }
        case let .bitConversion(n):
            let w = MaterialRequest.packedWords(n)
            return (0..<n).map { i in
                let bit = ((mine[i / 64] ^ theirs[i / 64]) >> UInt64(i % 64)) & 1
                return bit &- theirs[w + i]
            }
        case let .edaBits(n, shift):
            let w = MaterialRequest.packedWords(n), bitWords = 64 * w
            var out = [UInt64](repeating: 0, count: 2 * n)
            for e in 0..<n {
                var r: UInt64 = 0
                for bit in 0..<64 {
                    let word = bit * w + e / 64
                    r |= (((mine[word] ^ theirs[word]) >> UInt64(e % 64)) & 1) << UInt64(bit)
                }
                out[e] = r &- theirs[bitWords + e]
                out[n + e] = (r >> UInt64(shift)) &- theirs[bitWords + n + e]
            }
            return out
        case let .bucketMap(owner, _, _):
            bucketMasks[owner] = owner == 0 ? mine : theirs
            return []
        case let .bucketProduct(owner, vectors, rows, columns):
            guard let mask = bucketMasks[owner], mask.count == rows * columns else {
                throw PartyProtocolError.refused(reason: "bucket product for owner \(owner) before its \(rows)×\(columns) map")
            }
            // The non-owner's a, and P1's C⟨1⟩ (always drawn by P1, after a when P1 is the non-owner).
            let a = owner == 0 ? Array(theirs[0..<(vectors * rows)]) : mine
            let c1 = owner == 0 ? Array(theirs[(vectors * rows)...]) : theirs
            var out = [UInt64](repeating: 0, count: vectors * columns)
            for v in 0..<vectors {
                for i in 0..<rows {
                    let scale = a[v * rows + i]
                    if scale == 0 { continue }
                    let row = i * columns
                    for k in 0..<columns { out[v * columns + k] &+= scale &* mask[row + k] }
                }
                for k in 0..<columns { out[v * columns + k] &-= c1[v * columns + k] }
            }
            return out
        }
    }
}

extension MaterialRequest {
    /// (kind, up to four parameters): how a request travels to the dealer.
    public var wireFields: [Int] {
        switch self {
        case let .beaver(n): return [1, n]
        case let .and(w): return [2, w]
        case let .bitConversion(n): return [3, n]
        case let .edaBits(n, k): return [4, n, k]
        case let .bucketMap(q, n, k): return [5, q, n, k]
        case let .bucketProduct(q, v, n, k): return [6, q, v, n, k]
        }
    }

    /// The request these fields describe, or nil if they describe none (bad kind, negative or
    /// impossible parameters).
    public init?(wireFields f: [Int]) {
        guard let kind = f.first, f.dropFirst().allSatisfy({ $0 >= 0 }) else { return nil }
        switch (kind, f.count) {
        case (1, 2): self = .beaver(count: f[1])
        case (2, 2): self = .and(words: f[1])
        case (3, 2): self = .bitConversion(count: f[1])
        case (4, 3) where f[2] <= 62: self = .edaBits(count: f[1], shift: f[2])
        case (5, 4) where f[1] <= 1: self = .bucketMap(owner: f[1], rows: f[2], columns: f[3])
        case (6, 5) where f[1] <= 1: self = .bucketProduct(owner: f[1], vectors: f[2], rows: f[3], columns: f[4])
        default: return nil
        }
    }
}
