import FedCore
import FedModels

/// The `algorithm:` keys of a `secure_xgb` run (spec §2.4.11 test defaults; `rounds` is the number
/// of trees):
///
/// ```yaml
/// algorithm: {name: secure_xgb, rounds: 5, depth: 4, learning_rate: 0.3, lambda: 1.0, buckets: 16,
///             loss: logistic, base_score: 0, randomness: system, compare_plaintext: false}
/// ```
///
/// `randomness: system` keys the dealer's ChaCha20 streams (and each party's input masks) from the
/// operating system's random source: what a deployment needs. `seeded` derives the keys from the
/// run seed, which every party knows, so it offers no secrecy: for reproducing transcripts and
/// debugging only. Results are bit-identical either way (every operation is exact).
public struct SecureXGBSettings: Sendable, Equatable {
    public static let algorithmName = "secure_xgb"

    public enum Randomness: String, Sendable, CaseIterable { case system, seeded }

    public var boosting: BinnedBoosting.Settings
    public var buckets: Int
    public var randomness: Randomness
    /// Simulation only: the coordinator also reads the whole table and trains the plaintext
    /// references (float XGB on the same bins, and the fixed-point emulator) for comparison.
    public var comparePlaintext: Bool

    public init(boosting: BinnedBoosting.Settings, buckets: Int, randomness: Randomness, comparePlaintext: Bool = false) {
        self.boosting = boosting
        self.buckets = buckets
        self.randomness = randomness
        self.comparePlaintext = comparePlaintext
    }

    public static func decode(_ section: ConfigSection, trees: Int) throws(ConfigError) -> SecureXGBSettings {
        var boosting = BinnedBoosting.Settings()
        boosting.trees = trees
        boosting.depth = try section.int("depth", default: 4, range: 1...12)
        boosting.learningRate = try section.double("learning_rate", default: 0.3, range: 0.000_001...10)
        boosting.lambda = try section.double("lambda", default: 1, range: 0.01...1_000_000)
        boosting.baseScore = try section.double("base_score", default: 0, range: -1_000...1_000)
        boosting.loss = BinnedBoosting.Loss(rawValue: try section.string("loss", oneOf: BinnedBoosting.Loss.allCases.map(\.rawValue),
                                                                          default: "logistic")) ?? .logistic
        let buckets = try section.int("buckets", default: 16, range: 2...256)
        let randomness = Randomness(rawValue: try section.string("randomness", oneOf: Randomness.allCases.map(\.rawValue),
                                                                 default: "system")) ?? .system
        let compare = try section.bool("compare_plaintext", default: false)
        return SecureXGBSettings(boosting: boosting, buckets: buckets, randomness: randomness, comparePlaintext: compare)
    }
}
