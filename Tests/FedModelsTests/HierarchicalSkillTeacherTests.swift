import FedCore
@testable import FedModels
import Testing

/// The hierarchical teacher (spec §4.10): deterministic, 16 distinct tasks of 2 top-level skills each
/// refined by 2 sub-skills, labels moved away from the frozen base; and S'MoRE learning it.
@Suite struct HierarchicalSkillTeacherTests {
    @Test func structure_isDeterministic_withSixteenDistinctTwoByTwoTasks() {
        let student = StructuralMixtureMLP(baseSeed: 31)
        let first = SkillTeacher.hierarchicalStructure(student: student, seed: 32)
        let again = SkillTeacher.hierarchicalStructure(student: student, seed: 32)
        let other = SkillTeacher.hierarchicalStructure(student: student, seed: 33)
        #expect(first.weights == again.weights && first.taskSkills == again.taskSkills && first.taskSubSkills == again.taskSubSkills)
        #expect(first.weights != other.weights)
        #expect(first.taskSkills.count == 16 && first.taskSubSkills.count == 16)
        for layer in 0..<2 {
            var seen = Set<[Int]>()
            for τ in 0..<16 {
                let tops = first.taskSkills[τ][layer], subs = first.taskSubSkills[τ][layer]
                #expect(tops.count == 2 && Set(tops).count == 2 && tops.allSatisfy { (0..<4).contains($0) })
                #expect(subs.count == 2 && subs.allSatisfy { $0.count == 2 && Set($0).count == 2 && $0.allSatisfy { (0..<4).contains($0) } })
                seen.insert(tops + subs.flatMap { $0 })
            }
            #expect(seen.count == 16, "layer \(layer): tasks repeat")
        }
        // The flat teacher keeps no sub-skills.
        #expect(SkillTeacher.structure(student: student, seed: 32).taskSubSkills.isEmpty)
    }

    @Test func labels_departFromTheBase_andDependOnTheSubSkills() {
        let student = StructuralMixtureMLP(baseSeed: 31)
        let structure = SkillTeacher.hierarchicalStructure(student: student, seed: 32)
        let rows = SkillTeacher.rows(structure, count: 3_200, seed: 32, part: 0)
        let base = student.baseParameters()
        let dims = [(32, 64), (64, 10)]
        let baseLabels = SkillTeacher.argmaxLabels(rows.data.features, weights: base.map(\.weight), biases: base.map(\.bias), dims: dims)
        let changed = Double(zip(baseLabels, rows.data.labels).filter { $0 != Int($1) }.count) / Double(baseLabels.count)
        print("hierarchical teacher: \(changed) of the labels differ from the base's")
        // Two refined skills per layer, each calibrated to flip about 30 %: well above one skill's share.
        #expect(changed > 0.3 && changed < 0.95, "\(changed)")
        #expect(Set(rows.data.labels).count == 10 && Set(rows.tasks).count == 16)
        // Same tops, other sub-skills: on task τ's inputs, swap one layer's weights for those of a task τ'
        // with the same two tops in that layer (so only the sub-skills differ): a clear share of labels moves.
        var compared = 0
        for layer in 0..<2 {
            for τ in 0..<16 {
                let rowsOfTask = (0..<rows.tasks.count).filter { rows.tasks[$0] == τ }
                let x = rowsOfTask.flatMap { row in rows.data.features[(row * 32)..<((row + 1) * 32)] }
                let taught = SkillTeacher.argmaxLabels(x, weights: structure.weights[τ], biases: structure.biases, dims: dims)
                for other in 0..<16 where other != τ && structure.taskSkills[other][layer] == structure.taskSkills[τ][layer] {
                    var weights = structure.weights[τ]
                    weights[layer] = structure.weights[other][layer]
                    let relabelled = SkillTeacher.argmaxLabels(x, weights: weights, biases: structure.biases, dims: dims)
                    let moved = Double(zip(taught, relabelled).filter { $0 != $1 }.count) / Double(taught.count)
                    #expect(moved > 0.05, "layer \(layer): task \(τ) with task \(other)'s sub-skills moves \(moved) of its labels")
                    compared += 1
                }
            }
        }
        #expect(compared >= 4, "too few tasks share their tops to compare sub-skills (\(compared))")
    }

    @Test func smore_learnsTheHierarchicalTeacher_lossFallsClearly() {
        Matmul.setThreadCount(1)
        let model = StructuralMixtureMLP(baseSeed: 41)
        let structure = SkillTeacher.hierarchicalStructure(student: model, seed: 42)
        let train = SkillTeacher.rows(structure, count: 1_600, seed: 42, part: 0)
        var rng = RNGStream(seed: 43, purpose: .parameterInit)
        var parameters = model.initialParameters(rng: &rng)
        let initial = parameters
        let workspace = model.makeWorkspace(batchCapacity: 32)
        let before = model.evaluate(parameters: parameters, on: train.data, workspace: workspace)
        var trainRNG = RNGStream(seed: 44, purpose: .localTraining)
        // 1,600 rows / 32 = 50 steps per epoch: 300 steps.
        let settings = LocalTrainer.Settings(epochs: 6, batchSize: 32, optimizer: SGD.Settings(learningRate: 0.05, momentum: 0.9))
        _ = LocalTrainer.train(model: model, parameters: &parameters, data: DatasetShard(all: train.data), settings: settings, rng: &trainRNG,
                               workspace: workspace)
        let after = model.evaluate(parameters: parameters, on: train.data, workspace: workspace)
        print("S'MoRE on the hierarchical teacher: loss \(before.loss) → \(after.loss), accuracy \(before.accuracy) → \(after.accuracy)")
        #expect(after.loss < 0.8 * before.loss, "loss \(before.loss) → \(after.loss)")
        #expect(after.accuracy > before.accuracy + 0.1, "accuracy \(before.accuracy) → \(after.accuracy)")
        for entry in model.layout.entries where entry.role == .frozen {
            #expect(parameters[entry.offset..<(entry.offset + entry.count)] == initial[entry.offset..<(entry.offset + entry.count)])
        }
        let usage = model.expertUsage(parameters: parameters, x: Array(train.data.features.prefix(320 * 32)), batch: 320)
        print("S'MoRE expert usage [layer][level][expert]: \(usage)")
    }
}
