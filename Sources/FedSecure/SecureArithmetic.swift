import FedCore
import FedModels

/// Select, Argmax, Div and the sigmoid on shares (spec §2.4.4), each the exact counterpart of the
/// `FixedPoint` operation the emulator runs, so both give the same integers.
extension SecureEngine {
    static let f = RingArithmetic.fractionBits

    /// ⌊x·y / 2^f⌋ for two fixed-point sharings.
    public func multiplyFixed(_ x: [UInt64], _ y: [UInt64]) throws -> [UInt64] {
        try truncate(try multiply(x, y), by: Self.f)
    }

    /// c ? a : b for an unscaled 0/1 sharing c: b + c·(a − b).
    public func select(_ c: [UInt64], _ a: [UInt64], _ b: [UInt64]) throws -> [UInt64] {
        let product = try multiply(c, zip(a, b).map { $0 &- $1 })
        return zip(b, product).map { $0 &+ $1 }
    }

    /// Per row of `values` [rows, columns]: the largest value and its column (the lowest column among
    /// equal maxima), by a tournament of pairs (2j, 2j+1) that keeps the left one on ties.
    public func argmax(_ values: [UInt64], rows: Int, columns: Int) throws -> (best: [UInt64], index: [UInt64]) {
        precondition(values.count == rows * columns && columns >= 1, "argmax over [\(rows), \(columns)]")
        var value = values
        var index = (0..<(rows * columns)).map { isLeader ? UInt64($0 % columns) : 0 }
        var width = columns
        while width > 1 {
            let pairs = width / 2, next = pairs + width % 2
            var left = [UInt64](), right = [UInt64](), leftIndex = [UInt64](), rightIndex = [UInt64]()
            left.reserveCapacity(rows * pairs); right.reserveCapacity(rows * pairs)
            for r in 0..<rows {
                for j in 0..<pairs {
                    left.append(value[r * width + 2 * j]); right.append(value[r * width + 2 * j + 1])
                    leftIndex.append(index[r * width + 2 * j]); rightIndex.append(index[r * width + 2 * j + 1])
                }
            }
            let keepLeft = try greaterOrEqual(left, right)
            let both = try multiply(keepLeft + keepLeft, zip(left, right).map { $0 &- $1 } + zip(leftIndex, rightIndex).map { $0 &- $1 })
            var nextValue = [UInt64](repeating: 0, count: rows * next), nextIndex = nextValue
            let half = rows * pairs
            for r in 0..<rows {
                for j in 0..<pairs {
                    nextValue[r * next + j] = right[r * pairs + j] &+ both[r * pairs + j]
                    nextIndex[r * next + j] = rightIndex[r * pairs + j] &+ both[half + r * pairs + j]
                }
                if width % 2 == 1 {
                    nextValue[r * next + pairs] = value[r * width + width - 1]
                    nextIndex[r * next + pairs] = index[r * width + width - 1]
                }
            }
            value = nextValue
            index = nextIndex
            width = next
        }
        return (value, index)
    }

    /// a / x for fixed-point sharings with x ∈ [2^low, 2^(high+1)) (spec §2.4.4 Div).
    public func divide(_ a: [UInt64], by x: [UInt64], bounds: FixedPoint.DivisionBounds) throws -> [UInt64] {
        precondition(a.count == x.count, "divide: \(a.count) numerators, \(x.count) denominators")
        let n = x.count
        if n == 0 { return [] }
        let thresholds = Array(bounds.thresholds), shift = bounds.shift
        // b_t = [x ≥ 2^t] for the inner thresholds, in one batch.
        var differences = [UInt64]()
        differences.reserveCapacity(thresholds.count * n)
        for t in thresholds {
            let power = UInt64(bitPattern: FixedPoint.powerOfTwo(t))
            for i in 0..<n { differences.append(isLeader ? x[i] &- power : x[i]) }
        }
        let atLeast = try greaterOrEqual(differences, [UInt64](repeating: 0, count: differences.count))
        // One-hot c_t = b_t − b_{t+1} for t = low … high, with b_low = 1 and b_(high+1) = 0.
        let ranges = thresholds.count + 1
        var oneHot = [UInt64](repeating: 0, count: ranges * n)
        for r in 0..<ranges {
            for i in 0..<n {
                let here = r == 0 ? (isLeader ? 1 : 0) : atLeast[(r - 1) * n + i]
                let above = r + 1 < ranges ? atLeast[r * n + i] : 0
                oneHot[r * n + i] = here &- above
            }
        }
        func scaleBack(_ products: [UInt64]) throws -> [UInt64] {
            var sum = [UInt64](repeating: 0, count: n)
            for r in 0..<ranges {
                let up = UInt64(shift - (bounds.low + r) - 1)
                for i in 0..<n { sum[i] &+= products[r * n + i] << up }
            }
            return try truncate(sum, by: shift)
        }
        let replicatedX = (0..<ranges).flatMap { _ in x }
        let normalised = try scaleBack(try multiply(oneHot, replicatedX))
        let start = UInt64(bitPattern: FixedPoint.newtonStart), two = UInt64(bitPattern: 2 * FixedPoint.one)
        var y = normalised.map { (isLeader ? start : 0) &- 2 &* $0 }
        for _ in 0..<3 {
            let p = try multiplyFixed(normalised, y)
            y = try multiplyFixed(y, p.map { (isLeader ? two : 0) &- $0 })
        }
        let v = try multiplyFixed(a, y)
        return try scaleBack(try multiply(oneHot, (0..<ranges).flatMap { _ in v }))
    }

    /// SecretFlow's three-piece sigmoid: s = 0.5 + ⌊t/8⌋, then 0 below −4 and 1 above 4.
    public func sigmoidSeg3(_ t: [UInt64]) throws -> [UInt64] {
        let n = t.count
        let half = UInt64(bitPattern: FixedPoint.encode(0.5)), four = UInt64(bitPattern: 4 * FixedPoint.one)
        let s = try truncate(t, by: 3).map { isLeader ? $0 &+ half : $0 }
        let outside = try lessThanZero(t.map { isLeader ? $0 &+ four : $0 } + t.map { (isLeader ? four : 0) &- $0 })
        let cut = try multiply(outside, s + s)
        return (0..<n).map { i in
            s[i] &- cut[i] &- cut[n + i] &+ (outside[n + i] << UInt64(Self.f))
        }
    }
}
