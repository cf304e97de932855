import FedAlgorithms
import FedSecure
import FedCore
import FedModels
import Testing

/// The two-party primitives of spec §2.4.4 over a real in-memory link and dealer, each on ≥ 10^4
/// random cases plus the spec's boundary values, checked against plain integer arithmetic.
@Suite struct SecurePrimitivesTests {
    static let cases = 10_000

    func randomValues(_ count: Int, seed: UInt64, below limit: UInt64? = nil, boundaries: [UInt64] = []) -> [UInt64] {
        var rng = RNGStream(seed: seed, purpose: .custom, client: 5)
        var values = boundaries
        while values.count < count {
            let raw = rng.next()
            guard let limit else { values.append(raw); continue }
            // Signed values with |x| < limit, spread over every magnitude.
            let magnitude = (raw >> UInt64(rng.nextInt(below: 64))) % limit
            values.append(rng.next() & 1 == 0 ? magnitude : 0 &- magnitude)
        }
        return values
    }

    @Test func inputAndOpen_reconstructTheValues() throws {
        let values = randomValues(Self.cases, seed: 1)
        let outcome = try SecureFixtures.run { engine in
            let shares = try engine.inputBoth(engine.party == 0 ? values : [], theirCount: engine.party == 0 ? 0 : values.count)
            return try engine.open(engine.party == 0 ? shares.mine : shares.theirs, purpose: .comparisonMasked)
        }
        #expect(outcome.results[0] == values && outcome.results[1] == values)
    }

    @Test func multiply_matchesWrappingProducts() throws {
        let x = randomValues(Self.cases, seed: 2, boundaries: [0, 1, .max, 1 << 63]), y = randomValues(Self.cases, seed: 3, boundaries: [.max, 1 << 63, 0, 1])
        let xs = SecureFixtures.split(x, seed: 4), ys = SecureFixtures.split(y, seed: 5)
        let outcome = try SecureFixtures.run { engine in try engine.multiply(xs[engine.party], ys[engine.party]) }
        #expect(SecureFixtures.reconstruct(outcome.results) == zip(x, y).map { $0 &* $1 })
    }

    @Test func and_matchesBitwiseAnd() throws {
        let u = randomValues(Self.cases / 64 + 1, seed: 6), v = randomValues(Self.cases / 64 + 1, seed: 7)
        let us = SecureFixtures.splitBits(u, seed: 8), vs = SecureFixtures.splitBits(v, seed: 9)
        let outcome = try SecureFixtures.run { engine in try engine.and(us[engine.party], vs[engine.party]) }
        #expect(zip(outcome.results[0], outcome.results[1]).map { $0 ^ $1 } == zip(u, v).map { $0 & $1 })
        #expect(outcome.engines[0].andGates == 64 * u.count)
    }

    @Test func bitsToArithmetic_convertsEveryBit() throws {
        let bits = randomValues(Self.cases / 64 + 1, seed: 10)
        let shares = SecureFixtures.splitBits(bits, seed: 11)
        let outcome = try SecureFixtures.run { engine in try engine.bitsToArithmetic(shares[engine.party]) }
        let expected = (0..<(64 * bits.count)).map { (bits[$0 / 64] >> UInt64($0 % 64)) & 1 }
        #expect(SecureFixtures.reconstruct(outcome.results) == expected)
    }

    @Test func privateCompare_matchesUnsignedLessThan() throws {
        var a = randomValues(Self.cases, seed: 12, boundaries: [0, 0, .max, .max, 5, 1 << 63])
        let r = randomValues(Self.cases, seed: 13, boundaries: [0, 1, .max, .max - 1, 5, (1 << 63) - 1])
        // Equal values and neighbours, where the answer hinges on the lowest bits.
        for i in 100..<400 { a[i] = r[i] &+ UInt64(i % 3) &- 1 }
        let words = (a.count + 63) / 64
        let rBits = SecureFixtures.splitBits(sliced(r, words: words), seed: 14)
        let aBits = sliced(a, words: words)
        let outcome = try SecureFixtures.run { engine in try engine.privateCompare(publicBits: aBits, sharedBits: rBits[engine.party]) }
        let packed = zip(outcome.results[0], outcome.results[1]).map { $0 ^ $1 }
        for i in a.indices {
            let bit = (packed[i / 64] >> UInt64(i % 64)) & 1
            #expect((bit == 1) == (a[i] < r[i]), "case \(i): \(a[i]) < \(r[i])")
        }
    }

