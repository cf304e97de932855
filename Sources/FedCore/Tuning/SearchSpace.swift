/// A hyper-parameter search space, encoded in the unit cube for the optimisers.
///
/// Continuous dimensions take one coordinate (log scale where asked); a list of allowed numbers
/// takes one coordinate cut into equal bins; a categorical choice takes one coordinate per option
/// (one-hot, relaxed), decoded by argmax. `project` snaps a point to the configuration it decodes to,
/// so two proposals that differ only inside the relaxation are the same point.
public struct SearchSpace: Sendable, Equatable {
    /// One tuned key.
    public enum Dimension: Sendable, Equatable {
        case uniform(low: Double, high: Double)
        case logUniform(low: Double, high: Double)
        /// One of these numbers (integers such as widths or epochs, or any fixed grid).
        case values([Double])
        case choice([String])

        var width: Int {
            if case let .choice(options) = self { return options.count }
            return 1
        }
    }

    /// Dotted topology keys (as `--set` takes them) with their dimension, in order.
    public let keys: [String]
    public let dimensions: [Dimension]

    public init(_ entries: [(key: String, dimension: Dimension)]) {
        keys = entries.map(\.key)
        dimensions = entries.map(\.dimension)
    }

    /// Coordinates of the encoding.
    public var encodedWidth: Int { dimensions.reduce(0) { $0 + $1.width } }

    /// The configuration a unit-cube point stands for, as `key → YAML scalar text`.
    public func decode(_ point: [Double]) -> [(key: String, value: String)] {
        precondition(point.count == encodedWidth, "point of \(point.count) coordinates for a \(encodedWidth)-wide space")
        var offset = 0
        var result = [(key: String, value: String)]()
        for (key, dimension) in zip(keys, dimensions) {
            let u = min(max(point[offset], 0), 1)
            switch dimension {
            case let .uniform(low, high): result.append((key, Self.text(low + u * (high - low))))
            case let .logUniform(low, high):
                result.append((key, Self.text(libmExp(libmLog(low) + u * (libmLog(high) - libmLog(low))))))
            case let .values(values): result.append((key, Self.text(values[Self.bin(u, values.count)])))
            case let .choice(options):
                let slice = point[offset..<(offset + options.count)]
                result.append((key, options[slice.indices.max { slice[$0] < slice[$1] }! - offset]))
            }
            offset += dimension.width
        }
        return result
    }

    /// The canonical point of the configuration `point` decodes to: list dimensions at their bin's
    /// centre, choices one-hot; continuous coordinates are kept (clamped to [0, 1]).
    public func project(_ point: [Double]) -> [Double] {
        var out = point.map { min(max($0, 0), 1) }
        var offset = 0
        for dimension in dimensions {
            switch dimension {
            case let .values(values): out[offset] = (Double(Self.bin(out[offset], values.count)) + 0.5) / Double(values.count)
            case let .choice(options):
                let best = (offset..<(offset + options.count)).max { out[$0] < out[$1] }!
                for i in offset..<(offset + options.count) { out[i] = i == best ? 1 : 0 }
            default: break
            }
            offset += dimension.width
        }
        return out
    }

    static func bin(_ u: Double, _ count: Int) -> Int { min(Int(u * Double(count)), count - 1) }

    /// Short, exact-enough decimal text for a YAML scalar (integers without a fraction).
    static func text(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(Float(value))
    }
}
