import FedCore
import Testing

/// Parameter roles: one layout, marked per tensor, gives each role's part and moves values between
/// the whole buffer and a part without mixing tensors up.
@Suite struct ParameterRolesTests {
    let layout = ParameterLayout([("conv0.weight", [3, 2]), ("conv0.bias", [2]), ("head.weight", [2, 2]), ("head.bias", [2]),
                                  ("embedding", [4])])
        .assigningRoles { $0.name.hasPrefix("head.") ? .shared : $0.name == "embedding" ? .frozen : .private }

    @Test func parts_keepModelOrderAndFreshOffsets() {
        let shared = layout.part(.shared)
        #expect(shared.entries.map(\.name) == ["head.weight", "head.bias"])
        #expect(shared.entries.map(\.offset) == [0, 4])
        #expect(shared.entries.allSatisfy { $0.role == .shared })
        #expect(layout.part(.private).entries.map(\.name) == ["conv0.weight", "conv0.bias"])
        #expect(layout.count(of: .shared) == 6 && layout.count(of: .private) == 8 && layout.count(of: .frozen) == 4)
        #expect(layout.trainableCount == 14)
    }

    @Test func gatherThenScatter_touchesOnlyThatRole() {
        let flat = (0..<layout.totalCount).map(Float.init)
        let head = layout.gather(.shared, from: flat)
        #expect(head == [8, 9, 10, 11, 12, 13])
        var target = [Float](repeating: -1, count: layout.totalCount)
        layout.scatter(.shared, head, into: &target)
        for entry in layout.entries {
            let values = Array(target[entry.offset..<(entry.offset + entry.count)])
            #expect(values == (entry.role == .shared ? Array(flat[entry.offset..<(entry.offset + entry.count)])
                                                     : [Float](repeating: -1, count: entry.count)))
        }
    }

    @Test func rolesDoNotChangeOffsets_andDefaultToShared() {
        let plain = ParameterLayout([("a", [2]), ("b", [3])])
        #expect(plain.entries.allSatisfy { $0.role == .shared })
        let marked = plain.assigningRoles { _ in .private }
        #expect(marked.entries.map(\.offset) == plain.entries.map(\.offset))
        #expect(marked.part(.shared).totalCount == 0)
        #expect(marked != plain)
    }
}
