import FedCore

/// The model kinds a topology file may name, and how to build each.
public enum ModelCatalog {
    /// A model description as written in a topology file.
    public struct Spec: Sendable, Equatable {
        /// `logreg` or `mlp`.
        public var kind: String
        /// Hidden layer widths (mlp only).
        public var hidden: [Int]
        public init(kind: String, hidden: [Int]) { self.kind = kind; self.hidden = hidden }
    }

    /// Names and one-line descriptions, for `fedsim list`.
    public static let kinds: [(name: String, summary: String)] = [
        ("logreg", "multinomial logistic regression (softmax, no hidden layer)"),
        ("mlp", "multilayer perceptron, ReLU hidden layers (`hidden: [64]`), softmax cross-entropy"),
        ("quadratic_saddle", "two-player quadratic game per client (data set quadratic_saddle); reports saddle_distance"),
    ]

    /// Builds the model for data of the given shape.
    public static func make(_ spec: Spec, inputDimension: Int, classCount: Int) -> any DifferentiableModel {
        switch spec.kind {
        case "logreg": return MLP(inputDimension: inputDimension, hidden: [], classCount: classCount)
        case "quadratic_saddle":
            // Topology decoding pairs this model with the quadratic_saddle data set, whose rows fix d.
            return QuadraticSaddleModel(dimension: QuadraticSaddle.dimension(rowWidth: inputDimension) ?? 1)
        default: return MLP(inputDimension: inputDimension, hidden: spec.hidden, classCount: classCount)
        }
    }
}
