import FedCore

/// Fixed-point arithmetic of the secure-XGB protocol in plain `Int64` (spec §2.4.2, §2.6 R1): the
/// same operations, the same exact floor truncations, the same division and sigmoid, so the
/// emulator reproduces the secure protocol's values bit for bit. Values are raw integers x·2^f.
public enum FixedPoint {
    public static let fractionBits = RingArithmetic.fractionBits
    public static let one = Int64(1) << Int64(fractionBits)

    /// The spec's range budget: shared fixed-point values below 2^30 (real), products before
    /// truncation below 2^30 (real) too, which keeps raw values below 2^62.
    public static let valueLimit = Int64(1) << 46
    public static let productLimit = Int64(1) << 62

    public struct BudgetExceeded: Error, Equatable, CustomStringConvertible {
        public let operation: String
        public var description: String {
            "fixed-point range budget exceeded in \(operation): values must stay below 2^30 (choose a larger λ, scale the labels into [−1, 1], or use fewer rows)"
        }
    }

    public static func encode(_ x: Double) -> Int64 { Int64(bitPattern: RingArithmetic.encode(x)) }
    public static func decode(_ x: Int64) -> Double { Double(x) / Double(one) }

    /// ⌊a·b / 2^f⌋ (Mul followed by TruncExact), checking the budget.
    public static func multiply(_ a: Int64, _ b: Int64, _ operation: String) throws -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, product.magnitude < productLimit.magnitude else { throw BudgetExceeded(operation: operation) }
        return product >> Int64(fractionBits)
    }

    /// Checks a shared value against the budget.
    @discardableResult
    public static func checked(_ x: Int64, _ operation: String) throws -> Int64 {
        guard x.magnitude < valueLimit.magnitude else { throw BudgetExceeded(operation: operation) }
        return x
    }

    /// The power-of-two range of a division's denominator (spec §2.4.4 Div): x ∈ [2^low, 2^(high+1)).
    public struct DivisionBounds: Sendable, Equatable {
        public let low: Int
        public let high: Int

        public init(low: Int, high: Int) {
            precondition(low < high && low >= -fractionBits && high + 1 <= 40, "division bounds 2^\(low)…2^\(high + 1)")
            self.low = low
            self.high = high
        }

        /// For x = H + λ with H ≤ rows·maxHessian: low = ⌊log2 λ⌋, high = ⌈log2(rows·maxHessian + λ)⌉.
        public init(lambda: Double, rows: Int, maxHessian: Double) {
            precondition(lambda > 0 && lambda.isFinite, "λ must be positive")
            let top = Double(rows) * maxHessian + lambda
            let ceilLog2 = Int(top.exponent) + (top == Double(sign: .plus, exponent: top.exponent, significand: 1) ? 0 : 1)
            self.init(low: Int(lambda.exponent), high: max(ceilLog2, Int(lambda.exponent) + 1))
        }

        /// T = high + 1: the shift that normalises x into [0.5, 1).
        public var shift: Int { high + 1 }
        /// The thresholds compared against: 2^t for t = low+1 … high.
        public var thresholds: ClosedRange<Int> { (low + 1)...high }
    }

    /// enc(2^t), exactly.
    public static func powerOfTwo(_ t: Int) -> Int64 { Int64(1) << Int64(t + fractionBits) }

    /// Newton–Raphson's start y0 = 2.9142 − 2·x̃ uses this constant.
    public static let newtonStart = encode(2.9142)

    /// a / x as the protocol computes it: the one-hot power-of-two range of x, normalisation to
    /// x̃ ∈ [0.5, 1) by one exact truncation, three Newton steps for 1/x̃, then the scale back.
    public static func divide(_ a: Int64, by x: Int64, bounds: DivisionBounds) throws -> Int64 {
        let shift = bounds.shift
        var range = bounds.low
        for t in bounds.thresholds where x >= powerOfTwo(t) { range = t }
        // The protocol's one-hot selects exactly one t; x below 2^low still uses t = low.
        let normalised = (x << Int64(shift - range - 1)) >> Int64(shift)
        var y = newtonStart - 2 * normalised
        for _ in 0..<3 {
            let p = try multiply(normalised, y, "division (Newton step)")
            y = try multiply(y, 2 * one - p, "division (Newton step)")
        }
        let v = try multiply(a, y, "division (numerator)")
        let scaled = v << Int64(shift - range - 1)
        guard scaled.magnitude < productLimit.magnitude, (scaled >> Int64(shift - range - 1)) == v else {
            throw BudgetExceeded(operation: "division (scale back)")
        }
        return scaled >> Int64(shift)
    }

    /// SecretFlow's three-piece sigmoid: 0 below −4, 1 above 4, 0.5 + t/8 between (t/8 by an exact
    /// floor truncation).
    public static func sigmoidSeg3(_ t: Int64) -> Int64 {
        if t + 4 * one < 0 { return 0 }
        if 4 * one - t < 0 { return one }
        return encode(0.5) + (t >> 3)
    }
}
