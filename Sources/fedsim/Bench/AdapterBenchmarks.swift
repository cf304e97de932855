import FedCore
import FedModels
import Foundation

/// LoRA-mixture training throughput on the skill-teacher toy (32 → 64 → 10, 8 experts of rank 4,
/// k = 2, batch 128): examples per second for a plain LoRA, MixLoRA and ReMix (M = 4, so four
/// forward/backward passes per example), with the share of the time spent inside sgemm.
enum AdapterBenchmarks {
    static func printAll() {
        let arms: [(String, AdapterMLP)] = [
            ("LoRA, rank 8", AdapterMLP(experts: 1, rank: 8, routing: .single, baseSeed: 1)),
            ("MixLoRA, k = 2 of 8", AdapterMLP(experts: 8, rank: 4, routing: .learned(topK: 2, auxiliary: 0.01), baseSeed: 1)),
            ("ReMix, k = 2 of 8, M = 4", AdapterMLP(experts: 8, rank: 4, routing: .reinforced(topK: 2, selections: 4), baseSeed: 1)),
        ]
        let structure = SkillTeacher.structure(student: arms[0].1, seed: 1)
        let rows = SkillTeacher.rows(structure, count: 4_096, seed: 1, part: 0)
        print("\n== LoRA mixtures: training steps on the skill teacher (batch 128, 1 thread)")
        for (name, model) in arms {
            var rng = RNGStream(seed: 2, purpose: .parameterInit)
            let parameters = model.initialParameters(rng: &rng)
            let workspace = model.makeWorkspace(batchCapacity: 128)
            var gradient = [Float](repeating: 0, count: parameters.count)
            let batches = rows.data.count / 128
            let blasBefore = BLASTimer.nanoseconds
            let start = BLASTimer.monotonicNanoseconds()
            parameters.withUnsafeBufferPointer { p in
                rows.data.features.withUnsafeBufferPointer { x in
                    rows.data.labels.withUnsafeBufferPointer { labels in
                        gradient.withUnsafeMutableBufferPointer { g in
                            for b in 0..<batches {
                                _ = model.lossAndGradient(parameters: p, x: x.baseAddress! + b * 128 * 32, labels: labels.baseAddress! + b * 128,
                                                          batch: 128, gradient: g, workspace: workspace)
                            }
                        }
                    }
                }
            }
            let seconds = Double(BLASTimer.monotonicNanoseconds() - start) * 1e-9
            let blas = Double(BLASTimer.nanoseconds - blasBefore) * 1e-9
            print("  " + name.padding(toLength: 28, withPad: " ", startingAt: 0)
                  + String(format: "%10.0f examples/s   sgemm share %4.1f %%", Double(batches * 128) / seconds, 100 * blas / seconds))
        }
    }
}