    @Test func lessThanZero_andGreaterOrEqual_matchSignedComparison() throws {
        let edges: [UInt64] = [0, 1, .max, 1 << 62, 0 &- (1 << 62), UInt64(Int64.max), UInt64(bitPattern: -Int64.max), 2, 0 &- 2]
        let x = randomValues(Self.cases, seed: 15, below: 1 << 63 - 1, boundaries: edges)
        let y = randomValues(Self.cases, seed: 16, below: 1 << 61, boundaries: [0, 0, 0, 0, 0, 0, 0, 0, 0])
        let xs = SecureFixtures.split(x, seed: 17), ys = SecureFixtures.split(y, seed: 18)
        let outcome = try SecureFixtures.run { engine in
            [try engine.lessThanZero(xs[engine.party]), try engine.greaterOrEqual(ys[engine.party], xs[engine.party])]
        }
        let below = SecureFixtures.reconstruct(outcome.results.map { $0[0] })
        let atLeast = SecureFixtures.reconstruct(outcome.results.map { $0[1] })
        for i in x.indices {
            let xi = Int64(bitPattern: x[i]), yi = Int64(bitPattern: y[i])
            #expect(below[i] == (xi < 0 ? 1 : 0), "LTZ(\(xi))")
            if !yi.subtractingReportingOverflow(xi).overflow { #expect(atLeast[i] == (yi >= xi ? 1 : 0), "GE(\(yi), \(xi))") }
        }
    }

    @Test(arguments: [1, 3, 16, 30, 62])
    func truncate_isAnExactFloorShift(k: Int) throws {
        let limit: UInt64 = 1 << 62
        let step: UInt64 = 1 << UInt64(k)
        var edges: [UInt64] = [0, 1, 0 &- 1, limit - 1, 0 &- limit, 0 &- (limit - 1)]
        edges += [step, 0 &- step, step - 1, 0 &- (step + 1)]
        edges = edges.filter { Int64(bitPattern: $0).magnitude < limit || $0 == 0 &- limit }
        let x = randomValues(Self.cases, seed: 19 + UInt64(k), below: limit, boundaries: edges)
        let xs = SecureFixtures.split(x, seed: 20)
        let outcome = try SecureFixtures.run { engine in try engine.truncate(xs[engine.party], by: k) }
        let result = SecureFixtures.reconstruct(outcome.results)
        for i in x.indices {
            #expect(Int64(bitPattern: result[i]) == Int64(bitPattern: x[i]) >> Int64(k), "⌊\(Int64(bitPattern: x[i])) / 2^\(k)⌋")
        }
    }

    @Test func select_picksByTheBit() throws {
        let a = randomValues(Self.cases, seed: 21), b = randomValues(Self.cases, seed: 22)
        let c = randomValues(Self.cases, seed: 23).map { $0 & 1 }
        let (as_, bs, cs) = (SecureFixtures.split(a, seed: 24), SecureFixtures.split(b, seed: 25), SecureFixtures.split(c, seed: 26))
        let outcome = try SecureFixtures.run { engine in try engine.select(cs[engine.party], as_[engine.party], bs[engine.party]) }
        #expect(SecureFixtures.reconstruct(outcome.results) == c.indices.map { c[$0] == 1 ? a[$0] : b[$0] })
    }

    @Test func argmax_returnsTheLowestIndexAmongTheMaxima() throws {
        let rows = 1000, columns = 11
        var rng = RNGStream(seed: 27, purpose: .custom)
        // Few distinct values, so most rows have ties; negative values included.
        let values = (0..<(rows * columns)).map { _ in UInt64(bitPattern: Int64(rng.nextInt(below: 7)) - 3) }
        let shares = SecureFixtures.split(values, seed: 28)
        let outcome = try SecureFixtures.run { engine in
            let result = try engine.argmax(shares[engine.party], rows: rows, columns: columns)
            return [result.best, result.index]
        }
        let best = SecureFixtures.reconstruct(outcome.results.map { $0[0] }), index = SecureFixtures.reconstruct(outcome.results.map { $0[1] })
        for r in 0..<rows {
            let row = values[(r * columns)..<((r + 1) * columns)].map { Int64(bitPattern: $0) }
            let top = row.max()!
            #expect(Int64(bitPattern: best[r]) == top && Int(index[r]) == row.firstIndex(of: top)!, "row \(r): \(row)")
        }
    }

    @Test func divide_matchesTheEmulatorBitForBit_andIsCloseToTheQuotient() throws {
        let bounds = FixedPoint.DivisionBounds(lambda: 1, rows: 2000, maxHessian: 1)
        var rng = RNGStream(seed: 29, purpose: .custom)
        var numerators = [Int64](), denominators = [Int64]()
        for i in 0..<Self.cases {
            // Denominators across every power-of-two range, including the range edges.
            let x: Double = i < 40 ? Double(1 << (i % 12)) * (i % 2 == 0 ? 1 : 1.999) : 1 + rng.nextUnitDouble() * 2000 * (i % 3 == 0 ? 0.001 : 1)
            denominators.append(FixedPoint.encode(x))
            numerators.append(FixedPoint.encode((rng.nextUnitDouble() - 0.5) * 4000))
        }
        let a = SecureFixtures.split(numerators.map { UInt64(bitPattern: $0) }, seed: 30)
        let x = SecureFixtures.split(denominators.map { UInt64(bitPattern: $0) }, seed: 31)
        let outcome = try SecureFixtures.run { engine in try engine.divide(a[engine.party], by: x[engine.party], bounds: bounds) }
        let result = SecureFixtures.reconstruct(outcome.results).map { Int64(bitPattern: $0) }
        var worst = 0.0
        for i in numerators.indices {
            let emulated = try FixedPoint.divide(numerators[i], by: denominators[i], bounds: bounds)
            #expect(result[i] == emulated, "case \(i): \(numerators[i]) / \(denominators[i])")
            let exact = FixedPoint.decode(numerators[i]) / FixedPoint.decode(denominators[i])
            if exact.magnitude > 1 { worst = max(worst, (FixedPoint.decode(result[i]) - exact).magnitude / exact.magnitude) }
        }
        #expect(worst < 1.0 / 8192, "largest relative error \(worst)")
    }

    @Test func sigmoidSeg3_matchesTheEmulatorBitForBit() throws {
        let four = 4 * FixedPoint.one
        let edges: [Int64] = [0, 1, -1, four, -four, four + 1, -four - 1, four - 1, -four + 1, 7, -7, 8 * four, -8 * four]
        var rng = RNGStream(seed: 32, purpose: .custom)
        let t = edges + (0..<Self.cases).map { _ in Int64(rng.nextInt(below: Int(16 * four))) - 8 * four }
        let shares = SecureFixtures.split(t.map { UInt64(bitPattern: $0) }, seed: 33)
        let outcome = try SecureFixtures.run { engine in try engine.sigmoidSeg3(shares[engine.party]) }
        let result = SecureFixtures.reconstruct(outcome.results).map { Int64(bitPattern: $0) }
        #expect(result == t.map(FixedPoint.sigmoidSeg3))
        #expect(FixedPoint.sigmoidSeg3(-four - 1) == 0 && FixedPoint.sigmoidSeg3(four + 1) == FixedPoint.one && FixedPoint.sigmoidSeg3(0) == FixedPoint.one / 2)
    }

    @Test func bucketSums_reconstructUTransposeM() throws {
        let rows = 300, buckets = 6
        var rng = RNGStream(seed: 34, purpose: .custom)
        let bins = (0..<2).map { p in (0..<(rows * (3 + p))).map { _ in UInt8(rng.nextInt(below: buckets)) } }
        let maps = (0..<2).map { BucketMap(bins: bins[$0], rows: rows, features: 3 + $0, buckets: buckets) }
        let vectors = 4
        let u = randomValues(vectors * rows, seed: 35)
        let us = SecureFixtures.split(u, seed: 36)
        let outcome = try SecureFixtures.run { engine in
            let setup = try engine.exchangeBucketMaps(maps[engine.party], columns: (maps[0].columns, maps[1].columns))
            let sums = try engine.bucketSums(us[engine.party], vectors: vectors, setup: setup)
            return [sums.map0, sums.map1]
        }
        for owner in 0..<2 {
            let dense = maps[owner].dense(), columns = maps[owner].columns
            let got = SecureFixtures.reconstruct(outcome.results.map { $0[owner] })
            for v in 0..<vectors {
                for k in 0..<columns {
                    let expected = (0..<rows).reduce(UInt64(0)) { $0 &+ u[v * rows + $1] &* dense[$1 * columns + k] }
                    #expect(got[v * columns + k] == expected, "map \(owner) vector \(v) column \(k)")
                }
            }
        }
    }

    func sliced(_ values: [UInt64], words: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: 64 * words)
        for (e, v) in values.enumerated() {
            for i in 0..<64 where (v >> UInt64(i)) & 1 == 1 { out[i * words + e / 64] |= 1 << UInt64(e % 64) }
        }
        return out
    }
}
