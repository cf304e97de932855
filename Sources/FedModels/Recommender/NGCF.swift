import FedCore

/// NGCF in the form of its official code (Wang et al., SIGIR 2019; spec `models-and-protocols.md` §5.4).
///
/// ```
/// Â = D^{−1}(A + I) over users then items (row-normalised, self-loops);  E^(0) = [P; Q]
/// layer k:  S = Â E^(k−1);  Sum = lrelu(S W_gc + b_gc);  Bi = lrelu((E^(k−1) ⊙ S) W_bi + b_bi)
///           E^(k) = dropout(Sum + Bi);  N^(k) = E^(k) / ‖E^(k)‖ row-wise
/// final:    e = [e^(0); N^(1); …; N^(L)];  ŷ_ui = e_uᵀ e_i
/// loss:     mean over triples of −ln σ(ŷ_ui − ŷ_uj) + decay·½(‖e_u‖² + ‖e_i‖² + ‖e_j‖²)
/// ```
/// LeakyReLU slope 0.2; message dropout draws one mask per layer from the step's stream (nil: off).
/// Layout: `embedding` [users + items, d], then per layer k `layer{k}.gc.weight` [w_{k−1}, w_k],
/// `layer{k}.gc.bias`, `layer{k}.bi.weight`, `layer{k}.bi.bias`. With no layers it is BPR-MF.
public struct NGCF: Sendable {
    public let userCount: Int
    public let itemCount: Int
    /// d, then each layer's width.
    public let widths: [Int]
    public let decay: Float
    public let messageDropout: Float
    public let layout: ParameterLayout
    /// Â and its transpose (Â is not symmetric).
    let propagation: SparseMatrix
    let propagationTransposed: SparseMatrix

    public init(training: InteractionSet, widths: [Int], decay: Float, messageDropout: Float = 0.1) {
        precondition(!widths.isEmpty && widths.allSatisfy { $0 > 0 } && messageDropout >= 0 && messageDropout < 1, "bad NGCF shape")
        userCount = training.userCount
        itemCount = training.itemCount
        self.widths = widths
        self.decay = decay
        self.messageDropout = messageDropout
        var specs: [(name: String, shape: [Int])] = [("embedding", [training.userCount + training.itemCount, widths[0]])]
        for k in 1..<widths.count {
            specs += [("layer\(k).gc.weight", [widths[k - 1], widths[k]]), ("layer\(k).gc.bias", [widths[k]]),
                      ("layer\(k).bi.weight", [widths[k - 1], widths[k]]), ("layer\(k).bi.bias", [widths[k]])]
        }
        layout = ParameterLayout(specs)
        let total = training.userCount + training.itemCount
        var degree = [Double](repeating: 1, count: total)
        for position in 0..<training.count {
            degree[Int(training.users[position])] += 1
            degree[training.userCount + Int(training.items[position])] += 1
        }
        var entries = (0..<total).map { SparseMatrix.Entry(row: $0, column: $0, value: Float(1 / degree[$0])) }
        for position in 0..<training.count {
            let (u, i) = (Int(training.users[position]), training.userCount + Int(training.items[position]))
            entries.append(SparseMatrix.Entry(row: u, column: i, value: Float(1 / degree[u])))
            entries.append(SparseMatrix.Entry(row: i, column: u, value: Float(1 / degree[i])))
        }
        guard let matrix = try? SparseMatrix(rowCount: total, columnCount: total, entries: entries) else {
            preconditionFailure("NGCF propagation matrix out of range")
        }
        propagation = matrix
        propagationTransposed = matrix.transposed()
    }

    var nodeCount: Int { userCount + itemCount }
    var finalWidth: Int { widths.reduce(0, +) }

    /// Glorot-uniform everything that is a matrix, zero biases.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        for entry in layout.entries where entry.shape.count == 2 {
            let bound = (6 / Double(entry.shape[0] + entry.shape[1])).squareRoot()
            for i in entry.offset..<(entry.offset + entry.count) { parameters[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
        }
        return parameters
    }

    /// The final embeddings [users + items, Σ widths] without dropout (what evaluation scores with).
    public func finalEmbeddings(_ parameters: [Float]) -> (embeddings: [Float], width: Int) {
        var none: RNGStream? = nil
        return (forward(parameters, dropout: &none).final, finalWidth)
    }

    /// What the backward pass needs of each layer.
    struct LayerCache {
        var input: [Float], s: [Float], product: [Float], u1: [Float], u2: [Float], mask: [Float], output: [Float], norms: [Float]
    }

