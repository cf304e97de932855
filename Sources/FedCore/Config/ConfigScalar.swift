/// Interpretation of raw scalar text the way YAML users expect it.
enum ConfigScalar {
    /// Parses a YAML integer: optional sign, decimal digits, `0x` hex or `0o` octal,
    /// with `_` allowed as a digit separator. Numbers written as floats are accepted
    /// when their value is a whole number that fits, so `1e3` reads as 1000.
    static func integer(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        if let exact = exactInteger(trimmed) { return exact }
        guard let real = number(trimmed), real.rounded() == real,
              real >= -9.223_372_036_854_775_808e18, real < 9.223_372_036_854_775_808e18
        else { return nil }
        return Int(real)
    }

    /// Parses a non-negative YAML integer that fits in 64 unsigned bits.
    static func unsignedInteger(_ text: String) -> UInt64? {
        let trimmed = text.trimmingSpaces()
        var digits = Substring(trimmed.filter { $0 != "_" })
        if digits.hasPrefix("+") { digits = digits.dropFirst() }
        if let value = radixValue(digits, as: UInt64.self) { return value }
        guard let real = number(trimmed), real.rounded() == real,
              real >= 0, real < 1.844_674_407_370_955_161_6e19
        else { return nil }
        return UInt64(real)
    }

    /// Parses a YAML number: any integer or float form, including `.inf` and `.nan`.
    static func number(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces()
        if let special = specialFloat(trimmed) { return special }
        if let exact = exactInteger(trimmed) { return Double(exact) }
        let digits = trimmed.filter { $0 != "_" }
        // Swift also reads "inf", "nan" and hex floats; YAML treats those as strings,
        // so only plain decimal notation is handed over.
        let allowed = digits.allSatisfy { $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }
        guard allowed, digits.contains(where: \.isNumber) else { return nil }
        return Double(digits)
    }

    /// Parses `true`/`false`/`yes`/`no` in any letter case.
    static func boolean(_ text: String) -> Bool? {
        switch text.trimmingSpaces().lowercased() {
        case "true", "yes": true
        case "false", "no": false
        default: nil
        }
    }

    private static func exactInteger(_ text: String) -> Int? {
        var digits = Substring(text.filter { $0 != "_" })
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard let magnitude = radixValue(digits, as: UInt64.self) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { return nil }
        return Int(magnitude)
    }

    private static func radixValue<T: FixedWidthInteger>(_ digits: Substring, as type: T.Type) -> T? {
        // Int(_:radix:) accepts its own sign; the sign has already been removed here,
        // so a second one must not slip through.
        guard let first = digits.first, first.isASCII, first.isHexDigit else { return nil }
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            return T(digits.dropFirst(2), radix: 16)
        }
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") {
            return T(digits.dropFirst(2), radix: 8)
        }
        return T(digits, radix: 10)
    }

    private static func specialFloat(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": .infinity
        case "-.inf", "-.Inf", "-.INF": -.infinity
        case ".nan", ".NaN", ".NAN": .nan
        default: nil
        }
    }

    /// The candidate closest to `word` by edit distance, if it is close enough to be
    /// a plausible misspelling.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let target = Array(word.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased()))
            if distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        guard let best else { return nil }
        // Allow roughly one slip per three letters, and always at least one,
        // so short keys still get suggestions without matching everything.
        let limit = max(1, min(target.count, best.candidate.count) / 3)
        return best.distance <= limit ? best.candidate : nil
    }

    /// Levenshtein distance, counting an adjacent transposition as one edit.
    static func editDistance(_ lhs: [Character], _ rhs: [Character]) -> Int {
        if lhs.isEmpty { return rhs.count }
        if rhs.isEmpty { return lhs.count }
        var previous2 = [Int](repeating: 0, count: rhs.count + 1)
        var previous = Array(0...rhs.count)
        var current = [Int](repeating: 0, count: rhs.count + 1)
        for i in 1...lhs.count {
            current[0] = i
            for j in 1...rhs.count {
                let cost = lhs[i - 1] == rhs[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, lhs[i - 1] == rhs[j - 2], lhs[i - 2] == rhs[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[rhs.count]
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
