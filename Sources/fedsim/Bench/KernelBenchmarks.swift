import CBLAS
import FedAlgorithms
import FedCore
import FedWire
import Foundation

/// Kernel figures: the project's matmul against cblas_sgemm, and the message path against memcpy.
enum KernelBenchmarks {
    /// Seconds per call of `body`, median of `repeats` timed batches of `iterations` calls.
    static func time(iterations: Int, repeats: Int = 5, _ body: () -> Void) -> Double {
        body()  // warm-up
        var samples = [Double]()
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { body() }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(iterations))
        }
        return samples.sorted()[samples.count / 2]
    }

    static func printSgemm() {
        print("\n== sgemm, 1 thread (GFLOP/s; the project's Matmul.gemm vs cblas_sgemm called directly)")
        for (m, n, k) in [(1024, 1024, 1024), (64, 256, 784), (784, 256, 64)] {
            let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
            var c = [Float](repeating: 0, count: m * n)
            let flops = 2.0 * Double(m * n * k)
            let iterations = max(1, Int(2e9 / flops))
            let ours = time(iterations: iterations) {
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    Matmul.gemm(.none, .none, m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                } } }
            }
            let direct = time(iterations: iterations) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
            }
            print(String(format: "  %4dx%4dx%4d   Matmul.gemm %6.1f GFLOP/s   cblas_sgemm %6.1f GFLOP/s",
                         m, n, k, flops / ours * 1e-9, flops / direct * 1e-9))
        }
    }

    static func printWirePath() {
        let count = 1 << 20
        let values = (0..<count).map { Float($0 % 977) * 0.001 }
        let update = ClientUpdate(clientID: 7, numSamples: 600, tensors: [NamedTensor(name: "w", shape: [count], values: values)])
        let bytes = Double(count * 4)
        let encodeDecode = time(iterations: 20) {
            var envelope = Fedsim_V1_Envelope()
            envelope.round = 3
            envelope.seq = 9
            envelope.body = .update(update.wireUpdate())
            let wire = EnvelopeCodec.encode(envelope)
            guard case let .update(back)? = try? EnvelopeCodec.decode(wire, limit: Int.max).body,
                  let decoded = try? ClientUpdate(wire: back) else { fatalError("round trip failed") }
            precondition(decoded.tensors[0].values.count == count)
        }
        var source = [UInt8](repeating: 1, count: count * 4), target = [UInt8](repeating: 0, count: count * 4)
        let copy = time(iterations: 50) {
            source.withUnsafeBytes { s in target.withUnsafeMutableBytes { t in t.copyMemory(from: s) } }
            source[0] &+= target[1]
        }
        print("\n== message path, 1M-float (4 MiB) update")
        print(String(format: "  floats -> protobuf -> bytes -> protobuf -> floats (validated)  %6.2f GB/s  (%.2f ms)",
                     bytes / encodeDecode * 1e-9, encodeDecode * 1e3))
        print(String(format: "  memcpy of the same 4 MiB                                       %6.2f GB/s  (%.2f ms)",
                     bytes / copy * 1e-9, copy * 1e3))
    }
}
