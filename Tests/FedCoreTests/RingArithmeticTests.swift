import FedCore
import Testing

/// The two-party ring steps (spec §2.4.4), each checked on 10^4 random cases plus the boundary values:
/// the parties' shares, computed separately, reconstruct the right result.
@Suite struct RingArithmeticTests {
    static let boundaries: [UInt64] = [0, 1, UInt64.max, 1 << 63, (1 << 63) - 1, 1 << 62, UInt64(bitPattern: -(1 << 62)), 1 << 32]

    /// A dealer for the tests (a seeded stream; real deployments need a cryptographic generator).
    struct TestDealer {
        var rng = RNGStream(seed: 11, purpose: .custom)
        mutating func next() -> UInt64 { rng.next() }
        mutating func shares(of x: UInt64) -> (UInt64, UInt64) { RingArithmetic.share(x, mask: next()) }
    }

    func randomPairs(_ dealer: inout TestDealer, count: Int) -> [(UInt64, UInt64)] {
        var pairs = [(UInt64, UInt64)]()
        for x in Self.boundaries { for y in Self.boundaries { pairs.append((x, y)) } }
        while pairs.count < count { pairs.append((dealer.next(), dealer.next())) }
        return pairs
    }

    @Test func fixedPoint_roundTripsAndRoundsTiesToEven() {
        for x in [0.0, 1.5, -1.5, 3.25, -1000.125, 0.000_015_258_789_062_5] {
            #expect(RingArithmetic.decode(RingArithmetic.encode(x)) == x)
        }
        // 2^-17 is half an ulp: ties go to the even neighbour (0); 3·2^-17 goes up to 2·2^-16.
        #expect(RingArithmetic.encode(1.0 / 131_072) == 0 && RingArithmetic.encode(3.0 / 131_072) == 2)
        #expect(RingArithmetic.encode(-1) == UInt64.max - 65_535)
    }

    @Test func beaverMultiplication_reconstructsTheWrappingProduct() {
        var dealer = TestDealer()
        for (x, y) in randomPairs(&dealer, count: 10_000) {
            let (a, b) = (dealer.next(), dealer.next())
            let (a0, a1) = dealer.shares(of: a), (b0, b1) = dealer.shares(of: b), (c0, c1) = dealer.shares(of: a &* b)
            let (x0, x1) = dealer.shares(of: x), (y0, y1) = dealer.shares(of: y)
            // Each party sends x⟨p⟩ − a⟨p⟩ and y⟨p⟩ − b⟨p⟩; both learn d and e.
            let d = (x0 &- a0) &+ (x1 &- a1), e = (y0 &- b0) &+ (y1 &- b1)
            let z0 = RingArithmetic.multiplyShare(party: 0, a: a0, b: b0, c: c0, d: d, e: e)
            let z1 = RingArithmetic.multiplyShare(party: 1, a: a1, b: b1, c: c1, d: d, e: e)
            #expect(z0 &+ z1 == x &* y)
        }
    }

    @Test func andGate_reconstructsSixtyFourPackedAnds() {
        var dealer = TestDealer()
        for (u, v) in randomPairs(&dealer, count: 10_000) {
            let (alpha, beta) = (dealer.next(), dealer.next())
            let (alpha0, beta0, gamma0) = (dealer.next(), dealer.next(), dealer.next())
            let (alpha1, beta1, gamma1) = (alpha ^ alpha0, beta ^ beta0, (alpha & beta) ^ gamma0)
            let u0 = dealer.next(), v0 = dealer.next()
            let (u1, v1) = (u ^ u0, v ^ v0)
            let d = (u0 ^ alpha0) ^ (u1 ^ alpha1), e = (v0 ^ beta0) ^ (v1 ^ beta1)
            let z0 = RingArithmetic.andShare(party: 0, alpha: alpha0, beta: beta0, gamma: gamma0, d: d, e: e)
            let z1 = RingArithmetic.andShare(party: 1, alpha: alpha1, beta: beta1, gamma: gamma1, d: d, e: e)
            #expect(z0 ^ z1 == u & v)
        }
    }

    @Test func bitToArithmetic_reconstructsTheBit() {
        var dealer = TestDealer()
        for trial in 0..<10_000 {
            let b = UInt64(trial & 1), rho = dealer.next() & 1
            let (rho0, rho1) = dealer.shares(of: rho)
            let b0 = dealer.next() & 1, b1 = b ^ b0
            // The parties open e = b ⊕ ρ from their XOR shares of b and of ρ (ρ's split is immaterial here).
            let e = b0 ^ b1 ^ rho
            let s0 = RingArithmetic.bitToArithmeticShare(party: 0, opened: e, rho: rho0)
            let s1 = RingArithmetic.bitToArithmeticShare(party: 1, opened: e, rho: rho1)
            #expect(s0 &+ s1 == b)
        }
    }

    @Test func publicConstants_areAddedOnce() {
        var dealer = TestDealer()
        for (x, c) in randomPairs(&dealer, count: 1_000) {
            let (x0, x1) = dealer.shares(of: x)
            #expect(RingArithmetic.addPublic(c, toShare: x0, party: 0) &+ RingArithmetic.addPublic(c, toShare: x1, party: 1) == x &+ c)
        }
    }
}
