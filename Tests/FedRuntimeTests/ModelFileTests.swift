import FedCore
@testable import FedRuntime
import Foundation
import Testing

/// Model and checkpoint files: the hand-written header is valid JSON and everything reads back.
@Suite struct ModelFileTests {
    @Test func encodeThenDecode_roundTripsNamesMetricsAndParameters() throws {
        let layout = ParameterLayout([("conv0.weight", [2, 3]), ("odd \"name\" \\ é\u{1}", [2]), ("client:3:adam.m", [1])])
        let parameters: [Float] = [1, -2, 3.5, .pi, 0, -0, 1e-30, 42, 7]
        let metrics = ["test_accuracy": 0.1 + 0.2, "train_loss": .nan, "wall_s": 12.5]
        let data = ModelFile.encode(parameters: parameters, layout: layout, round: 17, algorithm: "asfgnn", rowMetrics: metrics)
        let bytes = [UInt8](data)
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = bytes[12..<(12 + length)]
        #expect((try? JSONSerialization.jsonObject(with: Data(header))) != nil, "the header is valid JSON")
        let contents = try ModelFile.decode(data)
        #expect(contents.layout.entries.map(\.name) == layout.entries.map(\.name))
        #expect(contents.layout.entries.map(\.shape) == layout.entries.map(\.shape))
        #expect(contents.parameters.map(\.bitPattern) == parameters.map(\.bitPattern))
        #expect(contents.round == 17 && contents.algorithm == "asfgnn")
        // Shortest round-trip text keeps every bit; NaN is left out.
        #expect(contents.rowMetrics == ["test_accuracy": 0.1 + 0.2, "wall_s": 12.5])
    }
}
