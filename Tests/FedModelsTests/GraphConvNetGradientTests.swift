import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// A graph network's loss in Double with dense naive loops, written from the documented formulas
/// (GraphConvNet's header) and the documented order of dropout draws: one per stored feature in
/// CSR order, then one per element of each later layer's input, then of the head's input.
struct ReferenceGraphConvNet {
    let settings: GraphConvNet.Settings
    let features: SparseMatrix
    let adjacency: [Double]  // n x n
    let labels: [Int32]
    let classCount: Int
    let lossNodes: [Int]
    let dropoutSeed: UInt64?

    var n: Int { labels.count }

    func act(_ u: Double) -> Double {
        switch settings.activation {
        case .relu: return max(u, 0)
        case .tanh: return tanh(u)
        case .elu: return u > 0 ? u : exp(u) - 1
        case .leakyRelu: return u > 0 ? u : 0.2 * u
        }
    }

    func loss(_ p: [Double]) -> Double {
        var rng: RNGStream? = dropoutSeed.map { RNGStream(seed: $0, purpose: .custom) }
        let drop = dropoutSeed == nil ? 0 : Double(settings.dropout)
        func mask() -> Double {
            guard var stream = rng else { return 1 }
            let keep = stream.nextUnitDouble() >= drop
            rng = stream
            return keep ? 1 / (1 - drop) : 0
        }
        let f = features.columnCount
        var input = [Double](repeating: 0, count: n * f)
        for row in 0..<n {
            for position in features.rowStarts[row]..<features.rowStarts[row + 1] {
                input[row * f + Int(features.columns[position])] = Double(features.values[position]) * mask()
            }
        }
        var inWidth = f, offset = 0, penalty = 0.0
        for (l, width) in settings.widths.enumerated() {
            if l > 0 { for i in input.indices { input[i] *= mask() } }
            let weight = offset
            offset += inWidth * width
            let bias = settings.biases ? offset : nil
            if settings.biases { offset += width }
            if !settings.decayFirstLayerOnly || l == 0 { for i in weight..<(weight + inWidth * width) { penalty += p[i] * p[i] } }
            var product = [Double](repeating: 0, count: n * width)
            for v in 0..<n { for k in 0..<width { for i in 0..<inWidth { product[v * width + k] += input[v * inWidth + i] * p[weight + i * width + k] } } }
            var output = [Double](repeating: 0, count: n * width)
            for v in 0..<n {
                for k in 0..<width {
                    var u = bias.map { p[$0 + k] } ?? 0
                    for w in 0..<n { u += adjacency[v * n + w] * product[w * width + k] }
                    output[v * width + k] = settings.head || l < settings.widths.count - 1 ? act(u) : u
                }
            }
            input = output
            inWidth = width
        }
        var logits = input
        if settings.head {
            for i in input.indices { input[i] *= mask() }
            let weight = offset, bias = offset + inWidth * classCount
            if !settings.decayFirstLayerOnly { for i in weight..<bias { penalty += p[i] * p[i] } }
            logits = [Double](repeating: 0, count: n * classCount)
            for v in 0..<n {
                for c in 0..<classCount {
                    var z = p[bias + c]
                    for i in 0..<inWidth { z += input[v * inWidth + i] * p[weight + i * classCount + c] }
                    logits[v * classCount + c] = z
                }
            }
        }
        var total = 0.0
        for v in lossNodes {
            let row = logits[(v * classCount)..<((v + 1) * classCount)]
            let top = row.max()!
            let sum = row.reduce(0) { $0 + exp($1 - top) }
            total += log(sum) + top - row[row.startIndex + Int(labels[v])]
        }
        return total / Double(lossNodes.count) + 0.5 * Double(settings.weightDecay) * penalty
    }
}


