import FedCore
import Testing

@Suite struct ParameterLayoutTests {
    static let layout = ParameterLayout([(name: "w", shape: [3, 4]), (name: "b", shape: [4]), (name: "v", shape: [2, 1, 5])])
    /// 0, 1, 2, ... so every element is distinguishable.
    static let flat = (0..<26).map(Float.init)

    @Test func init_placesTensorsBackToBack() {
        #expect(Self.layout.totalCount == 12 + 4 + 10)
        #expect(Self.layout.entries.map(\.name) == ["w", "b", "v"])
        #expect(Self.layout.entries.map(\.offset) == [0, 12, 16])
        #expect(Self.layout.entries.map(\.count) == [12, 4, 10])
        #expect(Self.layout.entry(named: "v")?.shape == [2, 1, 5])
        #expect(Self.layout.entry(named: "missing") == nil)
    }

    @Test func init_withNoTensors_isEmpty() {
        let empty = ParameterLayout([])
        #expect(empty.totalCount == 0)
        #expect(empty.split([]).isEmpty)
        #expect((try? empty.flatten([])) == [])
    }

    @Test func split_cutsTheFlatBufferAtTheOffsets() {
        let tensors = Self.layout.split(Self.flat)
        #expect(tensors.map(\.name) == ["w", "b", "v"])
        #expect(tensors.map(\.shape) == [[3, 4], [4], [2, 1, 5]])
        #expect(tensors[0].values == (0..<12).map(Float.init))
        #expect(tensors[1].values == [12, 13, 14, 15])
        #expect(tensors[2].values == (16..<26).map(Float.init))
    }

    @Test func flattenAfterSplit_isIdentity() throws {
        #expect(try Self.layout.flatten(Self.layout.split(Self.flat)) == Self.flat)
    }

    @Test func splitAfterFlatten_isIdentity() throws {
        let tensors = [
            NamedTensor(name: "w", shape: [3, 4], values: (0..<12).map { Float($0) * -0.5 }),
            NamedTensor(name: "b", shape: [4], values: [1, 2, 3, 4]),
            NamedTensor(name: "v", shape: [2, 1, 5], values: (0..<10).map { Float($0) + 0.25 }),
        ]
        #expect(Self.layout.split(try Self.layout.flatten(tensors)) == tensors)
    }

    @Test func flatten_acceptsTensorsInAnyOrder() throws {
        let tensors = Self.layout.split(Self.flat)
        #expect(try Self.layout.flatten([tensors[2], tensors[0], tensors[1]]) == Self.flat)
    }

    @Test func flatten_withMissingTensor_throws() {
        let tensors = Self.layout.split(Self.flat)
        #expect(throws: LayoutMismatch.self) { try Self.layout.flatten(Array(tensors.prefix(2))) }
    }

    @Test func flatten_withExtraTensor_throws() {
        let tensors = Self.layout.split(Self.flat) + [NamedTensor(name: "extra", shape: [1], values: [0])]
        #expect(throws: LayoutMismatch.self) { try Self.layout.flatten(tensors) }
    }

    @Test func flatten_withUnknownName_throwsNamingIt() {
        var tensors = Self.layout.split(Self.flat)
        tensors[1].name = "bias"
        let error = #expect(throws: LayoutMismatch.self) { try Self.layout.flatten(tensors) }
        #expect(error?.reason.contains("bias") == true)
    }

    @Test func flatten_withDuplicateName_throws() {
        // Three tensors (the right count) but "w" twice and "b" missing.
        let tensors = Self.layout.split(Self.flat)
        let error = #expect(throws: LayoutMismatch.self) { try Self.layout.flatten([tensors[0], tensors[0], tensors[2]]) }
        #expect(error?.reason.contains("w") == true)
    }

    @Test(arguments: [[4, 3], [12], [3, 4, 1], [1, 3, 4]])
    func flatten_withWrongShapeOfSameSize_throws(shape: [Int]) {
        var tensors = Self.layout.split(Self.flat)
        tensors[0] = NamedTensor(name: "w", shape: shape, values: tensors[0].values)
        let error = #expect(throws: LayoutMismatch.self) { try Self.layout.flatten(tensors) }
        #expect(error?.reason.contains("w") == true)
    }
}
