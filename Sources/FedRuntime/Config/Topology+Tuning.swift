import FedCore

extension Topology {
    /// `tuning:` — a study of trials, each a whole federated run of the file with some keys changed,
    /// proposed by Bayesian optimisation, random search or a grid (`fedsim tune`).
    ///
    ///     tuning:
    ///       methods: [bo, random, grid]   # [bo] each method runs its own `trials` trials
    ///       trials: 30                    # [30] the budget per method
    ///       initial_points: 5             # [5] Latin-hypercube points before the GP (bo only)
    ///       metric: test_accuracy         # [the model's headline metric]
    ///       goal: max                     # [max] or min
    ///       last_fraction: 0.1            # [0.1] a trial's value: the metric's mean over this share of its final rounds
    ///       space:                        # dotted keys, each one of:
    ///         algorithm.lr: {log_uniform: [0.001, 0.3]}
    ///         algorithm.momentum: {uniform: [0, 0.95]}
    ///         algorithm.local_epochs: {values: [1, 2, 5]}
    ///         workload.model.activation: {choice: [relu, tanh]}
    public struct TuningSpec: Sendable {
        public var methods: [TrialProposer.Method]
        public var trials: Int
        public var initialPoints: Int
        /// Nil: the model's headline metric.
        public var metric: String?
        public var maximize: Bool
        public var lastFraction: Double
        public var space: SearchSpace
    }

    static func decodeTuning(_ section: ConfigSection?) throws(ConfigError) -> TuningSpec? {
        guard let section else { return nil }
        var methods = [TrialProposer.Method]()
        if let node = section.rawNode("methods") {
            guard case let .sequence(items) = node.value, !items.isEmpty else {
                throw section.error("methods", "expected a non-empty list of bo, random, grid")
            }
            for item in items {
                guard let text = item.scalarText, let method = TrialProposer.Method(rawValue: text), !methods.contains(method) else {
                    throw ConfigError(mark: item.mark, path: item.path, message: "expected one of bo, random, grid, each once")
                }
                methods.append(method)
            }
        } else {
            methods = [.bo]
        }
        let trials = try section.int("trials", default: 30, range: 1...10_000)
        let initialPoints = try section.int("initial_points", default: 5, range: 1...1_000)
        let metric = try section.optionalString("metric")
        let maximize = try section.string("goal", oneOf: ["max", "min"], default: "max") == "max"
        let lastFraction = try section.double("last_fraction", default: 0.1, range: 0.01...1)
        guard let spaceNode = section.rawNode("space"), case let .mapping(entries) = spaceNode.value, !entries.isEmpty else {
            throw section.error("space", "expected a mapping of dotted keys to {uniform | log_uniform | values | choice: [...]}")
        }
        var dimensions = [(key: String, dimension: SearchSpace.Dimension)]()
        for entry in entries {
            if entry.key == "tuning" || entry.key.hasPrefix("tuning.") || entry.key.hasPrefix("sweep") {
                throw ConfigError(mark: entry.keyMark, path: entry.node.path, message: "a study cannot tune its own tuning or sweep keys")
            }
            dimensions.append((entry.key, try decodeDimension(entry.node)))
        }
        try section.finish()
        return TuningSpec(methods: methods, trials: trials, initialPoints: initialPoints, metric: metric, maximize: maximize,
                          lastFraction: lastFraction, space: SearchSpace(dimensions))
    }

    private static func decodeDimension(_ node: ConfigNode) throws(ConfigError) -> SearchSpace.Dimension {
        func fail(_ message: String) -> ConfigError { ConfigError(mark: node.mark, path: node.path, message: message) }
        guard case let .mapping(entries) = node.value, entries.count == 1, let entry = entries.first,
              case let .sequence(items) = entry.node.value, !items.isEmpty else {
            throw fail("expected one of {uniform: [low, high]}, {log_uniform: [low, high]}, {values: [...]}, {choice: [...]}")
        }
        let texts = items.compactMap(\.scalarText)
        guard texts.count == items.count else { throw fail("\(entry.key) takes a list of scalars") }
        let numbers = texts.compactMap(Double.init)
        switch entry.key {
        case "uniform", "log_uniform":
            guard numbers.count == 2, numbers.count == texts.count, numbers[0] < numbers[1] else {
                throw fail("\(entry.key) takes [low, high] with low < high")
            }
            if entry.key == "log_uniform" {
                guard numbers[0] > 0 else { throw fail("log_uniform needs a positive low bound") }
                return .logUniform(low: numbers[0], high: numbers[1])
            }
            return .uniform(low: numbers[0], high: numbers[1])
        case "values":
            guard numbers.count == texts.count, Set(numbers).count == numbers.count else { throw fail("values takes distinct numbers") }
            return .values(numbers)
        case "choice":
            guard Set(texts).count == texts.count, texts.count >= 2 else { throw fail("choice takes at least two distinct options") }
            return .choice(texts)
        default:
            throw fail("unknown kind '\(entry.key)'; expected uniform, log_uniform, values or choice")
        }
    }

    /// The overrides of one trial: each tuned key set to the value the point decodes to.
    public static func tuningOverrides(_ spec: TuningSpec, point: [Double]) -> [String] {
        spec.space.decode(point).map { "\($0.key)=\($0.value)" }
    }

    /// Every corner of the space must give a valid topology, so a bad key fails before any trial.
    static func validateTuning(_ spec: TuningSpec, root: ConfigNode, file: String) throws(ConfigError) {
        let width = spec.space.encodedWidth
        for corner in [[Double](repeating: 0, count: width), [Double](repeating: 1, count: width)] {
            var node = root.removing("tuning")
            for (key, value) in spec.space.decode(corner) { node = try node.setting(key, to: value) }
            _ = try Topology(node: node, file: file)
        }
    }
}
