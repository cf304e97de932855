import FedCore
/// Comparisons and exact truncation (spec §2.4.4): PrivateCompare on bit-sliced shares, LTZ, GE and
/// TruncExact. Bit-sliced layout with W words per bit: bit i of element e sits in word i·W + e/64,
/// at bit e % 64, so one AND over a run of words evaluates a gate for 64 elements at once.

/// Bit-slices `values` into 64 rows of `words` words (W ≥ ⌈count / 64⌉).
func bitSlice(_ values: [UInt64], words: Int) -> [UInt64] {
    var out = [UInt64](repeating: 0, count: 64 * words)
    for (e, value) in values.enumerated() {
        var rest = value
        let word = e / 64, bit = UInt64(e % 64)
        while rest != 0 {
            let i = rest.trailingZeroBitCount
            out[i * words + word] |= 1 << bit
            rest &= rest - 1
        }
    }
    return out
}

extension SecureEngine {
    /// [a < r] as a packed boolean sharing (W words), for a public `a` and shared bits of r, both
    /// bit-sliced over W words, unsigned 64-bit. t_i = ¬(a_i ⊕ r_i); E_i = ∧_{j>i} t_j by a
    /// Hillis–Steele suffix scan (6 AND rounds); the answer is ⊕_i ¬a_i ∧ r_i ∧ E_i (one more round).
    public func privateCompare(publicBits a: [UInt64], sharedBits r: [UInt64]) throws -> [UInt64] {
        precondition(a.count == r.count && a.count % 64 == 0, "private compare: bit-sliced inputs of equal size")
        let w = a.count / 64
        // E starts as t shifted down one bit position; E_63 = 1 (public: P0 holds ones).
        var suffix = [UInt64](repeating: 0, count: 64 * w)
        for i in 0..<63 {
            for k in 0..<w {
                let t = isLeader ? ~(a[(i + 1) * w + k] ^ r[(i + 1) * w + k]) : r[(i + 1) * w + k]
                suffix[i * w + k] = t
            }
        }
        if isLeader { for k in 0..<w { suffix[63 * w + k] = ~0 } }
        var stride = 1
        while stride < 64 {
            let span = (64 - stride) * w
            let combined = try and(Array(suffix[0..<span]), Array(suffix[(stride * w)..<(stride * w + span)]))
            suffix.replaceSubrange(0..<span, with: combined)
            stride *= 2
        }
        let terms = try and(r, suffix)
        var result = [UInt64](repeating: 0, count: w)
        for i in 0..<64 {
            for k in 0..<w { result[k] ^= terms[i * w + k] & ~a[i * w + k] }
        }
        return result
    }

    /// [x < 0] (unscaled 0/1) for |x| < 2^63: msb(x) = z_63 ⊕ r_63 ⊕ [z mod 2^63 < r mod 2^63] with
    /// z = x + r opened. Nine rounds.
    public func lessThanZero(_ x: [UInt64]) throws -> [UInt64] {
        let n = x.count
        if n == 0 { return [] }
        let w = MaterialRequest.packedWords(n)
        let eda = try material.take(.edaBits(count: n, shift: 0))
        var rBits = Array(eda[0..<(64 * w)])
        let r = eda[(64 * w)..<(64 * w + n)]
        let z = try open((0..<n).map { x[$0] &+ r[r.startIndex + $0] }, purpose: .comparisonMasked)
        let zBits = bitSlice(z, words: w)
        let topOfR = Array(rBits[(63 * w)..<(64 * w)])
        var lowBitsOfZ = zBits
        for k in 0..<w { lowBitsOfZ[63 * w + k] = 0; rBits[63 * w + k] = 0 }
        var msb = try privateCompare(publicBits: lowBitsOfZ, sharedBits: rBits)
        for k in 0..<w {
            msb[k] ^= topOfR[k]
            if isLeader { msb[k] ^= zBits[63 * w + k] }
        }
        return Array(try bitsToArithmetic(msb)[0..<n])
    }

    /// [x ≥ y] (unscaled 0/1) = 1 − LTZ(x − y), for |x − y| < 2^63.
    public func greaterOrEqual(_ x: [UInt64], _ y: [UInt64]) throws -> [UInt64] {
        let below = try lessThanZero(zip(x, y).map { $0 &- $1 })
        return below.map { isLeader ? 1 &- $0 : 0 &- $0 }
    }

    /// ⌊x / 2^k⌋ exactly, for |x| < 2^62 and 1 ≤ k ≤ 62 (TruncExact): with x' = x + 2^62 and
    /// z = x' + r opened, x' = z − r + 2^64·[z < r], so ⌊x'/2^k⌋ = (z ≫ k) − (r ≫ k) −
    /// [z mod 2^k < r mod 2^k] + 2^{64−k}·[z < r]. Both comparisons share the same rounds.
    public func truncate(_ x: [UInt64], by k: Int) throws -> [UInt64] {
        precondition(k >= 1 && k <= 62, "truncation by \(k) bits")
        let n = x.count
        if n == 0 { return [] }
        let w = MaterialRequest.packedWords(n)
        let eda = try material.take(.edaBits(count: n, shift: k))
        let rBits = eda[0..<(64 * w)]
        let r = eda[(64 * w)..<(64 * w + n)], shifted = eda[(64 * w + n)...]
        let offset: UInt64 = 1 << 62
        let z = try open((0..<n).map { i in (isLeader ? x[i] &+ offset : x[i]) &+ r[r.startIndex + i] }, purpose: .comparisonMasked)
        let zBits = bitSlice(z, words: w)
        // Two comparisons side by side: words [0, W) of each bit row compare all 64 bits, words
        // [W, 2W) compare the low k bits only (higher bits zero on both sides).
        var a = [UInt64](repeating: 0, count: 128 * w), b = [UInt64](repeating: 0, count: 128 * w)
        for i in 0..<64 {
            for j in 0..<w {
                a[i * 2 * w + j] = zBits[i * w + j]
                b[i * 2 * w + j] = rBits[rBits.startIndex + i * w + j]
                if i < k {
                    a[i * 2 * w + w + j] = zBits[i * w + j]
                    b[i * 2 * w + w + j] = rBits[rBits.startIndex + i * w + j]
                }
            }
        }
        let bits = try bitsToArithmetic(try privateCompare(publicBits: a, sharedBits: b))
        let wrapShift = UInt64(64 - k), unshift: UInt64 = 1 << UInt64(62 - k)
        return (0..<n).map { i in
            let wrapped = bits[i], lowBorrow = bits[64 * w + i]
            var y = (wrapped << wrapShift) &- shifted[shifted.startIndex + i] &- lowBorrow
            if isLeader { y = y &+ (z[i] >> UInt64(k)) &- unshift }
            return y
        }
    }
}
