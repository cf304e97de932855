import FedCore
import FedModels
import FedSecure
import FedWorkloads
import Foundation

/// Secure vertical XGB figures, both parties in this process on two threads over the in-memory link
/// (protocol compute without network latency; a run's metrics add the real transport):
/// AND gates per second next to a plain AND loop, secure vs plaintext seconds per tree, and per
/// level the measured rounds, AND gates and bytes next to the cost model of spec §2.4.10.
enum SecureXGBBenchmarks {
    static func printAll() {
        printGates()
        do {
            try printTrees(label: "breast cancer, 455 training rows, 15 + 15 features, logistic", source: .breastCancer(path: nil),
                           columns: ["0-14", "15-29"], loss: .logistic)
            try printTrees(label: "synthetic regression, n = 8192, 10 + 10 features, squared", source: .syntheticRegression(rows: 8192, features: 20),
                           columns: ["0-9", "10-19"], loss: .squared, testFraction: 0)
        } catch {
            print("  secure XGB benchmark skipped: \(error)")
        }
    }

    /// Engines for two parties with a dealer in this process (seeded keys: figures only).
    static func engines() -> (InMemoryPartyLink, InMemoryPartyLink, [SecureEngine]) {
        let links = InMemoryPartyLink.pair(timeoutSeconds: 600)
        let keys = DealerKeys.seeded(1)
        let engines = (0..<2).map { party in
            SecureEngine(party: party, link: party == 0 ? links.0 : links.1,
                         material: PartyMaterial(party: party, key: keys.key(party: party), corrections: party == 0 ? LocalDealer(keys: keys) : nil),
                         maskKey: .seeded(1, label: 7 + UInt64(party)))
        }
        return (links.0, links.1, engines)
    }

    static func printGates() {
        let words = 1 << 16
        let (a, b, engines) = engines()
        let shared = BenchBox(engines)
        let start = ContinuousClock.now
        _ = runBothParties(links: (a, b)) { party, _ in
            let engine = shared.value[party]
            var u = [UInt64](repeating: 0x5555_5555_5555_5555, count: words), v = u
            for _ in 0..<8 { u = try engine.and(u, v); v = u }
            return u.count
        }
        let secure = seconds(since: start)
        let gates = Double(8 * 64 * words)
        var x = [UInt64](repeating: 0x5555, count: words), y = x
        let plainStart = ContinuousClock.now
        for _ in 0..<64 { for i in 0..<words { x[i] &= y[i] ^ UInt64(i) }; y = x }
        let plain = seconds(since: plainStart) / 8
        print("\n== secure XGB: AND gates over shares (two parties, in-memory link, dealer in process)")
        print(String(format: "  batched AND gates             %10.1f M gates/s  (a plain AND loop: %.1f G gates/s; the dealer's ChaCha20 and the openings are the difference)",
                     gates / secure * 1e-6, gates / plain * 1e-9))
    }

    struct Phase { let name: String; let rounds: Int; let gates: Int; let bytes: Int; let seconds: Double }

    static func printTrees(label: String, source: VerticalSpec.Source, columns: [String], loss: BinnedBoosting.Loss,
                           testFraction: Double = 0.2) throws {
        let spec = VerticalSpec(source: source, testFraction: testFraction, columnText: columns)
        let data = try VerticalData.load(spec, party: nil, seed: 1, sourceFile: "topologies/bench/secure_xgb.yaml")
        let d0 = data.allColumns[0].count, d1 = data.allColumns[1].count, dimension = d0 + d1
        var settings = BinnedBoosting.Settings()
        settings.trees = 1; settings.depth = 4; settings.lambda = 1; settings.loss = loss
        let buckets = 16
        let inputs = VerticalColumns.inputs(features: data.train, dimension: dimension, labels: data.trainLabels ?? [],
                                            columns: [Array(0..<d0), Array(d0..<dimension)], buckets: buckets)
        let shape = SecureBoostingParty.Shape(rows: data.trainRows, features: [d0, d1], buckets: buckets)
        let fixed = settings
        let (a, b, engines) = engines()
        let shared = BenchBox(engines)
        let start = ContinuousClock.now
        let results = runBothParties(links: (a, b)) { party, _ -> [Phase] in
            let engine = shared.value[party]
            let trainer = try SecureBoostingParty(engine: engine, input: inputs[party], shape: shape, settings: fixed)
            var phases = [Phase](), last = (engine.rounds, engine.andGates, engine.wordsSent, ContinuousClock.now)
            _ = try trainer.run { phase in
                phases.append(Phase(name: "\(phase)", rounds: engine.rounds - last.0, gates: engine.andGates - last.1,
                                    bytes: 8 * (engine.wordsSent - last.2), seconds: seconds(since: last.3)))
                last = (engine.rounds, engine.andGates, engine.wordsSent, .now)
            }
            return phases
        }
        let secure = seconds(since: start)
        let phases = try results.map { try $0.get() }
        let plainStart = ContinuousClock.now
        _ = try FixedPointBoosting.train(bins0: inputs[0].binned, features0: d0, bins1: inputs[1].binned, features1: d1, buckets: buckets,
                                         labels: data.trainLabels ?? [], settings: settings)
        let emulated = seconds(since: plainStart)
        let combined = VerticalColumns.joined(inputs.map(\.binned), features: [d0, d1], rows: data.trainRows)
        let floatStart = ContinuousClock.now
        _ = BinnedBoosting.train(bins: combined, dimension: dimension, buckets: buckets, labels: (data.trainLabels ?? []).map(Float.init), settings: settings)
        let float = seconds(since: floatStart)
        print("\n== secure XGB, one tree of depth 4, k = 16: \(label)")
        print(String(format: "  secure (setup + one tree)     %10.3f s    plaintext fixed-point emulator %.4f s, float XGB on bins %.4f s (%.0fx slower than float)",
                     secure, emulated, float, secure / max(float, 1e-9)))
        let bounds = FixedPoint.DivisionBounds(lambda: 1, rows: data.trainRows, maxHessian: loss == .squared ? 1 : 0.25)
        let k = (d0 + d1) * buckets
        print("  phase               rounds (model)      AND gates (model)          bytes, both ways (model)   seconds")
        for (index, phase) in phases[0].enumerated() {
            let both = phase.bytes + phases[1][index].bytes
            let model = costModel(phase: phase.name, level: index - 1, depth: settings.depth, rows: data.trainRows, candidates: k, bounds: bounds,
                                  logistic: loss == .logistic, features: (d0, d1), buckets: buckets)
            let name = phase.name.padding(toLength: 18, withPad: " ", startingAt: 0)
            print("  " + name + String(format: " %6d (%6.0f) %12d (%12.0f) %12d (%12.0f) %9.3f", phase.rounds, model.rounds,
                                       phase.gates, model.gates, both, model.bytes, phase.seconds))
        }
    }