    static func lrelu(_ x: Float) -> Float { x > 0 ? x : 0.2 * x }
    static func lreluDerivative(_ x: Float) -> Float { x > 0 ? 1 : 0.2 }

    /// Final embeddings [nodes, Σ widths] and the caches.
    func forward(_ p: [Float], dropout: inout RNGStream?) -> (final: [Float], caches: [LayerCache]) {
        let n = nodeCount, fw = finalWidth
        let e0Offset = layout.entry(named: "embedding")!.offset
        var current = Array(p[e0Offset..<(e0Offset + n * widths[0])])
        var final = [Float](repeating: 0, count: n * fw)
        for v in 0..<n { for c in 0..<widths[0] { final[v * fw + c] = current[v * widths[0] + c] } }
        var caches = [LayerCache]()
        var column = widths[0]
        for k in 1..<widths.count {
            let (inW, outW) = (widths[k - 1], widths[k])
            let s = propagation.multiply(current, width: inW)
            let product = zip(current, s).map { $0 * $1 }
            var u1 = [Float](repeating: 0, count: n * outW), u2 = u1
            let (gcW, gcB) = (layout.entry(named: "layer\(k).gc.weight")!.offset, layout.entry(named: "layer\(k).gc.bias")!.offset)
            let (biW, biB) = (layout.entry(named: "layer\(k).bi.weight")!.offset, layout.entry(named: "layer\(k).bi.bias")!.offset)
            p.withUnsafeBufferPointer { pb in
                s.withUnsafeBufferPointer { sb in u1.withUnsafeMutableBufferPointer {
                    Matmul.gemm(.none, .none, m: n, n: outW, k: inW, a: sb.baseAddress!, b: pb.baseAddress! + gcW, c: $0.baseAddress!) } }
                product.withUnsafeBufferPointer { xb in u2.withUnsafeMutableBufferPointer {
                    Matmul.gemm(.none, .none, m: n, n: outW, k: inW, a: xb.baseAddress!, b: pb.baseAddress! + biW, c: $0.baseAddress!) } }
            }
            var mask = [Float](repeating: 1, count: n * outW)
            if messageDropout > 0, var stream = dropout {
                let keep = 1 / (1 - messageDropout)
                for i in mask.indices { mask[i] = stream.nextUnitDouble() < Double(messageDropout) ? 0 : keep }
                dropout = stream
            }
            var output = [Float](repeating: 0, count: n * outW), norms = [Float](repeating: 0, count: n)
            for v in 0..<n {
                var sq: Float = 0
                for c in 0..<outW {
                    u1[v * outW + c] += p[gcB + c]
                    u2[v * outW + c] += p[biB + c]
                    let h = (Self.lrelu(u1[v * outW + c]) + Self.lrelu(u2[v * outW + c])) * mask[v * outW + c]
                    output[v * outW + c] = h
                    sq += h * h
                }
                norms[v] = max(sq.squareRoot(), 1e-12)
                for c in 0..<outW { final[v * fw + column + c] = output[v * outW + c] / norms[v] }
            }
            caches.append(LayerCache(input: current, s: s, product: product, u1: u1, u2: u2, mask: mask, output: output, norms: norms))
            current = output
            column += outW
        }
        return (final, caches)
    }

