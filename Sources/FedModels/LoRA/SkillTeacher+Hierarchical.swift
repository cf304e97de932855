import FedCore

/// The hierarchical teacher of spec §4.10 (a task is a pair of top-level skills, each refined by a
/// pair of sub-skills, mirroring an S'MoRE tree with s = [4, 4], f = [2, 2]). The spec names the
/// idea only; the construction below is an inferred design [INF].
///
/// Per layer (W of shape [O, I]): 4 top-level skills with factors U_t [O, k], V_t [I, k] (entries
/// N(0, 1)), and 4 sub-skills M_s [k, k] (entries N(0, 1/k), so a sub-skill pair carries about as much
/// as the parent's own part). A sub-skill acts inside the subspace of the parent it refines: top t
/// refined by the pair {a, b} is the update
///
///     R_{t,{a,b}} = U_t (I_k + M_a + M_b) V_tᵀ,
///
/// so the same sub-skill means a different matrix under each parent: a flat mixture would need one
/// expert per (parent, sub-skill), while a tree can reuse its sub-experts under every parent. A task
/// picks, per layer, a pair of tops {t1, t2} and a sub-skill pair for each; its weights are
/// W + c_l (R_{t1,·} + R_{t2,·}). The 16 tasks are the first 16 of the 6 × 36 = 216 combinations
/// (C(4,2) top pairs × C(4,2)² sub-skill pairs) after a seeded shuffle, drawn per layer as the flat
/// teacher's pairs are. c_l is calibrated as in the flat teacher: one refined top skill (averaged over
/// the 4 tops × 6 sub-skill pairs) flips `flipFraction` of the base's labels. Task centres, inputs
/// and labels follow the flat teacher (`rows` serves both).
extension SkillTeacher {
    public struct HierarchicalSettings: Sendable, Equatable {
        public var tasks = 16
        public var topSkills = 4
        public var subSkills = 4
        /// k, the rank of a top-level skill (a sub-skill is a k × k matrix inside it).
        public var skillRank = 4
        public var flipFraction = 0.3
        public var centreNorm = 3.0
        public init() {}
    }

    /// The hierarchical teacher for `student`'s base (same `baseSeed`), with its structure from `seed`.
    /// `taskSkills[τ][l]` holds the two tops, `taskSubSkills[τ][l][j]` the pair refining top j.
    public static func hierarchicalStructure(student: some FrozenBaseNetwork, seed: UInt64,
                                             settings: HierarchicalSettings = HierarchicalSettings()) -> Structure {
        var rng = RNGStream(seed: seed, purpose: .synthetic, client: 0x5C3)
        let base = student.baseParameters()
        let dims = [(student.inputDimension, student.hidden), (student.hidden, student.classCount)]
        let k = settings.skillRank
        let centres = taskCentres(tasks: settings.tasks, inputs: student.inputDimension, norm: settings.centreNorm, rng: &rng)
        // Factors per layer: U_t, V_t of each top, M_s of each sub-skill.
        var factors = [(u: [[Double]], v: [[Double]], m: [[Double]])]()
        for (inputs, outputs) in dims {
            let u = (0..<settings.topSkills).map { _ in (0..<(outputs * k)).map { _ in rng.nextGaussian() } }
            let v = (0..<settings.topSkills).map { _ in (0..<(inputs * k)).map { _ in rng.nextGaussian() } }
            let m = (0..<settings.subSkills).map { _ in (0..<(k * k)).map { _ in rng.nextGaussian() / Double(k).squareRoot() } }
            factors.append((u, v, m))
        }
        /// R_{t,pair} [O·I] = U_t (I + Σ_{s ∈ pair} M_s) V_tᵀ in layer `layer`.
        func refined(layer: Int, top t: Int, pair: [Int]) -> [Float] {
            let (inputs, outputs) = dims[layer], f = factors[layer]
            var inner = [Double](repeating: 0, count: k * k)
            for i in 0..<k { inner[i * k + i] = 1 }
            for s in pair { for i in inner.indices { inner[i] += f.m[s][i] } }
            // U_t · inner [O, k], then times V_tᵀ.
            var mixed = [Double](repeating: 0, count: outputs * k)
            for o in 0..<outputs { for j in 0..<k { for q in 0..<k { mixed[o * k + j] += f.u[t][o * k + q] * inner[q * k + j] } } }
            return lowRankProduct(mixed, f.v[t], outputs: outputs, inputs: inputs, rank: k)
        }
        let topPairs = pairs(of: settings.topSkills), subPairs = pairs(of: settings.subSkills)
        var combinations = [(tops: [Int], subs: [[Int]])]()
        for tops in topPairs { for first in subPairs { for second in subPairs { combinations.append((tops, [first, second])) } } }
        precondition(settings.tasks <= combinations.count, "\(settings.tasks) tasks from \(combinations.count) combinations")
        var taskSkills = [[[Int]]](repeating: [], count: settings.tasks)
        var taskSubSkills = [[[[Int]]]](repeating: [], count: settings.tasks)
        for _ in dims.indices {
            var order = combinations
            rng.shuffle(&order)
            for τ in 0..<settings.tasks {
                taskSkills[τ].append(order[τ].tops)
                taskSubSkills[τ].append(order[τ].subs)
            }
        }
        let probe = probeRows(centres: centres, rng: &rng)
        let scales = dims.indices.map { layer -> Float in
            let units = (0..<settings.topSkills).flatMap { t in subPairs.map { refined(layer: layer, top: t, pair: $0) } }
            return calibratedScale(layer: layer, skills: units, probe: probe, base: base, dims: dims, flipFraction: settings.flipFraction)
        }
        let weights = (0..<settings.tasks).map { τ in
            dims.indices.map { layer -> [Float] in
                var w = base[layer].weight
                for (t, pair) in zip(taskSkills[τ][layer], taskSubSkills[τ][layer]) {
                    let update = refined(layer: layer, top: t, pair: pair)
                    for i in w.indices { w[i] += scales[layer] * update[i] }
                }
                return w
            }
        }
        return Structure(taskSkills: taskSkills, taskSubSkills: taskSubSkills, centres: centres, weights: weights, biases: base.map(\.bias))
    }

    /// The unordered pairs of 0..<n in lexicographic order.
    static func pairs(of n: Int) -> [[Int]] { (0..<n).flatMap { a in ((a + 1)..<n).map { [a, $0] } } }
}
