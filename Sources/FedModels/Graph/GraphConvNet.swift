import FedCore

/// A graph convolutional network over one whole graph (Kipf & Welling, ICLR 2017), optionally
/// followed by a linear head: the split ASFGNN-R uses (private message passing, shared head).
///
/// Dimension letters: n nodes, F features, w_l the output width of convolution l (L of them),
/// C classes. Layer l: `U_l = Â (D_l(H_{l−1}) W_l) + b_l`, `H_l = act(U_l)` (the last convolution
/// is not activated when it outputs the logits), with H_{−1} = X the node features, Â the
/// normalised adjacency and D_l inverted dropout on the layer's input. Head: `Z = D(H_{L−1}) Wc + bc`.
/// Loss: mean cross-entropy of softmax(Z) over the loss nodes + (wd/2)·Σ‖W‖² (every weight matrix,
/// or only W_0 as in Kipf's code). Parameters, in layout order: `conv{l}.weight` [w_{l−1}, w_l],
/// `conv{l}.bias` [w_l] (when `biases`), `head.weight` [w_{L−1}, C], `head.bias` [C] (when `head`).
public struct GraphConvNet: Sendable {
    /// Architecture and regularisation.
    public struct Settings: Sendable, Equatable {
        /// Output width of each graph convolution; without a head the last one must equal C.
        public var widths: [Int]
        /// A linear head (with bias) from the last convolution to the classes.
        public var head: Bool
        /// Biases on the convolutions.
        public var biases: Bool
        public var activation: GraphActivation
        /// Probability of dropping each input of every layer (inverted dropout, scaled by 1/(1−p)).
        public var dropout: Float
        /// L2 coefficient wd of (wd/2)‖W‖².
        public var weightDecay: Float
        /// Decay only W_0 (Kipf's code) instead of every weight matrix.
        public var decayFirstLayerOnly: Bool

        public init(widths: [Int], head: Bool, biases: Bool, activation: GraphActivation = .relu, dropout: Float = 0.5,
                    weightDecay: Float = 5e-4, decayFirstLayerOnly: Bool = false) {
            self.widths = widths
            self.head = head
            self.biases = biases
            self.activation = activation
            self.dropout = dropout
            self.weightDecay = weightDecay
            self.decayFirstLayerOnly = decayFirstLayerOnly
        }

        /// Kipf & Welling's Cora recipe: 16 hidden, ReLU, dropout 0.5, no biases, wd 5e−4 on W_0 only.
        public static func kipf(hidden: Int = 16, classCount: Int) -> Settings {
            Settings(widths: [hidden, classCount], head: false, biases: false, decayFirstLayerOnly: true)
        }

        /// ASFGNN-R's split (spec §1.2): two activated convolutions F → h → d_e with biases, then the head.
        public static func separated(hidden: Int = 64, embedding: Int = 32, activation: GraphActivation = .relu) -> Settings {
            Settings(widths: [hidden, embedding], head: true, biases: true, activation: activation)
        }
    }

    public let settings: Settings
    public let inputDimension: Int
    public let classCount: Int
    public let layout: ParameterLayout
    /// Offsets of each convolution's weight and bias (bias nil without biases), and of the head.
    let convolutionOffsets: [(weight: Int, bias: Int?)]
    let headOffsets: (weight: Int, bias: Int)?

    public init(settings: Settings, inputDimension: Int, classCount: Int) {
        precondition(!settings.widths.isEmpty && settings.widths.allSatisfy { $0 > 0 } && inputDimension > 0 && classCount > 1,
                     "a graph network needs positive widths and at least 2 classes: \(settings.widths)")
        precondition(settings.head || settings.widths.last == classCount,
                     "without a head the last convolution must output the \(classCount) classes, not \(settings.widths.last ?? 0)")
        precondition(settings.dropout >= 0 && settings.dropout < 1, "dropout \(settings.dropout) is not in [0, 1)")
        self.settings = settings
        self.inputDimension = inputDimension
        self.classCount = classCount
        var specs = [(name: String, shape: [Int])]()
        var inWidth = inputDimension
        for (l, width) in settings.widths.enumerated() {
            specs.append(("conv\(l).weight", [inWidth, width]))
            if settings.biases { specs.append(("conv\(l).bias", [width])) }
            inWidth = width
        }
        if settings.head {
            specs.append(("head.weight", [inWidth, classCount]))
            specs.append(("head.bias", [classCount]))
        }
        let layout = ParameterLayout(specs)
        self.layout = layout
        convolutionOffsets = settings.widths.indices.map { l in
            (layout.entry(named: "conv\(l).weight")!.offset, layout.entry(named: "conv\(l).bias")?.offset)
        }
        headOffsets = settings.head ? (layout.entry(named: "head.weight")!.offset, layout.entry(named: "head.bias")!.offset) : nil
    }

