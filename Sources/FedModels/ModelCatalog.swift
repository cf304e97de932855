import FedCore

/// The model kinds a topology file may name, and how to build each.
public enum ModelCatalog {
    /// A model description as written in a topology file.
    public struct Spec: Sendable, Equatable {
        /// One of `kinds`.
        public var kind: String
        /// Hidden layer widths (mlp), feature extractor widths (dann).
        public var hidden: [Int]
        /// Hidden widths of the discriminator (dann).
        public var discriminatorHidden: [Int]
        /// c, the weight of the adversarial term (dann; 0 trains on the source domain alone).
        public var adversarialWeight: Double

        public init(kind: String, hidden: [Int], discriminatorHidden: [Int] = [], adversarialWeight: Double = 1) {
            self.kind = kind
            self.hidden = hidden
            self.discriminatorHidden = discriminatorHidden
            self.adversarialWeight = adversarialWeight
        }
    }

    /// Names and one-line descriptions, for `fedsim list`.
    public static let kinds: [(name: String, summary: String)] = [
        ("logreg", "multinomial logistic regression (softmax, no hidden layer)"),
        ("mlp", "multilayer perceptron, ReLU hidden layers (`hidden: [64]`), softmax cross-entropy"),
        ("quadratic_saddle", "two-player quadratic game per client (data set quadratic_saddle); reports saddle_distance"),
        ("dann", "domain-adversarial network: features (`hidden`), classifier, discriminator (`discriminator_hidden`); "
            + "data set digits_to_mnist8; reports target_accuracy"),
    ]

    /// Builds the model for data of the given shape.
    public static func make(_ spec: Spec, inputDimension: Int, classCount: Int) -> any DifferentiableModel {
        switch spec.kind {
        case "logreg": return MLP(inputDimension: inputDimension, hidden: [], classCount: classCount)
        case "quadratic_saddle":
            // Topology decoding pairs this model with the quadratic_saddle data set, whose rows fix d.
            return QuadraticSaddleModel(dimension: QuadraticSaddle.dimension(rowWidth: inputDimension) ?? 1)
        case "dann":
            return DANN(inputDimension: inputDimension, classCount: classCount, settings: DANN.Settings(
                featureWidths: spec.hidden, discriminatorHidden: spec.discriminatorHidden,
                adversarialWeight: Float(spec.adversarialWeight)))
        default: return MLP(inputDimension: inputDimension, hidden: spec.hidden, classCount: classCount)
        }
    }
}
