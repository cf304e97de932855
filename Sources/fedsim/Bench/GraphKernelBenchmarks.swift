import FedCore
import FedModels
import FedRuntime
import FedWorkloads
import Foundation

/// Graph figures: the CSR × dense kernel on Cora's matrices next to the memory-bandwidth bound, and
/// one full-batch GCN epoch (the unit the graph workloads' round times are compared with).
enum GraphKernelBenchmarks {
    static func printAll() {
        guard let found = DataLocator.locate("cora/planetoid/ind.cora.x", topologyFile: nil).path,
              let cora = try? PlanetoidLoader.load(directory: URL(fileURLWithPath: found).deletingLastPathComponent().path, prefix: "cora")
        else {
            print("\n== graph kernels: skipped (data/cora not found; set FEDSIM_DATA_DIR)")
            return
        }
        let adjacency = SparseMatrix.normalizedAdjacency(nodeCount: cora.nodeCount, edges: cora.edges)
        let features = cora.rowNormalizedFeatures()
        let bandwidth = streamBandwidth()
        print("\n== sparse x dense (CSR), 1 thread, Cora; streaming bound: every non-zero reads its dense row from memory "
              + String(format: "at %.1f GB/s (operands that stay in cache can beat it)", bandwidth * 1e-9))
        for (name, matrix, width) in [("A_hat x H", adjacency, 16), ("A_hat x H", adjacency, 64), ("X x W", features, 16),
                                      ("X x W", features, 64)] {
            let dense = [Float](repeating: 0.5, count: matrix.columnCount * width)
            var out = [Float](repeating: 0, count: matrix.rowCount * width)
            let seconds = KernelBenchmarks.time(iterations: 50) {
                dense.withUnsafeBufferPointer { d in out.withUnsafeMutableBufferPointer { matrix.multiply(d.baseAddress!, width: width, into: $0.baseAddress!) } }
            }
            let flops = 2.0 * Double(matrix.nonZeroCount * width)
            // Bytes if nothing were cached: per non-zero its value and column, and its dense row.
            let boundFlops = bandwidth / Double(8 + 4 * width) * Double(2 * width)
            print(String(format: "  %@ %5d x %4d (%6d nnz), width %2d   %6.2f GFLOP/s   bandwidth bound %6.2f GFLOP/s  (%.3f ms)",
                         name, matrix.rowCount, matrix.columnCount, matrix.nonZeroCount, width, flops / seconds * 1e-9,
                         boundFlops * 1e-9, seconds * 1e3))
        }
        let model = GraphConvNet(settings: .kipf(classCount: cora.classCount), inputDimension: cora.featureDimension,
                                 classCount: cora.classCount)
        let inputs = GraphInputs(features: features, adjacency: adjacency, labels: cora.labels)
        var rng = RNGStream(seed: 1, purpose: .parameterInit)
        let parameters = model.initialParameters(rng: &rng)
        let workspace = model.makeWorkspace(nodeCount: cora.nodeCount, featureNonZeros: features.nonZeroCount)
        var gradient = [Float](repeating: 0, count: parameters.count)
        let train = cora.split?.train ?? Array(0..<140)
        let epoch = KernelBenchmarks.time(iterations: 20) {
            var dropout: RNGStream? = RNGStream(seed: 1, purpose: .custom)
            _ = parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(parameters: p, inputs: inputs, lossNodes: train, gradient: g, workspace: workspace, dropout: &dropout)
                }
            }
        }
        print(String(format: "  GCN (Kipf, 16 hidden) on Cora: one full-batch forward + backward %.2f ms", epoch * 1e3))
    }

    /// Seconds of one full-batch forward + backward of ASFGNN-R's network (F → 64 → 32 → head) on the
    /// whole of Cora: the maths one federated round spreads over its clients.
    static func separatedEpochSeconds() -> Double? {
        guard let found = DataLocator.locate("cora/planetoid/ind.cora.x", topologyFile: nil).path,
              let cora = try? PlanetoidLoader.load(directory: URL(fileURLWithPath: found).deletingLastPathComponent().path, prefix: "cora")
        else { return nil }
        let model = GraphConvNet(settings: .separated(), inputDimension: cora.featureDimension, classCount: cora.classCount)
        let features = cora.rowNormalizedFeatures()
        let inputs = GraphInputs(features: features, adjacency: SparseMatrix.normalizedAdjacency(nodeCount: cora.nodeCount, edges: cora.edges),
                                 labels: cora.labels)
        var rng = RNGStream(seed: 1, purpose: .parameterInit)
        let parameters = model.initialParameters(rng: &rng)
        let workspace = model.makeWorkspace(nodeCount: cora.nodeCount, featureNonZeros: features.nonZeroCount)
        var gradient = [Float](repeating: 0, count: parameters.count)
        let train = Array(stride(from: 0, to: cora.nodeCount, by: 5))
        return KernelBenchmarks.time(iterations: 20) {
            var dropout: RNGStream? = RNGStream(seed: 1, purpose: .custom)
            _ = parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(parameters: p, inputs: inputs, lossNodes: train, gradient: g, workspace: workspace, dropout: &dropout)
                }
            }
        }
    }

    /// Bytes per second of a large copy (read + write counted), a proxy for main-memory bandwidth.
    static func streamBandwidth() -> Double {
        let count = 64 << 20
        let source = [UInt8](repeating: 1, count: count)
        var target = [UInt8](repeating: 0, count: count)
        let seconds = KernelBenchmarks.time(iterations: 3) {
            source.withUnsafeBytes { s in target.withUnsafeMutableBytes { $0.copyMemory(from: s) } }
        }
        return 2 * Double(count) / seconds
    }
}
