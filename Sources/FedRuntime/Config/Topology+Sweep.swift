import FedCore

extension Topology {
    /// `sweep:` — run the topology once per value of one key and summarise each run by a plateau.
    ///
    ///     sweep:
    ///       key: federation.per_round     # any scalar key, dotted
    ///       values: [1, 2, 4, 8, 16]
    ///       metric: test_accuracy         # [the model's headline metric]
    ///       last_fraction: 0.5            # [0.5] share of the final rounds averaged into the plateau
    ///       log_y: true                   # [the headline metric's scale] for the overlay of the runs
    public struct SweepSpec: Sendable {
        public var key: String
        public var values: [String]
        /// Nil: the model's headline metric.
        public var metric: String?
        public var lastFraction: Double
        /// Log axis for the metric in the runs' overlay (nil: as the model's headline metric).
        public var logarithmic: Bool?
    }

    static func decodeSweep(_ section: ConfigSection?) throws(ConfigError) -> SweepSpec? {
        guard let section else { return nil }
        let key = try section.string("key")
        if key == "sweep" || key.hasPrefix("sweep.") { throw section.error("key", "a sweep cannot change itself") }
        guard let valuesNode = section.rawNode("values"), case let .sequence(items) = valuesNode.value, !items.isEmpty else {
            throw section.error("values", "expected a non-empty list of values")
        }
        var values = [String]()
        for item in items {
            guard let text = item.scalarText else {
                throw ConfigError(mark: item.mark, path: item.path, message: "expected a scalar value, got \(item.kindDescription)")
            }
            values.append(text)
        }
        if Set(values).count != values.count { throw section.error("values", "values repeat; each run needs its own value") }
        let spec = SweepSpec(
            key: key, values: values, metric: try section.optionalString("metric"),
            lastFraction: try section.double("last_fraction", default: 0.5, range: 0.01...1),
            logarithmic: section.has("log_y") ? try section.bool("log_y") : nil)
        try section.finish()
        return spec
    }

    /// The topology of one sweep value: the file with `key` set to `value` and no sweep section.
    public static func sweepVariant(root: ConfigNode, file: String, key: String, value: String) throws(ConfigError) -> Topology {
        try Topology(node: root.removing("sweep").setting(key, to: value), file: file)
    }
}
