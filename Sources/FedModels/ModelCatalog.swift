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
        /// Settings of the bilevel problems.
        public var bilevel = BilevelOptions()
        /// Settings of the graph network (gcn).
        public var graph = GraphOptions()
        /// The adapter network (lora, mixlora, remix).
        public var adapter = AdapterOptions()
        /// The recommender network (bpr_mf, ncf).
        public var recommender = RecommenderModel.Network.matrixFactorization(dimension: 64, regularization: 1e-4)

        public init(kind: String, hidden: [Int], discriminatorHidden: [Int] = [], adversarialWeight: Double = 1) {
            self.kind = kind
            self.hidden = hidden
            self.discriminatorHidden = discriminatorHidden
            self.adversarialWeight = adversarialWeight
        }
    }

    /// What the adapter kinds read from a topology file; `baseSeed` is the run seed (set when the
    /// workload is prepared), so the frozen base is the same in every process and in the teacher.
    public struct AdapterOptions: Sendable, Equatable {
        public var hidden = 64
        public var experts = 8
        public var rank = 4
        public var topK = 2
        public var selections = 4
        public var auxiliary = 0.01
        public var baseSeed: UInt64 = 0
        /// Routers stay on their clients (`personal_router`): never sent, never averaged.
        public var personalRouter = false
        /// ReMix's evaluation routing: the top-k of q (default) or k draws as in training.
        public var sampledInference = false
        /// S'MoRE's hierarchy, gates and initialisation (`smore`).
        public var structural = StructuralMixtureMLP.Settings()
        public init() {}

        /// The network for any adapter kind (lora, mixlora, remix or smore).
        public func network(kind: String, inputs: Int, classes: Int) -> any DifferentiableModel {
            guard kind == "smore" else { return model(kind: kind, inputs: inputs, classes: classes) }
            var settings = structural
            settings.personalRouter = personalRouter
            return StructuralMixtureMLP(inputs: inputs, hidden: hidden, classes: classes, settings: settings, baseSeed: baseSeed)
        }

        /// The network for `kind` (lora, mixlora or remix).
        public func model(kind: String, inputs: Int, classes: Int) -> AdapterMLP {
            switch kind {
            case "lora": return AdapterMLP(inputs: inputs, hidden: hidden, classes: classes, experts: 1, rank: rank, routing: .single, baseSeed: baseSeed)
            case "mixlora":
                return AdapterMLP(inputs: inputs, hidden: hidden, classes: classes, experts: experts, rank: rank,
                                  routing: .learned(topK: topK, auxiliary: auxiliary), baseSeed: baseSeed, personalRouter: personalRouter)
            default:
                return AdapterMLP(inputs: inputs, hidden: hidden, classes: classes, experts: experts, rank: rank,
                                  routing: .reinforced(topK: topK, selections: selections), baseSeed: baseSeed, personalRouter: personalRouter,
                                  sampledInference: sampledInference)
            }
        }
    }

    /// What the bilevel model kinds read from a topology file.
    public struct BilevelOptions: Sendable, Equatable {
        /// p and q of `quadratic_bilevel` (taken from its data set's keys).
        public var upperDimension = 5
        public var lowerDimension = 5
        /// σ of the quadratic's oracle noise.
        public var oracleNoise = 0.0
        /// λ of the quadratic's upper loss (λ/2)‖x‖².
        public var upperRegularization = 0.1
        /// Share of each class's training rows that form the upper level's validation rows (data problems).
        public var validationFraction = 0.2
        /// Share of the lower level's rows whose labels are replaced by a wrong class (hyper_cleaning).
        public var labelNoise = 0.3
        /// Weight of the header's norm penalty in the lower loss (hyper_representation).
        public var headerPenalty = 0.05
        /// c in the classifier's c‖y‖² (hyper_cleaning).
        public var cleaningRegularization = 0.001
        public init() {}
    }

    /// What the gcn kind reads from a topology file (`hidden` holds the convolution widths).
    public struct GraphOptions: Sendable, Equatable {
        /// A linear head after the convolutions (ASFGNN-R's split); without it a last convolution
        /// outputs the classes (Kipf & Welling's GCN).
        public var head = true
        public var biases = true
        public var activation = GraphActivation.relu
        public var dropout = 0.5
        public var weightDecay = 5e-4
        /// Decay W_0 only, as Kipf's code does.
        public var decayFirstLayerOnly = false
        public init() {}

        /// The network's settings for `hidden` convolution widths and `classCount` classes.
        public func settings(hidden: [Int], classCount: Int) -> GraphConvNet.Settings {
            GraphConvNet.Settings(widths: head ? hidden : hidden + [classCount], head: head, biases: biases, activation: activation,
                                  dropout: Float(dropout), weightDecay: Float(weightDecay), decayFirstLayerOnly: decayFirstLayerOnly)
        }
    }

    /// Kinds trained over whole subgraphs by the graph algorithms (their data sets are graphs).
    public static let graphKinds: Set<String> = ["gcn"]

    /// Recommender kinds (their data sets are interactions, one user per client).
    public static let recommenderKinds: Set<String> = ["bpr_mf", "ncf", "lightgcn", "ngcf"]

    /// Adapter kinds: a frozen base with trainable low-rank adapters (their tensors partly never travel).
    public static let adapterKinds: Set<String> = ["lora", "mixlora", "remix", "smore"]

    /// Kinds that are bilevel problems (they pair with the bilevel algorithms only).
    public static let bilevelKinds: Set<String> = ["quadratic_bilevel", "hyper_representation", "hyper_cleaning", "regularization_tuning"]

    /// Bilevel kinds whose levels are the training and validation rows of a labelled data set.
    public static let bilevelDataKinds: Set<String> = ["hyper_representation", "hyper_cleaning", "regularization_tuning"]

    /// Names and one-line descriptions, for `fedsim list`.
    public static let kinds: [(name: String, summary: String)] = [
        ("logreg", "multinomial logistic regression (softmax, no hidden layer)"),
        ("lora", "frozen 2-layer base (`hidden`) + one LoRA of `rank` per layer; only the adapters train and travel"),
        ("mixlora", "frozen base + `experts` LoRAs of `rank` per layer, learned top-`top_k` routing, load balancing `auxiliary` (MixLoRA)"),
        ("remix", "frozen base + `experts` LoRAs per layer, `top_k` drawn from the router, RLOO over `selections` draws (ReMix)"),
        ("smore", "frozen base + S'MoRE per layer: `experts`, `fanout`, `ranks` per level (bottom first), `gate` switch or dense, "
            + "`init` w_final_zero or eq_1_layer, `gate_width`, `down_width`, `auxiliary`"),
        ("mlp", "multilayer perceptron, ReLU hidden layers (`hidden: [64]`), softmax cross-entropy"),
        ("quadratic_saddle", "two-player quadratic game per client (data set quadratic_saddle); reports saddle_distance"),
        ("gan", "2-D GAN: generator (`hidden`, noise width `latent_dim`) against discriminator (`discriminator_hidden`); "
            + "data set gaussian_mixture; reports modes_covered"),
        ("dann", "domain-adversarial network: features (`hidden`), classifier, discriminator (`discriminator_hidden`); "
            + "two-domain data sets; reports target_accuracy"),
        ("fair_mlp", "MLP (`hidden`) against class weights on the simplex, min-max of the class losses (`fairness_reg`: λ); "
            + "reports worst_class_accuracy"),
        ("quadratic_bilevel", "bilevel quadratic per client (data set quadratic_bilevel; `noise`: oracle σ, `upper_reg`: λ); "
            + "reports hypergrad_norm_sq, the exact ‖∇Φ(x)‖²"),
        ("hyper_representation", "bilevel: MLP with one hidden layer (`hidden: [w]`); x = the first layer, y = the header "
            + "(lower loss: training CE + `header_penalty`·norms; upper: validation CE; `validation_fraction`)"),
        ("hyper_cleaning", "bilevel: x = one weight logit per training row, y = a linear classifier; `label_noise` of the "
            + "training labels corrupted; reports clean test_accuracy and corrupted_weight/clean_weight"),
        ("regularization_tuning", "bilevel: binary logistic regression (y) with one learned penalty e^x_d per feature (x); "
            + "two-class data (breast_cancer); `validation_fraction`"),
        ("gcn", "graph convolutional network over each client's subgraph (`hidden`: convolution widths, `head`, `biases`, "
            + "`activation`, `dropout`, `weight_decay`); graph data sets; evaluated on the clients"),
        ("bpr_mf", "BPR matrix factorisation (`dimension`, `regularization`: λ); interaction data sets; user rows private"),
        ("ncf", "neural collaborative filtering (`variant`: gmf, mlp or neumf; `factors`, `tower`); interaction data sets; "
            + "user rows private"),
        ("lightgcn", "LightGCN (`dimension`, `layers`: K, `regularization`); interaction data sets; trained by `fedsim central`"),
        ("ngcf", "NGCF, code form (`dimension`, `layers`, `regularization`, `message_dropout`); interaction data sets; "
            + "trained by `fedsim central`"),
    ]

    /// Builds the model for data of the given shape; `classPriors` (each class's share of the training
    /// rows) weighs fair_mlp's class losses, uniform when not given; `trainingTags` (the bilevel tags of
    /// every training row) size hyper_cleaning's x, one weight per row.
    public static func make(_ spec: Spec, inputDimension: Int, classCount: Int, classPriors: [Double]? = nil,
                            trainingTags: [UInt8]? = nil) -> any DifferentiableModel {
        switch spec.kind {
        case "logreg": return MLP(inputDimension: inputDimension, hidden: [], classCount: classCount)
        case "lora", "mixlora", "remix", "smore": return spec.adapter.network(kind: spec.kind, inputs: inputDimension, classes: classCount)
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
        case "quadratic_bilevel":
            return QuadraticBilevelModel(upper: spec.bilevel.upperDimension, lower: spec.bilevel.lowerDimension,
                                         upperRegularization: spec.bilevel.upperRegularization, noise: spec.bilevel.oracleNoise)
        case "hyper_representation":
            return HyperRepresentation(inputDimension: inputDimension, hidden: spec.hidden.first ?? 32, classCount: classCount,
                                       headerPenalty: spec.bilevel.headerPenalty)
        case "regularization_tuning":
            return RegularizationTuning(inputDimension: inputDimension)
        case "hyper_cleaning":
            return HyperCleaning(inputDimension: inputDimension, classCount: classCount, trainingRowCount: trainingTags?.count ?? 0,
                                 regularization: spec.bilevel.cleaningRegularization, trainingTags: trainingTags)
        case "gcn":
            return GraphModel(network: GraphConvNet(settings: spec.graph.settings(hidden: spec.hidden, classCount: classCount),
                                                    inputDimension: inputDimension, classCount: classCount))
        case "fair_mlp":
            return FairClassifier(inputDimension: inputDimension, hidden: spec.hidden, classCount: classCount, classPriors: classPriors,
                                  regularization: Float(spec.fairnessRegularization))
        default: return MLP(inputDimension: inputDimension, hidden: spec.hidden, classCount: classCount)
        }
    }
}
