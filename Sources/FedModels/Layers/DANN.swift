import FedCore

/// A domain-adversarial network (DANN; Ganin et al., "Domain-Adversarial Training of Neural
/// Networks", JMLR 2016): a feature extractor φ, a label classifier and a domain discriminator.
///
/// Players (one flat buffer, min player first): ω = (φ, classifier), ψ = discriminator.
/// On a batch of source rows (class label ≥ 0) and target rows (label −1):
///
///     L_class  = mean over source rows of CE(classifier(φ(x)), y)
///     L_domain = mean over all rows of CE(discriminator(φ(x)), d),  d = 0 source, 1 target
///     ω descends L_total = L_class − c·L_domain;   ψ descends L_domain   (simultaneous, one pass)
///
/// which is the minimax game min_ω max_ψ (L_class − c·L_domain) with the discriminator's sign folded
/// into its gradient, as in the FedMM reference code. Dimension letters: B batch, d input width,
/// f feature width. Tensors: `feature.layer{l}.*`, `classifier.layer{l}.*`, `discriminator.layer{l}.*`.
public struct DANN: Sendable {
    /// Network sizes and the adversarial weight.
    public struct Settings: Sendable, Equatable {
        /// Feature extractor widths after the input (ReLU after every layer); the last is f.
        public var featureWidths: [Int]
        /// Hidden widths of the label classifier (ReLU), before the class scores.
        public var classifierHidden: [Int]
        /// Hidden widths of the discriminator (ReLU), before the 2 domain scores.
        public var discriminatorHidden: [Int]
        /// c, the weight of the adversarial term in ω's objective.
        public var adversarialWeight: Float

        public init(featureWidths: [Int] = [64, 64], classifierHidden: [Int] = [], discriminatorHidden: [Int] = [32],
                    adversarialWeight: Float = 1) {
            self.featureWidths = featureWidths
            self.classifierHidden = classifierHidden
            self.discriminatorHidden = discriminatorHidden
            self.adversarialWeight = adversarialWeight
        }
    }

    public let settings: Settings
    public let inputDimension: Int
    public let classCount: Int
    public let layout: ParameterLayout
    /// Scalars of ω (feature extractor and classifier) and of ψ (discriminator) in the flat buffer.
    public let minPlayer: Range<Int>
    public let maxPlayer: Range<Int>
    let features: DenseStack
    let classifier: DenseStack
    let discriminator: DenseStack

    public init(inputDimension: Int, classCount: Int, settings: Settings = Settings()) {
        precondition(inputDimension > 0 && classCount > 1 && !settings.featureWidths.isEmpty,
                     "DANN needs an input, at least 2 classes and a feature layer")
        self.settings = settings
        self.inputDimension = inputDimension
        self.classCount = classCount
        let featureWidths = [inputDimension] + settings.featureWidths
        let f = settings.featureWidths[settings.featureWidths.count - 1]
        let classifierWidths = [f] + settings.classifierHidden + [classCount]
        let discriminatorWidths = [f] + settings.discriminatorHidden + [2]
        let (layout, minPlayer, maxPlayer) = DenseStack.twoPlayerLayout(
            min: DenseStack.specs(prefix: "feature.", widths: featureWidths)
                + DenseStack.specs(prefix: "classifier.", widths: classifierWidths),
            max: DenseStack.specs(prefix: "discriminator.", widths: discriminatorWidths))
        (self.layout, self.minPlayer, self.maxPlayer) = (layout, minPlayer, maxPlayer)
        features = DenseStack(prefix: "feature.", widths: featureWidths, layout: layout, reluAfterLast: true)
        classifier = DenseStack(prefix: "classifier.", widths: classifierWidths, layout: layout, reluAfterLast: false)
        discriminator = DenseStack(prefix: "discriminator.", widths: discriminatorWidths, layout: layout, reluAfterLast: false)
    }

