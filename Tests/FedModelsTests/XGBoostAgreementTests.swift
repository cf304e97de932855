import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// Reference R3 of spec §2.6: Python `xgboost` (tree_method hist, max_bin ≥ k, min_child_weight 0,
/// gamma 0, the same λ, η, depth and base score, squared loss) on the same pre-binned features
/// predicts what the float reference predicts. Trees are not compared: XGBoost prunes the "no
/// split" nodes that complete trees keep as all-left splits, which changes no prediction. Skips,
/// saying why, where Python or xgboost is missing.
@Suite struct XGBoostAgreementTests {
    static let script = """
    import sys
    import numpy as np
    import xgboost as xgb
    data = np.loadtxt(sys.argv[1], delimiter=",")
    features, labels = data[:, :-1], data[:, -1]
    matrix = xgb.DMatrix(features, label=labels)
    params = {"tree_method": "hist", "max_bin": 256, "min_child_weight": 0, "gamma": 0, "lambda": 1.0, "alpha": 0,
              "eta": 0.3, "max_depth": 4, "base_score": 0.0, "objective": "reg:squarederror", "nthread": 1}
    booster = xgb.train(params, matrix, num_boost_round=5)
    np.savetxt(sys.stdout, booster.predict(matrix), fmt="%.9g")
    """

    /// Runs python3 with `arguments`; (exit status, standard output, standard error). The outputs
    /// here are a few kilobytes, well under a pipe's buffer.
    static func python(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process(), out = Pipe(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    /// Whether `python3 -c "import xgboost"` works here.
    static let xgboostAvailable: Bool = (try? python(["-c", "import xgboost, numpy"]).status) == 0

    @Test func squaredLoss_predictionsMatchPythonXGBoost_onPreBinnedFeatures() throws {
        guard Self.xgboostAvailable else {
            print("XGBoostAgreementTests: skipped, python3 with xgboost and numpy is not installed (pip install xgboost)")
            return
        }
        let rows = 600, dimension = 6, buckets = 16
        var rng = RNGStream(seed: 21, purpose: .synthetic)
        let features = (0..<(rows * dimension)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
        let labels = (0..<rows).map { i -> Float in
            let x = features[(i * dimension)..<((i + 1) * dimension)].map(Double.init)
            return Float(max(-1, min(1, 0.7 * x[0] - 0.5 * x[3] * x[4] + 0.3 * (x[2] > 0 ? 1 : -1) + 0.1 * rng.nextGaussian())))
        }
        let bins = FeatureBins(fitting: features, dimension: dimension, buckets: buckets)
        let binned = bins.apply(features)
        var settings = BinnedBoosting.Settings()
        settings.trees = 5; settings.depth = 4; settings.lambda = 1; settings.learningRate = 0.3; settings.baseScore = 0
        let model = BinnedBoosting.train(bins: binned, dimension: dimension, buckets: buckets, labels: labels, settings: settings)
        let ours = model.margins(binned, dimension: dimension)

        let directory = Fixtures.temporaryDirectory("xgboost")
        var csv = ""
        for i in 0..<rows {
            csv += binned[(i * dimension)..<((i + 1) * dimension)].map { String($0) }.joined(separator: ",") + ",\(labels[i])\n"
        }
        try csv.write(toFile: directory + "/bins.csv", atomically: true, encoding: .utf8)
        try Self.script.write(toFile: directory + "/train.py", atomically: true, encoding: .utf8)
        let result = try Self.python([directory + "/train.py", directory + "/bins.csv"])
        try #require(result.status == 0, "xgboost failed: \(result.stderr)")
        let theirs = result.stdout.split(separator: "\n").compactMap { Double($0) }
        try #require(theirs.count == rows)
        let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest prediction difference \(worst)")
    }
}
