import FedCore
import FedModels
import Testing

/// The compositional teacher (spec §3.9) and the adapters learning it: one skill flips about 30 %
/// of the base's labels, the frozen base alone is far from the teacher, and training only the
/// adapters (the base untouched) recovers most of the gap.
@Suite struct SkillTeacherTests {
    @Test func adaptersLearnTheTeacher_andTheBaseStaysFrozen() {
        Matmul.setThreadCount(1)
        let model = AdapterMLP(experts: 1, rank: 8, routing: .single, baseSeed: 11)
        let structure = SkillTeacher.structure(student: model, seed: 12)
        let train = SkillTeacher.rows(structure, count: 4_000, seed: 12, part: 0), test = SkillTeacher.rows(structure, count: 1_600, seed: 12, part: 1)
        #expect(structure.taskSkills.count == 16 && structure.taskSkills.allSatisfy { $0.count == 2 && $0.allSatisfy { $0.count == 2 } })
        #expect(Set(train.tasks).count == 16)
        var rng = RNGStream(seed: 13, purpose: .parameterInit)
        var parameters = model.initialParameters(rng: &rng)
        let initial = parameters
        let workspace = model.makeWorkspace(batchCapacity: 64)
        let before = model.evaluate(parameters: parameters, on: test.data, workspace: workspace).accuracy
        var trainRNG = RNGStream(seed: 14, purpose: .localTraining)
        let settings = LocalTrainer.Settings(epochs: 8, batchSize: 64, optimizer: SGD.Settings(learningRate: 0.05, momentum: 0.9))
        _ = LocalTrainer.train(model: model, parameters: &parameters, data: DatasetShard(all: train.data), settings: settings, rng: &trainRNG,
                               workspace: workspace)
        let after = model.evaluate(parameters: parameters, on: test.data, workspace: workspace).accuracy
        print("skill teacher: frozen base \(before), after training a rank-8 LoRA \(after)")
        #expect(before < 0.6, "the base alone should miss the skills (accuracy \(before))")
        // One shared LoRA cannot hold 16 task-specific updates: it recovers part of the gap (mixtures are for the rest).
        #expect(after > before + 0.07, "the adapters should learn part of the skills: \(before) → \(after)")
        for entry in model.layout.entries where entry.role == .frozen {
            #expect(parameters[entry.offset..<(entry.offset + entry.count)] == initial[entry.offset..<(entry.offset + entry.count)])
        }
    }
}
