import FedCore

/// The compositional teacher of spec §3.9: the student's own frozen base plus, per layer, a pair of
/// low-rank "skills" chosen by the task. 16 tasks, 8 skills per layer, each skill a rank-4 update
/// Δ_s = c·U_s V_sᵀ scaled so that adding one skill flips about 30 % of the base's labels. Inputs of
/// task τ are x ∼ N(μ_τ, I) with ‖μ_τ‖ = 3, so the task is recognisable from x; the label is the
/// argmax of the teacher's logits. A mixture of LoRAs that routes by task can represent it exactly.
public enum SkillTeacher {
    public struct Settings: Sendable, Equatable {
        public var tasks = 16
        public var skills = 8
        public var skillRank = 4
        public var flipFraction = 0.3
        public var centreNorm = 3.0
        public init() {}
    }

    /// Rows with their task ids.
    public struct Rows: Sendable {
        public let data: Dataset
        public let tasks: [Int]
    }

    /// The teacher's hidden structure (which skills each task uses), for diagnostics.
    public struct Structure: Sendable {
        /// taskSkills[τ][l]: the two skills task τ adds in layer l (the top-level skills of the
        /// hierarchical teacher).
        public let taskSkills: [[[Int]]]
        /// Hierarchical teacher only (empty otherwise): taskSubSkills[τ][l][j], the two sub-skills that
        /// refine task τ's j-th top-level skill in layer l.
        public var taskSubSkills: [[[[Int]]]] = []
        public let centres: [[Float]]
        /// Effective weights per task and layer [O·I] (base + its two skills).
        let weights: [[[Float]]]
        let biases: [[Float]]
    }

    /// The teacher for `student`'s base (same `baseSeed`), with its own structure from `seed`.
    public static func structure(student: some FrozenBaseNetwork, seed: UInt64, settings: Settings = Settings()) -> Structure {
        var rng = RNGStream(seed: seed, purpose: .synthetic, client: 0x5C1)
        let base = student.baseParameters()
        let dims = [(student.inputDimension, student.hidden), (student.hidden, student.classCount)]
        let centres = taskCentres(tasks: settings.tasks, inputs: student.inputDimension, norm: settings.centreNorm, rng: &rng)
        // Raw skills U Vᵀ per layer.
        var raw = [[[Float]]]()
        for (inputs, outputs) in dims {
            raw.append((0..<settings.skills).map { _ in
                let u = (0..<(outputs * settings.skillRank)).map { _ in rng.nextGaussian() }
                let v = (0..<(inputs * settings.skillRank)).map { _ in rng.nextGaussian() }
                return lowRankProduct(u, v, outputs: outputs, inputs: inputs, rank: settings.skillRank)
            })
        }
        // Pairs of skills per task and layer: distinct pairs, in a seeded order.
        let pairs = (0..<settings.skills).flatMap { a in ((a + 1)..<settings.skills).map { [a, $0] } }
        var taskSkills = [[[Int]]](repeating: [], count: settings.tasks)
        for _ in dims.indices {
            var order = pairs
            rng.shuffle(&order)
            for τ in 0..<settings.tasks { taskSkills[τ].append(order[τ % order.count]) }
        }
        // Calibrate each layer's scale: one skill flips `flipFraction` of the base's labels.
        let probe = probeRows(centres: centres, rng: &rng)
        let scales = dims.indices.map { layer in
            calibratedScale(layer: layer, skills: raw[layer], probe: probe, base: base, dims: dims, flipFraction: settings.flipFraction)
        }
        let weights = (0..<settings.tasks).map { τ in
            dims.indices.map { layer -> [Float] in
                var w = base[layer].weight
                for skill in taskSkills[τ][layer] { for i in w.indices { w[i] += scales[layer] * raw[layer][skill][i] } }
                return w
            }
        }
        return Structure(taskSkills: taskSkills, centres: centres, weights: weights, biases: base.map(\.bias))
    }

    // MARK: - Shared by the flat and the hierarchical teacher

    /// Task centres μ_τ: Gaussian directions scaled to ‖μ_τ‖ = `norm`.
    static func taskCentres(tasks: Int, inputs: Int, norm: Double, rng: inout RNGStream) -> [[Float]] {
        (0..<tasks).map { _ -> [Float] in
            let direction = (0..<inputs).map { _ in rng.nextGaussian() }
            let length = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return direction.map { Float($0 / length * norm) }
        }
    }

    /// U Vᵀ [O·I] for U [O, k] and V [I, k], both row-major.
    static func lowRankProduct(_ u: [Double], _ v: [Double], outputs: Int, inputs: Int, rank: Int) -> [Float] {
        (0..<(outputs * inputs)).map { index in
            let (o, i) = (index / inputs, index % inputs)
            return Float((0..<rank).reduce(0.0) { $0 + u[o * rank + $1] * v[i * rank + $1] })
        }
    }

