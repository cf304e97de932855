import FedCore

/// The model kinds a topology file may name, and how to build each.
public enum ModelCatalog {
    /// A model description as written in a topology file.
    public struct Spec: Sendable, Equatable {
        /// One of `kinds`.
        public var kind: String
        /// Hidden layer widths (mlp), feature extractor widths (dann), generator hidden widths (gan).
        public var hidden: [Int]
        /// Hidden widths of the discriminator (dann, gan).
        public var discriminatorHidden: [Int]
        /// c, the weight of the adversarial term (dann; 0 trains on the source domain alone).
        public var adversarialWeight: Double
        /// k, the width of the generator's noise input (gan).
        public var latentDimension: Int = 2
        /// λ, the regulariser of the class weights (fair_mlp).
        public var fairnessRegularization: Double = 0.1

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
        ("gan", "2-D GAN: generator (`hidden`, noise width `latent_dim`) against discriminator (`discriminator_hidden`); "
            + "data set gaussian_mixture; reports modes_covered"),
        ("dann", "domain-adversarial network: features (`hidden`), classifier, discriminator (`discriminator_hidden`); "
            + "two-domain data sets; reports target_accuracy"),
        ("fair_mlp", "MLP (`hidden`) against class weights on the simplex, min-max of the class losses (`fairness_reg`: λ); "
            + "reports worst_class_accuracy"),
    ]

    /// Builds the model for data of the given shape; `classPriors` (each class's share of the training
    /// rows) weighs fair_mlp's class losses, uniform when not given.
    public static func make(_ spec: Spec, inputDimension: Int, classCount: Int, classPriors: [Double]? = nil) -> any DifferentiableModel {
        switch spec.kind {
        case "logreg": return MLP(inputDimension: inputDimension, hidden: [], classCount: classCount)
        case "quadratic_saddle":
            // Topology decoding pairs this model with the quadratic_saddle data set, whose rows fix d.
            return QuadraticSaddleModel(dimension: QuadraticSaddle.dimension(rowWidth: inputDimension) ?? 1)
        case "gan":
            // Topology decoding pairs this model with the gaussian_mixture data set (2-D rows).
            return GAN2D(latentDimension: spec.latentDimension, generatorHidden: spec.hidden,
                         discriminatorHidden: spec.discriminatorHidden)
        case "dann":
            return DANN(inputDimension: inputDimension, classCount: classCount, settings: DANN.Settings(
                featureWidths: spec.hidden, discriminatorHidden: spec.discriminatorHidden,
                adversarialWeight: Float(spec.adversarialWeight)))
        case "fair_mlp":
            return FairClassifier(inputDimension: inputDimension, hidden: spec.hidden, classCount: classCount, classPriors: classPriors,
                                  regularization: Float(spec.fairnessRegularization))
        default: return MLP(inputDimension: inputDimension, hidden: spec.hidden, classCount: classCount)
        }
    }
}