    /// Spec §2.4.10's count for one phase. A 64-bit PrivateCompare is 321 + 64 AND gates; LTZ is one
    /// compare, TruncExact two, each with one opened z and 9 rounds; an AND gate opens 2 bits each
    /// way, a Beaver product 2 ring elements each way, a bit conversion 1 bit each way.
    struct Cost {
        var compares = 0.0, openings = 0.0, beaver = 0.0, oneWay = 0.0, bothWays = 0.0, rounds = 0.0
        mutating func lessThanZero(_ count: Double) { compares += count; openings += count; rounds += 9 }
        mutating func truncate(_ count: Double) { compares += 2 * count; openings += count; rounds += 9 }
        mutating func multiply(_ count: Double) { beaver += count; rounds += 1 }
        mutating func divide(_ count: Double, thresholds t: Double) {
            lessThanZero(count * t)
            multiply(count * (t + 1)); truncate(count)
            for _ in 0..<3 { multiply(count); truncate(count); multiply(count); truncate(count) }
            multiply(count); truncate(count)
            multiply(count * (t + 1)); truncate(count)
        }
        var gates: Double { compares * 385 }
        var bytes: Double { gates / 2 + compares / 4 + openings * 16 + beaver * 32 + oneWay * 8 + bothWays * 16 }
    }

    static func costModel(phase: String, level: Int, depth: Int, rows n: Int, candidates k: Int, bounds: FixedPoint.DivisionBounds,
                          logistic: Bool, features: (Int, Int), buckets: Int) -> Cost {
        var cost = Cost()
        let rows = Double(n), candidates = Double(k), thresholds = Double(bounds.high - bounds.low)
        if phase == "setup" {
            cost.oneWay = rows * Double((features.0 + features.1) * buckets) + rows
            cost.rounds = 2
            return cost
        }
        let isLeaves = phase.hasSuffix("leaves")
        let m = Double(1 << (isLeaves ? depth : level))
        if logistic && level == 0 && !isLeaves {
            cost.truncate(rows); cost.lessThanZero(2 * rows); cost.multiply(2 * rows)  // seg3 sigmoid
            cost.multiply(rows); cost.truncate(rows)  // h = p(1 − p)
        }
        cost.multiply(m * rows * (logistic ? 2 : 1))  // s ⊙ g (and s ⊙ h)
        if isLeaves {
            cost.divide(m, thresholds: thresholds)
            cost.truncate(m)  // × (−η)
            cost.multiply(m * rows)  // ŷ += s_leaf · w_leaf
            return cost
        }
        cost.bothWays += (level == 0 ? 2 : m) * rows; cost.rounds += 1  // OLE bucket sums
        let elements = 2 * m * candidates
        cost.divide(elements, thresholds: thresholds)
        cost.multiply(elements); cost.truncate(elements)  // scores
        var width = candidates
        while width > 1 {  // argmax tournament
            let pairs = (width / 2).rounded(.down)
            cost.lessThanZero(m * pairs); cost.multiply(2 * m * pairs)
            width = pairs + width.truncatingRemainder(dividingBy: 2)
        }
        cost.lessThanZero(m); cost.bothWays += m; cost.rounds += 1  // owner bits
        cost.oneWay += m + m * rows; cost.rounds += 2  // indices to owners, left masks
        cost.multiply(m * rows)  // child indicators
        return cost
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}

final class BenchBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