    /// Width of the input of convolution l (F for l = 0).
    func inputWidth(of l: Int) -> Int { l == 0 ? inputDimension : settings.widths[l - 1] }

    /// Whether convolution l is followed by the activation.
    func isActivated(_ l: Int) -> Bool { settings.head || l < settings.widths.count - 1 }

    /// Names of the message-passing tensors (the convolutions), as opposed to the head's.
    public var convolutionTensorNames: [String] { layout.entries.map(\.name).filter { $0.hasPrefix("conv") } }
    public var headTensorNames: [String] { layout.entries.map(\.name).filter { $0.hasPrefix("head.") } }

    /// Glorot-uniform weights (bound √(6/(fan_in + fan_out))), zero biases.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        for entry in layout.entries where entry.name.hasSuffix(".weight") {
            let bound = (6 / Double(entry.shape[0] + entry.shape[1])).squareRoot()
            for i in entry.offset..<(entry.offset + entry.count) { parameters[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
        }
        return parameters
    }

    /// The buffers one graph of `nodeCount` nodes (with `featureNonZeros` stored features) needs.
    public func makeWorkspace(nodeCount: Int, featureNonZeros: Int) -> GraphConvWorkspace {
        GraphConvWorkspace(nodeCount: nodeCount, featureNonZeros: featureNonZeros, widths: settings.widths,
                           inputDimension: inputDimension, classCount: classCount, head: settings.head)
    }
}

/// One client's graph as the network sees it: features, normalised adjacency and labels.
public struct GraphInputs: Sendable {
    /// Node features [n, F] (usually row-normalised).
    public let features: SparseMatrix
    /// Â [n, n], symmetric.
    public let adjacency: SparseMatrix
    /// Class of each node, −1 when unknown.
    public let labels: [Int32]

    public init(features: SparseMatrix, adjacency: SparseMatrix, labels: [Int32]) {
        precondition(features.rowCount == adjacency.rowCount && adjacency.rowCount == adjacency.columnCount
                     && labels.count == features.rowCount, "graph inputs disagree on the node count")
        self.features = features
        self.adjacency = adjacency
        self.labels = labels
    }

    public var nodeCount: Int { labels.count }
}

/// Scratch buffers of one network on one graph, allocated once (no allocation per step).
public final class GraphConvWorkspace {
    let nodeCount: Int
    /// Dropped feature values, same sparsity pattern as the features.
    var droppedFeatures: [Float]
    /// Per convolution l: its dropped input (l ≥ 1) [n, w_{l−1}] and the input's dropout scale mask.
    var droppedInputs: [[Float]]
    var inputMasks: [[Float]]
    /// Per convolution l: D(H)W [n, w_l], the pre-activation U_l and the output H_l.
    var products: [[Float]]
    var preActivations: [[Float]]
    var outputs: [[Float]]
    /// The head's dropped input and its mask [n, w_{L−1}], and the logits [n, C].
    var headInput: [Float]
    var headMask: [Float]
    var logits: [Float]
    /// Backward temporaries: gradient w.r.t. the current layer's output and Â times it, [n, max width].
    var gradientOutput: [Float]
    var gradientPropagated: [Float]
    var gradientInput: [Float]

    init(nodeCount n: Int, featureNonZeros: Int, widths: [Int], inputDimension: Int, classCount: Int, head: Bool) {
        nodeCount = n
        droppedFeatures = [Float](repeating: 0, count: featureNonZeros)
        let inputWidths = [inputDimension] + widths.dropLast()
        droppedInputs = inputWidths.enumerated().map { l, w in [Float](repeating: 0, count: l == 0 ? 0 : n * w) }
        inputMasks = droppedInputs
        products = widths.map { [Float](repeating: 0, count: n * $0) }
        preActivations = products
        outputs = products
        let last = widths[widths.count - 1]
        headInput = [Float](repeating: 0, count: head ? n * last : 0)
        headMask = headInput
        logits = [Float](repeating: 0, count: n * classCount)
        let widest = max(widths.max() ?? 1, classCount)
        gradientOutput = [Float](repeating: 0, count: n * widest)
        gradientPropagated = gradientOutput
        gradientInput = gradientOutput
    }
}
