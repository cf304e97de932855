import FedModels
import Testing

@Suite struct ReceiverOperatingTests {
    @Test func areaUnderCurve_handCases() {
        // Pairs (positive, negative): (0.35, 0.1) ✓, (0.35, 0.4) ✗, (0.8, 0.1) ✓, (0.8, 0.4) ✓ → 3/4.
        #expect(ReceiverOperating.areaUnderCurve([0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1]) == 0.75)
        // A tie between a positive and a negative counts half: (0.5 vs 0.5) ½, (0.5 vs 0.2) 1 → 3/4.
        #expect(ReceiverOperating.areaUnderCurve([0.5, 0.5, 0.2], labels: [1, 0, 0]) == 0.75)
        #expect(ReceiverOperating.areaUnderCurve([0.9, 0.1], labels: [1, 0]) == 1)
        #expect(ReceiverOperating.areaUnderCurve([0.9, 0.1], labels: [1, 1]).isNaN)
    }
}