    /// 2,000 inputs, tasks in turn, on which the skills' scales are calibrated.
    static func probeRows(centres: [[Float]], rng: inout RNGStream) -> [Float] {
        var probe = [Float]()
        for index in 0..<2_000 { probe += centres[index % centres.count].map { $0 + Float(rng.nextGaussian()) } }
        return probe
    }

    /// The scale c for which adding c·skill to the base's weights of `layer` changes, on average over
    /// `skills`, `flipFraction` of the base's labels on `probe` (bisection).
    static func calibratedScale(layer: Int, skills: [[Float]], probe: [Float], base: [(weight: [Float], bias: [Float])], dims: [(Int, Int)],
                                flipFraction: Double) -> Float {
        let baseWeights = base.map(\.weight), biases = base.map(\.bias)
        let labels = argmaxLabels(probe, weights: baseWeights, biases: biases, dims: dims)
        var low: Float = 0, high: Float = 1
        func flips(_ c: Float) -> Double {
            var total = 0.0
            for skill in skills {
                var weights = baseWeights
                for i in weights[layer].indices { weights[layer][i] += c * skill[i] }
                let changed = argmaxLabels(probe, weights: weights, biases: biases, dims: dims)
                total += Double(zip(labels, changed).filter { $0 != $1 }.count) / Double(labels.count)
            }
            return total / Double(skills.count)
        }
        while flips(high) < flipFraction, high < 1e4 { high *= 2 }
        for _ in 0..<30 {
            let middle = (low + high) / 2
            if flips(middle) < flipFraction { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// `count` rows from `structure`, tasks in turn, drawn from the stream (seed, synthetic, part).
    public static func rows(_ structure: Structure, count: Int, seed: UInt64, part: UInt64) -> Rows {
        var rng = RNGStream(seed: seed, purpose: .synthetic, client: 0x5C2, round: part)
        let tasks = structure.centres.count, inputs = structure.centres[0].count
        var features = [Float](), labels = [Int32](), taskOf = [Int]()
        features.reserveCapacity(count * inputs)
        let dims = [(inputs, structure.biases[0].count), (structure.biases[0].count, structure.biases[1].count)]
        for τ in 0..<tasks {
            let rowsOfTask = count / tasks + (τ < count % tasks ? 1 : 0)
            var x = [Float]()
            for _ in 0..<rowsOfTask { x += structure.centres[τ].map { $0 + Float(rng.nextGaussian()) } }
            features += x
            labels += argmaxLabels(x, weights: structure.weights[τ], biases: structure.biases, dims: dims).map(Int32.init)
            taskOf += [Int](repeating: τ, count: rowsOfTask)
        }
        // The task id rides in the rows' tag (`domains`), for the routing diagnostics.
        return Rows(data: Dataset(features: features, labels: labels, dimension: inputs, classCount: structure.biases[1].count,
                                  domains: taskOf.map { UInt8(clamping: $0) }), tasks: taskOf)
    }

    /// argmax of relu(x W1ᵀ + b1) W2ᵀ + b2 per row.
    static func argmaxLabels(_ x: [Float], weights: [[Float]], biases: [[Float]], dims: [(Int, Int)]) -> [Int] {
        let rows = x.count / dims[0].0
        var hidden = [Float](repeating: 0, count: rows * dims[0].1), logits = [Float](repeating: 0, count: rows * dims[1].1)
        x.withUnsafeBufferPointer { xs in
            weights[0].withUnsafeBufferPointer { w in
                hidden.withUnsafeMutableBufferPointer { Matmul.gemm(.none, .transposed, m: rows, n: dims[0].1, k: dims[0].0, a: xs.baseAddress!, b: w.baseAddress!, c: $0.baseAddress!) }
            }
        }
        for i in hidden.indices { hidden[i] = max(hidden[i] + biases[0][i % dims[0].1], 0) }
        hidden.withUnsafeBufferPointer { h in
            weights[1].withUnsafeBufferPointer { w in
                logits.withUnsafeMutableBufferPointer { Matmul.gemm(.none, .transposed, m: rows, n: dims[1].1, k: dims[1].0, a: h.baseAddress!, b: w.baseAddress!, c: $0.baseAddress!) }
            }
        }
        return (0..<rows).map { r in
            var best = 0
            for c in 1..<dims[1].1 where logits[r * dims[1].1 + c] + biases[1][c] > logits[r * dims[1].1 + best] + biases[1][best] { best = c }
            return best
        }
    }
}