    /// Mean loss over `triples`; adds the gradient into `gradient` (the layout's size).
    public func lossAndGradient(triples: [BPRMatrixFactorization.Triple], parameters p: [Float], gradient: inout [Float],
                                dropout: inout RNGStream?) -> Float {
        precondition(p.count == layout.totalCount && gradient.count == layout.totalCount, "buffers do not fit the layout")
        guard !triples.isEmpty else { return 0 }
        let (n, fw, scale) = (nodeCount, finalWidth, 1 / Float(triples.count))
        let (final, caches) = forward(p, dropout: &dropout)
        var gFinal = [Float](repeating: 0, count: n * fw)
        var loss = 0.0
        for t in triples {
            let (u, i, j) = (Int(t.user) * fw, (userCount + Int(t.positive)) * fw, (userCount + Int(t.negative)) * fw)
            var x: Float = 0, norms: Float = 0
            for c in 0..<fw {
                x += final[u + c] * (final[i + c] - final[j + c])
                norms += final[u + c] * final[u + c] + final[i + c] * final[i + c] + final[j + c] * final[j + c]
            }
            let term = BPRMatrixFactorization.pairTerm(x)
            loss += term.loss + 0.5 * Double(decay * norms)
            let c = term.slope * scale
            for k in 0..<fw {
                let (eu, ei, ej) = (final[u + k], final[i + k], final[j + k])
                gFinal[u + k] += c * (ei - ej) + decay * scale * eu
                gFinal[i + k] += c * eu + decay * scale * ei
                gFinal[j + k] += -c * eu + decay * scale * ej
            }
        }
        // Backward through the layers, last first; `gNext` is ∂L/∂E^(k) from layer k+1.
        var gNext = [Float](repeating: 0, count: n * widths[widths.count - 1])
        var column = fw
        for k in stride(from: widths.count - 1, through: 1, by: -1) {
            let cache = caches[k - 1]
            let (inW, outW) = (widths[k - 1], widths[k])
            column -= outW
            // Row normalisation: ∂e = (∂n − n (nᵀ∂n)) / ‖e‖, plus what layer k+1 sent.
            var gH = gNext
            for v in 0..<n {
                var dot: Float = 0
                for c in 0..<outW { dot += final[v * fw + column + c] * gFinal[v * fw + column + c] }
                for c in 0..<outW {
                    let nv = final[v * fw + column + c]
                    gH[v * outW + c] += (gFinal[v * fw + column + c] - nv * dot) / cache.norms[v]
                    gH[v * outW + c] *= cache.mask[v * outW + c]
                }
            }
            var g1 = gH, g2 = gH
            for index in gH.indices {
                g1[index] *= Self.lreluDerivative(cache.u1[index])
                g2[index] *= Self.lreluDerivative(cache.u2[index])
            }
            let (gcW, gcB) = (layout.entry(named: "layer\(k).gc.weight")!.offset, layout.entry(named: "layer\(k).gc.bias")!.offset)
            let (biW, biB) = (layout.entry(named: "layer\(k).bi.weight")!.offset, layout.entry(named: "layer\(k).bi.bias")!.offset)
            var gS = [Float](repeating: 0, count: n * inW), gP = gS
            p.withUnsafeBufferPointer { pb in
                gradient.withUnsafeMutableBufferPointer { g in
                    // dW_gc += Sᵀ G1, dW_bi += (E ⊙ S)ᵀ G2.
                    cache.s.withUnsafeBufferPointer { sb in g1.withUnsafeBufferPointer { gb in
                        Matmul.gemm(.transposed, .none, m: inW, n: outW, k: n, a: sb.baseAddress!, b: gb.baseAddress!, beta: 1,
                                    c: g.baseAddress! + gcW) } }
                    cache.product.withUnsafeBufferPointer { xb in g2.withUnsafeBufferPointer { gb in
                        Matmul.gemm(.transposed, .none, m: inW, n: outW, k: n, a: xb.baseAddress!, b: gb.baseAddress!, beta: 1,
                                    c: g.baseAddress! + biW) } }
                    for v in 0..<n { for c in 0..<outW { g[gcB + c] += g1[v * outW + c]; g[biB + c] += g2[v * outW + c] } }
                }
                g1.withUnsafeBufferPointer { gb in gS.withUnsafeMutableBufferPointer {
                    Matmul.gemm(.none, .transposed, m: n, n: inW, k: outW, a: gb.baseAddress!, b: pb.baseAddress! + gcW, c: $0.baseAddress!) } }
                g2.withUnsafeBufferPointer { gb in gP.withUnsafeMutableBufferPointer {
                    Matmul.gemm(.none, .transposed, m: n, n: inW, k: outW, a: gb.baseAddress!, b: pb.baseAddress! + biW, c: $0.baseAddress!) } }
            }
            // G_S += G_P ⊙ E;  G_E = G_P ⊙ S + Âᵀ G_S.
            for index in gS.indices { gS[index] += gP[index] * cache.input[index] }
            var gInput = propagationTransposed.multiply(gS, width: inW)
            for index in gInput.indices { gInput[index] += gP[index] * cache.s[index] }
            gNext = gInput
        }
        // E^(0): its block of the concatenation plus what layer 1 sent.
        let e0 = layout.entry(named: "embedding")!.offset, d = widths[0]
        for v in 0..<n {
            for c in 0..<d {
                gradient[e0 + v * d + c] += gFinal[v * fw + c] + (widths.count > 1 ? gNext[v * d + c] : 0)
            }
        }
        return Float(loss / Double(triples.count))
    }
}
