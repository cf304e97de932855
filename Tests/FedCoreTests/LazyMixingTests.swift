import FedCore
import Testing

@Suite struct LazyMixingTests {
    @Test func lazyWeights_keepTheGraphAndRows_andMoveTheSpectrumIntoZeroOne() throws {
        let plain = MixingMatrix.metropolisHastings(try PeerGraph.torus(rows: 4, columns: 4))
        let lazy = plain.lazy()
        #expect(plain.eigenvalues.last! < -0.5, "the 4 × 4 torus has an eigenvalue of −0.6")
        #expect(lazy.eigenvalues.allSatisfy { $0 >= -1e-12 && $0 <= 1 + 1e-12 })
        for i in 0..<16 {
            #expect(abs((0..<16).reduce(0) { $0 + lazy.weight(i, $1) } - 1) < 1e-12)
            for j in 0..<16 where i != j { #expect(lazy.weight(i, j) == plain.weight(i, j) / 2) }
        }
        #expect(abs(lazy.rho - (1 + plain.eigenvalues[1]) / 2) < 1e-9, "ρ of (I + W)/2 is (1 + λ₂)/2 here")
    }
}
