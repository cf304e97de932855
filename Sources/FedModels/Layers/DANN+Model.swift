import FedCore

/// DANN as a trainable model: rows labelled −1 are target-domain rows, the others source rows.
///
/// The training loss reported is L_class (the source classification loss). Evaluation runs on a
/// test set whose rows carry domain tags (0 source, 1 target) and true labels for both domains.
extension DANN: DifferentiableModel {
    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        gradients(parameters: parameters, x: x, labels: labels, batch: batch, gradient: gradient, workspace: workspace).classLoss
    }

    public func forward(
        parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int, workspace: ModelWorkspace
    ) -> UnsafePointer<Float> {
        classLogits(parameters: parameters, x: x, batch: batch, workspace: workspace)
    }

    public var maxPlayerRange: Range<Int>? { maxPlayer }

    /// `target_accuracy` is the number domain adaptation is judged by; `domain_accuracy` is how often
    /// the discriminator tells the domains apart, balanced over the domains (0.5 when the features hide
    /// the domain or the discriminator answers one domain always).
    public var evaluationMetricNames: [String] { ["target_accuracy", "source_accuracy", "domain_accuracy"] }
    public var headlineMetric: (name: String, logarithmic: Bool) { ("target_accuracy", false) }

    /// `test_loss` and `test_accuracy` over every test row (both domains), accuracy per domain and the
    /// discriminator's domain accuracy. Rows without a domain tag count as source rows.
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        guard data.count > 0 else { return ["test_loss": .nan, "test_accuracy": .nan] }
        var lossSum = 0.0
        var correct = [0, 0], rows = [0, 0], domainCorrect = [0, 0]
        forEachEvaluationBatch(parameters: parameters, on: data, workspace: workspace) { start, b, logits, params, space in
            for row in 0..<b {
                let label = Int(data.labels[start + row])
                let domain = data.domains.isEmpty ? 0 : Int(data.domains[start + row])
                let (rowLoss, argmax) = SoftmaxCrossEntropy.lossAndArgmax(logits + row * classCount, classCount: classCount,
                                                                           label: label)
                lossSum += Double(rowLoss)
                rows[domain] += 1
                if argmax == label { correct[domain] += 1 }
            }
            // The discriminator reads the features the class pass just left in the workspace.
            let parts = slices(space)
            let phi = UnsafePointer(space.activations[parts.features.upperBound - 1])
            let scores = discriminator.forward(base: params.baseAddress!, x: phi, batch: b,
                                               activations: space.activations[parts.discriminator])
            for row in 0..<b {
                let domain = data.domains.isEmpty ? 0 : Int(data.domains[start + row])
                let saysTarget = scores[row * 2 + 1] > scores[row * 2]
                if saysTarget == (domain == 1) { domainCorrect[domain] += 1 }
            }
        }
        func share(_ hits: Int, _ count: Int) -> Double { count > 0 ? Double(hits) / Double(count) : .nan }
        return [
            "test_loss": lossSum / Double(data.count),
            "test_accuracy": share(correct[0] + correct[1], data.count),
            "source_accuracy": share(correct[0], rows[0]),
            "target_accuracy": share(correct[1], rows[1]),
            // Balanced over the two domains, so a discriminator that always answers one domain scores 0.5.
            "domain_accuracy": rows[0] > 0 && rows[1] > 0
                ? (share(domainCorrect[0], rows[0]) + share(domainCorrect[1], rows[1])) / 2 : .nan,
        ]
    }
}
