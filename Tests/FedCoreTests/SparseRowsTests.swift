import FedCore
import Testing

/// Sparse rows (DESIGN §10): a message may carry some rows of a table that travels as rows; the
/// layout accepts them only for such tables, with the table's width and distinct ascending ids.
@Suite struct SparseRowsTests {
    let layout = ParameterLayout([("items", [5, 2]), ("weight", [2, 2])]).allowingRows(["items"])

    func rows(_ ids: [Int32], width: Int = 2, name: String = "items") -> NamedTensor {
        NamedTensor(name: name, shape: [ids.count, width], values: (0..<(ids.count * width)).map { Float($0 + 1) }, rowIDs: ids)
    }
    let weight = NamedTensor(name: "weight", shape: [2, 2], values: [9, 9, 9, 9])

    @Test func ascendingRowsOfARowTable_areAccepted_andFlattenIntoTheirRows() throws {
        let flat = try layout.flatten([rows([1, 4]), weight])
        // Rows 1 and 4 of the 5 × 2 table hold the message's rows; the rows not sent stay zero.
        #expect(flat == [0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 9, 9, 9, 9])
    }

    @Test(arguments: [[2, 1], [1, 1], [0, 5], [-1, 2]] as [[Int32]])
    func unorderedRepeatedOrOutOfRangeIds_areRejected(ids: [Int32]) {
        #expect(throws: LayoutMismatch.self) { try layout.validate([rows(ids), weight]) }
    }

    @Test func rowsOfTheWrongWidth_orOfATableThatIsNotSentAsRows_areRejected() {
        #expect { try layout.validate([rows([0, 1], width: 3), weight]) } throws: { "\($0)".contains("the table is [5, 2]") }
        let weightRows = NamedTensor(name: "weight", shape: [1, 2], values: [1, 1], rowIDs: [0])
        #expect { try layout.validate([rows([0]), weightRows]) } throws: { "\($0)".contains("may not travel as rows") }
    }

    @Test func wholeTables_stillValidateAsBefore() throws {
        let whole = NamedTensor(name: "items", shape: [5, 2], values: [Float](repeating: 1, count: 10))
        #expect(try layout.flatten([whole, weight]).count == 14)
        #expect(throws: LayoutMismatch.self) { try layout.validate([NamedTensor(name: "items", shape: [4, 2], values: [Float](repeating: 1, count: 8)), weight]) }
    }

    @Test func rolePartsKeepWhichTablesTravelAsRows() {
        let marked = layout.assigningRoles { $0.name == "items" ? .shared : .private }
        #expect(marked.part(.shared).entries.map(\.travelsAsRows) == [true])
        #expect(marked.part(.private).entries.map(\.travelsAsRows) == [false])
    }

    @Test func rowsInitializer_copiesTheNamedRows() {
        let table: [Float] = [0, 1, 10, 11, 20, 21]
        let tensor = table.withUnsafeBufferPointer { NamedTensor(name: "t", rows: [0, 2], of: $0, width: 2) }
        #expect(tensor.values == [0, 1, 20, 21] && tensor.shape == [2, 2] && tensor.rowIDs == [0, 2])
    }
}