/// Every hand-written backward pass of GraphConvNet against central differences of the Double
/// reference: both architectures, all four activations, with dropout masks fixed by the seed.
@Suite struct GraphConvNetGradientTests {
    /// A random graph of 9 nodes (some isolated), 6 sparse features, 3 classes.
    func randomGraph(seed: UInt64) throws -> (GraphInputs, [Double]) {
        var rng = RNGStream(seed: seed, purpose: .custom, round: 7)
        var entries = [SparseMatrix.Entry]()
        for row in 0..<9 { for column in 0..<6 where rng.nextUnitDouble() < 0.5 { entries.append(.init(row: row, column: column, value: Float(rng.nextUnitDouble() + 0.1))) } }
        let features = try SparseMatrix(rowCount: 9, columnCount: 6, entries: entries)
        var edges = Set<GraphEdge>()
        for _ in 0..<10 { if let edge = GraphEdge(rng.nextInt(below: 7), rng.nextInt(below: 7)) { edges.insert(edge) } }
        let adjacency = SparseMatrix.normalizedAdjacency(nodeCount: 9, edges: edges.sorted())
        let labels: [Int32] = (0..<9).map { Int32($0 % 3) }
        return (GraphInputs(features: features, adjacency: adjacency, labels: labels), adjacency.dense().map(Double.init))
    }

    @Test(arguments: GraphActivation.allCases, [false, true])
    func gradient_matchesCentralDifferences(activation: GraphActivation, separated: Bool) throws {
        for seed: UInt64 in 1...3 {
            let (inputs, adjacency) = try randomGraph(seed: seed)
            var settings = separated ? GraphConvNet.Settings.separated(hidden: 5, embedding: 4, activation: activation)
                : GraphConvNet.Settings(widths: [5, 3], head: false, biases: true, activation: activation, decayFirstLayerOnly: true)
            settings.weightDecay = 0.01
            for dropoutSeed: UInt64? in [nil, 100 + seed] {
                let model = GraphConvNet(settings: settings, inputDimension: 6, classCount: 3)
                var init_ = RNGStream(seed: seed, purpose: .parameterInit)
                var parameters = model.initialParameters(rng: &init_)
                for i in parameters.indices { parameters[i] += Float(init_.nextGaussian() * 0.1) }  // non-zero biases too
                let lossNodes = [0, 2, 3, 5, 8]
                let workspace = model.makeWorkspace(nodeCount: 9, featureNonZeros: inputs.features.nonZeroCount)
                var gradient = [Float](repeating: 0, count: parameters.count)
                var stream = dropoutSeed.map { RNGStream(seed: $0, purpose: .custom) }
                let loss = parameters.withUnsafeBufferPointer { p in
                    gradient.withUnsafeMutableBufferPointer { g in
                        model.lossAndGradient(parameters: p, inputs: inputs, lossNodes: lossNodes, gradient: g, workspace: workspace,
                                              dropout: &stream)
                    }
                }
                let reference = ReferenceGraphConvNet(settings: settings, features: inputs.features, adjacency: adjacency,
                                                      labels: inputs.labels, classCount: 3, lossNodes: lossNodes, dropoutSeed: dropoutSeed)
                let p = parameters.map(Double.init)
                #expect(Numerics.relativeError(Double(loss), reference.loss(p)) < 1e-5, "seed \(seed): loss \(loss) vs \(reference.loss(p))")
                var numeric = [Double](repeating: 0, count: p.count)
                let h = 1e-6
                for i in p.indices {
                    var plus = p, minus = p
                    plus[i] += h
                    minus[i] -= h
                    numeric[i] = (reference.loss(plus) - reference.loss(minus)) / (2 * h)
                }
                let error = Numerics.maxRelativeError(gradient.map(Double.init), numeric, floor: 1e-3)
                #expect(error < 2e-3, "seed \(seed), dropout \(String(describing: dropoutSeed)): max relative error \(error)")
            }
        }
    }

    @Test func kipfSettings_layOutTwoConvolutionsWithoutBiasesOrHead() {
        let model = GraphConvNet(settings: .kipf(classCount: 7), inputDimension: 1433, classCount: 7)
        #expect(model.layout.entries.map(\.name) == ["conv0.weight", "conv1.weight"])
        #expect(model.layout.totalCount == 1433 * 16 + 16 * 7)
        let separated = GraphConvNet(settings: .separated(), inputDimension: 1433, classCount: 7)
        #expect(separated.convolutionTensorNames == ["conv0.weight", "conv0.bias", "conv1.weight", "conv1.bias"])
        #expect(separated.headTensorNames == ["head.weight", "head.bias"])
    }
}
