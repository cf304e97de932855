/// Additive secret sharing in the ring Z_2^64 (spec `models-and-protocols.md` §2.4.2–2.4.4): the
/// local steps each of two parties takes in the first primitives, element-wise over batches.
///
/// Ring elements are `UInt64` with wrapping arithmetic; they never pass through floating point or
/// BLAS. A party's share of x is x⟨p⟩, with x⟨0⟩ + x⟨1⟩ = x. Boolean shares pack 64 bits per
/// `UInt64` and combine by XOR. The functions here are what one party computes from its own shares,
/// its dealer material and the values opened to both; messages and dealers live elsewhere.
public enum RingArithmetic {
    /// Fractional bits of the fixed-point encoding (spec default f = 16).
    public static let fractionBits = 16

    /// enc(x) = x·2^f rounded to nearest, ties to even, as a two's-complement ring element.
    public static func encode(_ x: Double, fractionBits f: Int = fractionBits) -> UInt64 {
        UInt64(bitPattern: Int64((x * Double(UInt64(1) << f)).rounded(.toNearestOrEven)))
    }

    /// dec(u) = signed(u) / 2^f.
    public static func decode(_ u: UInt64, fractionBits f: Int = fractionBits) -> Double {
        Double(Int64(bitPattern: u)) / Double(UInt64(1) << f)
    }

    /// Splits `x` into two shares with the mask r: (x − r, r) (the input step: the owner keeps x − r).
    public static func share(_ x: UInt64, mask r: UInt64) -> (UInt64, UInt64) { (x &- r, r) }

    /// Beaver multiplication, party p's share of x·y from its triple shares (a, b, c = a·b) and the
    /// opened d = x − a, e = y − b: `z⟨p⟩ = c⟨p⟩ + d·b⟨p⟩ + e·a⟨p⟩ + [p = 0]·d·e`.
    public static func multiplyShare(party p: Int, a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt64) -> UInt64 {
        let z = c &+ d &* b &+ e &* a
        return p == 0 ? z &+ d &* e : z
    }

    /// AND of 64 packed bit pairs, party p's XOR share from its AND-triple shares (α, β, γ = α∧β) and
    /// the opened d = u ⊕ α, e = v ⊕ β: `z⟨p⟩ = γ⟨p⟩ ⊕ (d ∧ β⟨p⟩) ⊕ (e ∧ α⟨p⟩) ⊕ [p = 0](d ∧ e)`.
    public static func andShare(party p: Int, alpha: UInt64, beta: UInt64, gamma: UInt64, d: UInt64, e: UInt64) -> UInt64 {
        let z = gamma ^ (d & beta) ^ (e & alpha)
        return p == 0 ? z ^ (d & e) : z
    }

    /// Boolean-to-arithmetic for one bit: party p's arithmetic share of b from the opened e = b ⊕ ρ and
    /// its arithmetic share of the dealer's bit ρ: `[b]^A = [p = 0]·e + (1 − 2e)·[ρ]^A`.
    public static func bitToArithmeticShare(party p: Int, opened e: UInt64, rho: UInt64) -> UInt64 {
        let term = e == 0 ? rho : 0 &- rho
        return p == 0 ? e &+ term : term
    }

    /// Adding a public constant: only party 0 adds it.
    public static func addPublic(_ c: UInt64, toShare share: UInt64, party p: Int) -> UInt64 { p == 0 ? share &+ c : share }
}