    /// Glorot-uniform weights, zero biases.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        features.initialize(&parameters, rng: &rng)
        classifier.initialize(&parameters, rng: &rng)
        discriminator.initialize(&parameters, rng: &rng)
        return parameters
    }

    var featureWidth: Int { features.outputWidth }

    /// Buffers for the three stacks, then dFeatures [B, f] and the domain labels [B].
    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        let widths = Array(features.widths.dropFirst()) + Array(classifier.widths.dropFirst())
            + Array(discriminator.widths.dropFirst()) + [featureWidth, 1]
        return ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: widths)
    }

    func slices(_ workspace: ModelWorkspace) -> (features: Range<Int>, classifier: Range<Int>, discriminator: Range<Int>) {
        let a = features.layerCount, b = classifier.layerCount, c = discriminator.layerCount
        return (0..<a, a..<(a + b), (a + b)..<(a + b + c))
    }

    /// Class scores [B, classCount] of `x` (for evaluation); valid until the workspace is reused.
    public func classLogits(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch b: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float> {
        let base = parameters.baseAddress!, parts = slices(workspace)
        let phi = features.forward(base: base, x: x, batch: b, activations: workspace.activations[parts.features])
        return classifier.forward(base: base, x: phi, batch: b, activations: workspace.activations[parts.classifier])
    }

    /// One simultaneous gradient pass for both players, added into `gradient`: the ω part receives
    /// ∇_ω (L_class − c·L_domain), the ψ part ∇_ψ L_domain.
    ///
    /// - Parameter labels: [B] class index of source rows, −1 for target rows.
    /// - Returns: L_class (0 when the batch has no source row) and L_domain.
    public func gradients(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> (classLoss: Float, domainLoss: Float) {
        precondition(b > 0 && b <= workspace.batchCapacity, "batch \(b) exceeds workspace capacity \(workspace.batchCapacity)")
        let base = parameters.baseAddress!, gradBase = gradient.baseAddress!, parts = slices(workspace)
        let dFeatures = workspace.activationGradients[parts.discriminator.upperBound]
        let domains = workspace.activations[parts.discriminator.upperBound + 1]  // scratch, reinterpreted below
        let domainLabels = UnsafeMutableRawPointer(domains).bindMemory(to: Int32.self, capacity: b)
        for row in 0..<b { domainLabels[row] = labels[row] >= 0 ? 0 : 1 }

        let phi = features.forward(base: base, x: x, batch: b, activations: workspace.activations[parts.features])
        // Label classifier: L_class on source rows; its input gradient goes to dFeatures.
        let classScores = classifier.forward(base: base, x: phi, batch: b, activations: workspace.activations[parts.classifier])
        let (classLoss, _) = SoftmaxCrossEntropy.maskedForwardBackward(
            logits: classScores, labels: labels, batch: b, classCount: classCount,
            dLogits: workspace.activationGradients[parts.classifier.upperBound - 1])
        classifier.backward(base: base, gradient: gradBase, x: phi, batch: b,
                            activations: workspace.activations[parts.classifier],
                            activationGradients: workspace.activationGradients[parts.classifier], dInput: dFeatures)
        // Discriminator: ψ descends L_domain; its input gradient enters φ with weight −c.
        let domainScores = discriminator.forward(base: base, x: phi, batch: b,
                                                 activations: workspace.activations[parts.discriminator])
        let domainLoss = SoftmaxCrossEntropy.forwardBackward(
            logits: domainScores, labels: UnsafePointer(domainLabels), batch: b, classCount: 2,
            dLogits: workspace.activationGradients[parts.discriminator.upperBound - 1])
        let dFromDomain = workspace.activationGradients[parts.features.upperBound - 1]
        discriminator.backward(base: base, gradient: gradBase, x: phi, batch: b,
                               activations: workspace.activations[parts.discriminator],
                               activationGradients: workspace.activationGradients[parts.discriminator], dInput: dFromDomain)
        // d(L_total)/dφ = dFeatures(class) − c · dFeatures(domain), written where the feature stack expects it.
        let c = settings.adversarialWeight
        for i in 0..<(b * featureWidth) { dFromDomain[i] = dFeatures[i] - c * dFromDomain[i] }
        features.backward(base: base, gradient: gradBase, x: x, batch: b,
                          activations: workspace.activations[parts.features],
                          activationGradients: workspace.activationGradients[parts.features])
        return (classLoss, domainLoss)
    }
}
