import FedModels
import FedSecure
import FedWorkloads
import Foundation

/// `compare_plaintext: true` (simulation only): the coordinator reads the whole table, as no
/// deployment's dealer could, and trains the two plaintext references on the same split and bins:
/// float XGB with the exact sigmoid, and the fixed-point emulator the protocol reproduces exactly.
enum PlaintextReference {
    static let columns = ["plaintext_test_auc", "plaintext_test_accuracy", "plaintext_test_rmse", "plaintext_train_seconds",
                          "emulator_test_auc", "emulator_test_accuracy", "emulator_test_rmse"]

    static func metrics(topology: Topology, spec: PartyRunSpec) throws -> [String: Double] {
        let data = try VerticalData.load(spec.data, party: nil, seed: topology.seed, sourceFile: topology.sourceFile)
        let d0 = data.allColumns[0].count, d1 = data.allColumns[1].count, dimension = d0 + d1
        let columns = [Array(0..<d0), Array(d0..<dimension)]
        let settings = spec.settings.boosting, buckets = spec.settings.buckets
        let labels = data.trainLabels ?? [], testLabels = data.testLabels ?? []
        let inputs = VerticalColumns.inputs(features: data.train, dimension: dimension, labels: labels, columns: columns, buckets: buckets)
        let test = VerticalColumns.binned(data.test, dimension: dimension, columns: columns, inputs: inputs)
        let start = ContinuousClock.now
        let trainBins = VerticalColumns.joined(inputs.map(\.binned), features: [d0, d1], rows: data.trainRows)
        let float = BinnedBoosting.train(bins: trainBins, dimension: dimension, buckets: buckets, labels: labels.map(Float.init), settings: settings)
        let trainSeconds = seconds(since: start)
        let floatPredictions = float.predictions(VerticalColumns.joined(test, features: [d0, d1], rows: data.testRows), dimension: dimension)
        let (emulator, _) = try FixedPointBoosting.train(bins0: inputs[0].binned, features0: d0, bins1: inputs[1].binned, features1: d1,
                                                         buckets: buckets, labels: labels, settings: settings)
        let emulated = emulator.predict(bins0: test[0], bins1: test[1], rows: data.testRows).map(FixedPoint.decode)
        var out = [String: Double]()
        for (key, value) in PartyMetrics.heldOut(floatPredictions, labels: testLabels, loss: settings.loss) { out["plaintext_" + key] = value }
        for (key, value) in PartyMetrics.heldOut(emulated, labels: testLabels, loss: settings.loss) { out["emulator_" + key] = value }
        out["plaintext_train_seconds"] = trainSeconds
        return out
    }
}
