import FedCore
import FedTestSupport
import Foundation
import Testing

/// The pickle reader and the Planetoid loader: Cora against published facts and the independent text
/// export, a hand-written synthetic set with test-index gaps, and malformed files.
@Suite struct PlanetoidLoaderTests {
    static let coraDirectory = Fixtures.path("data/cora/planetoid")
    static let coraText = "/work/shared/datasets/cora/text"
    static let files = ["x", "y", "tx", "ty", "allx", "ally", "graph", "test.index"]

    // MARK: - Cora

    @Test func cora_hasThePublishedShapeAndSplit() throws {
        let cora = try PlanetoidLoader.load(directory: Self.coraDirectory, prefix: "cora")
        #expect(cora.nodeCount == 2708)
        #expect(cora.featureDimension == 1433)
        #expect(cora.classCount == 7)
        #expect(cora.edges.count == 5278)
        #expect(cora.features.nonZeroCount == 49216)
        #expect(cora.features.values.allSatisfy { $0 == 1 })
        var sizes = [Int](repeating: 0, count: 7)
        for label in cora.labels { sizes[Int(label)] += 1 }
        #expect(sizes == [351, 217, 418, 818, 426, 298, 180])
        let split = try #require(cora.split)
        #expect(split.train == Array(0..<140))
        #expect(split.validation == Array(140..<640))
        #expect(split.test.count == 1000)
        #expect(split.test == split.test.sorted() && Set(split.test).count == 1000)
        #expect(split.test.allSatisfy { (1708..<2708).contains($0) })
        #expect(cora.edges == cora.edges.sorted() && cora.edges.allSatisfy { $0.a < $0.b })
    }

    /// Features, labels, edges and splits equal the text export (made by a separate numpy script).
    @Test func cora_isIdenticalToTheIndependentTextExport() throws {
        guard FileManager.default.fileExists(atPath: Self.coraText) else {
            print("skipping the Cora text comparison: \(Self.coraText) is absent")
            return
        }
        func lines(_ name: String) throws -> [Substring] {
            try String(contentsOfFile: "\(Self.coraText)/\(name)", encoding: .utf8).split(separator: "\n")
        }
        func ints(_ line: Substring) -> [Int] { line.split(separator: " ").compactMap { Int($0) } }
        let cora = try PlanetoidLoader.load(directory: Self.coraDirectory, prefix: "cora")
        let features = try lines("features.txt")
        #expect(features.count == cora.nodeCount)
        for (node, line) in features.enumerated() {
            let range = cora.features.rowStarts[node]..<cora.features.rowStarts[node + 1]
            #expect(cora.features.columns[range].map(Int.init) == ints(line), "features of node \(node)")
        }
        #expect(try lines("labels.txt").map { Int32($0) } == cora.labels.map { Optional($0) })
        let edges = try lines("edges.txt").map(ints)
        #expect(edges == cora.edges.map { [Int($0.a), Int($0.b)] })
        let split = try #require(cora.split)
        #expect(try lines("train.txt").map { Int($0) } == split.train.map { Optional($0) })
        #expect(try lines("val.txt").map { Int($0) } == split.validation.map { Optional($0) })
        #expect(try lines("test.txt").map { Int($0) } == split.test.map { Optional($0) })
    }

    // MARK: - Synthetic set with gaps

    /// 502 allx nodes (2 train, 500 validation), test ids [505, 502, 503]: node 504 is a gap, and the
    /// ty row of node 503 is all zero. Uses f8 labels, i8 indices and a Fortran-ordered ty.
    static func writeGapSet(to directory: String, neighbourOf505: Int = 2, txValue: Float = 3) throws {
        var x = PickleWriter(), y = PickleWriter(), allx = PickleWriter(), ally = PickleWriter()
        var tx = PickleWriter(), ty = PickleWriter(), graph = PickleWriter()
        x.csr(rows: 2, columns: 3, indptr: [0, 1, 2], indices: [0, 2], data: [1, 2])
        y.ndarray(shape: [2, 2], dtype: "i4", values: [1, 0, 0, 1])
        var indptr = [0, 1, 2]
        indptr += [Int](repeating: 3, count: 500)  // node 2 has one entry; the rest are empty
        allx.csr(rows: 502, columns: 3, indptr: indptr, indices: [0, 2, 1], data: [1, 2, 5], indexDtype: "i8")
        ally.ndarray(shape: [502, 2], dtype: "f8", values: (0..<502).flatMap { $0 % 2 == 0 ? [1.0, 0] : [0, 1] })
        // tx rows: 505 gets (0, 0, txValue); 502 gets (4, 0, 0) written with unsorted duplicate columns; 503 empty.
        tx.csr(rows: 3, columns: 3, indptr: [0, 1, 3, 3], indices: [2, 0, 0], data: [txValue, 1, 3])
        // ty rows in C order: [0,1], [1,0], [0,0]; stored column-major.
        ty.ndarray(shape: [3, 2], dtype: "i8", values: [0, 1, 1, 0, 0, 0], fortran: true)
        graph.graph([0: [1, 1, 0], 1: [0], 505: [504, neighbourOf505]])
        let pickles = ["x": x, "y": y, "allx": allx, "ally": ally, "tx": tx, "ty": ty, "graph": graph]
        for (name, writer) in pickles {
            try Data(writer.finished()).write(to: URL(fileURLWithPath: "\(directory)/ind.gap.\(name)"))
        }
        try "505\n502\n503\n".write(toFile: "\(directory)/ind.gap.test.index", atomically: true, encoding: .utf8)
    }

    @Test func gapSet_placesTestRowsByIndex_andLeavesGapNodesEmptyAndUnlabelled() throws {
        let directory = Fixtures.temporaryDirectory("planetoid-gap")
        try Self.writeGapSet(to: directory)
        let data = try PlanetoidLoader.load(directory: directory, prefix: "gap")
        #expect(data.nodeCount == 506)
        #expect(data.featureDimension == 3)
        #expect(data.classCount == 2)
        let dense = data.features.dense()
        func row(_ node: Int) -> [Float] { Array(dense[node * 3..<node * 3 + 3]) }
        #expect(row(0) == [1, 0, 0] && row(1) == [0, 0, 2] && row(2) == [0, 5, 0] && row(3) == [0, 0, 0])
        #expect(row(502) == [4, 0, 0])  // duplicates summed
        #expect(row(503) == [0, 0, 0] && row(504) == [0, 0, 0])
        #expect(row(505) == [0, 0, 3])
        #expect(data.features.nonZeroCount == 5)
        #expect(Array(data.labels[0..<4]) == [0, 1, 0, 1])
        #expect(Array(data.labels[500..<506]) == [0, 1, 0, -1, -1, 1])
        #expect(data.edges == [GraphEdge(0, 1), GraphEdge(2, 505), GraphEdge(504, 505)].compactMap { $0 })
        #expect(data.split == .init(train: [0, 1], validation: Array(2..<502), test: [502, 503, 505]))
    }

    // MARK: - Malformed input

    /// A copy of Cora in a temporary directory, with `change` applied to it.
    func coraCopy(_ change: (String) throws -> Void) throws -> String {
        let directory = Fixtures.temporaryDirectory("planetoid-bad")
        for name in Self.files {
            try FileManager.default.copyItem(
                atPath: "\(Self.coraDirectory)/ind.cora.\(name)", toPath: "\(directory)/ind.cora.\(name)")
        }
        try change(directory)
        return directory
    }

    func expectMalformed(
        _ directory: String, prefix: String = "cora", file: String, _ fragments: String...,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: DataError.self, sourceLocation: sourceLocation) {
            _ = try PlanetoidLoader.load(directory: directory, prefix: prefix)
        }
        guard case let .malformed(path, _, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(path == "\(directory)/ind.\(prefix).\(file)", sourceLocation: sourceLocation)
        for fragment in fragments { #expect(reason.contains(fragment), "\(reason)", sourceLocation: sourceLocation) }
    }

    @Test func truncatedPickle_isMalformed_namingTheFile() throws {
        let directory = try coraCopy { directory in
            let path = "\(directory)/ind.cora.ally"
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        }
        expectMalformed(directory, file: "ally", "truncated")
    }

    @Test func unknownOpcode_isMalformed_namingOffsetAndOpcode() throws {
        let directory = try coraCopy { directory in
            try Data([0x80, 0x02, 0x4B, 0x01, 0xFF, 0x2E]).write(
                to: URL(fileURLWithPath: "\(directory)/ind.cora.graph"))
        }
        expectMalformed(directory, file: "graph", "byte 4", "0xff", "unsupported")
    }

    @Test func missingFile_isUnreadable_namingTheFile() throws {
        let directory = try coraCopy { try FileManager.default.removeItem(atPath: "\($0)/ind.cora.tx") }
        #expect(throws: DataError.unreadable(path: "\(directory)/ind.cora.tx", reason: "No such file or directory")) {
            _ = try PlanetoidLoader.load(directory: directory, prefix: "cora")
        }
    }

    @Test func mismatchedShapes_areMalformed_namingTheFile() throws {
        // ty with 3 rows against Cora's 1,000 test ids.
        let directory = try coraCopy { directory in
            var ty = PickleWriter()
            ty.ndarray(shape: [3, 7], dtype: "i4", values: [Double](repeating: 0, count: 21))
            try Data(ty.finished()).write(to: URL(fileURLWithPath: "\(directory)/ind.cora.ty"))
        }
        expectMalformed(directory, file: "ty", "3 rows", "1000")
        // y (a dense array) where x (a csr_matrix) belongs.
        let swapped = try coraCopy { directory in
            try FileManager.default.removeItem(atPath: "\(directory)/ind.cora.x")
            try FileManager.default.copyItem(atPath: "\(directory)/ind.cora.y", toPath: "\(directory)/ind.cora.x")
        }
        expectMalformed(swapped, file: "x", "csr_matrix")
    }

    @Test func neighbourOutOfRange_andNaNFeature_areMalformed_namingTheFile() throws {
        let outOfRange = Fixtures.temporaryDirectory("planetoid-gap")
        try Self.writeGapSet(to: outOfRange, neighbourOf505: 506)
        expectMalformed(outOfRange, prefix: "gap", file: "graph", "506", "0..<506")
        let notANumber = Fixtures.temporaryDirectory("planetoid-gap")
        try Self.writeGapSet(to: notANumber, txValue: .nan)
        expectMalformed(notANumber, prefix: "gap", file: "tx", "not finite")
    }

    @Test(
        arguments: [
            ("505\n502\n10\n", 3, "one of the 502 allx rows"),
            ("505\n505\n503\n", 2, "repeated"),
            ("505\nabc\n503\n", 2, "'abc'"),
            ("505\n502\n99999999\n", 3, "more gap ids"),
        ] as [(String, Int, String)])
    func badTestIndex_isMalformed_namingTheLine(text: String, line: Int, fragment: String) throws {
        let directory = Fixtures.temporaryDirectory("planetoid-gap")
        try Self.writeGapSet(to: directory)
        let path = "\(directory)/ind.gap.test.index"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: DataError.self) {
            _ = try PlanetoidLoader.load(directory: directory, prefix: "gap")
        }
        guard case let .malformed(errorPath, errorLine, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path && errorLine == line && reason.contains(fragment), "\(String(describing: error))")
    }

    // MARK: - Pickle reader

    @Test(
        arguments: [
            ([0x80, 0x02, 0x85, 0x2E], "stack underflow"),  // TUPLE1 on an empty stack
            ([0x80, 0x02, 0x4B, 0x01, 0x28, 0x85, 0x2E], "stack underflow"),  // TUPLE1 reaching past a MARK
            ([0x80, 0x02, 0x28, 0x74, 0x61, 0x2E], "stack underflow"),  // MARK TUPLE → (), then APPEND to nothing
            ([0x80, 0x02, 0x4B, 0x01, 0x30, 0x2E], "unsupported opcode"),  // POP is not in the supported set
            ([0x80, 0x02, 0x68, 0x07, 0x2E], "memo key 7"),  // BINGET of an unstored key
            ([0x80, 0x02, 0x54, 0xFF, 0xFF, 0xFF, 0x7F, 0x41], "truncated"),  // BINSTRING of 2 GiB, 1 byte left
            ([0x80, 0x02, 0x4B, 0x01], "before STOP"),
            ([0x80, 0x02, 0x29, 0x52, 0x2E], "stack underflow"),  // REDUCE without a callable
            ([0x80, 0x02, 0x29, 0x4B, 0x01, 0x52, 0x2E], "not a tuple"),  // REDUCE with arguments 1
            ([0x80, 0x02, 0x4B, 0x01, 0x29, 0x62, 0x2E], "BUILD on int"),
        ] as [([UInt8], String)])
    func malformedPickle_throwsWithOffsetAndReason(bytes: [UInt8], fragment: String) {
        let error = #expect(throws: DataError.self) { _ = try PickleReader.decode(bytes, path: "p") }
        guard case let .malformed("p", 0, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains(fragment) && reason.contains("pickle byte"), "\(reason)")
    }

    @Test func memoisedList_isMutatedInPlace_likePython() throws {
        // EMPTY_LIST (outer), EMPTY_LIST (L), BINPUT 1, APPEND (outer = [L]), BINGET 1, BININT1 9,
        // APPEND (L = [9]), TUPLE2, STOP → (outer, L), and outer[0] must be the very list L.
        let bytes: [UInt8] = [0x80, 0x02, 0x5D, 0x5D, 0x71, 0x01, 0x61, 0x68, 0x01, 0x4B, 0x09, 0x61, 0x86, 0x2E]
        let value = try PickleReader.decode(bytes, path: "p")
        guard case let .tuple(items) = value, items.count == 2, case let .list(outer) = items[0],
            case let .list(inner) = items[1],
            outer.items.count == 1, case let .list(first) = outer.items[0]
        else {
            Issue.record("expected ([L], L), got \(value.kindName)")
            return
        }
        #expect(first === inner)
        guard inner.items.count == 1, case .int(9) = inner.items[0] else { Issue.record("L is not [9]"); return }
    }
}

// MARK: - A tiny protocol-2 pickle writer (test only)

/// Writes pickles shaped like Planetoid's (numpy arrays, scipy CSR, defaultdict of lists), independently
/// of the reader under test.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 0x02]

    func finished() -> [UInt8] { bytes + [0x2E] }

    mutating func int(_ value: Int) {
        switch value {
        case 0..<256: bytes += [0x4B, UInt8(value)]
        case 256..<65536: bytes += [0x4D, UInt8(value & 0xFF), UInt8(value >> 8)]
        default: bytes += [0x4A] + littleEndian(UInt64(UInt32(truncatingIfNeeded: value)), 4)
        }
    }

    mutating func string(_ raw: [UInt8]) {
        if raw.count < 256 {
            bytes += [0x55, UInt8(raw.count)] + raw
        } else {
            bytes += [0x54] + littleEndian(UInt64(raw.count), 4) + raw
        }
    }

    mutating func string(_ text: String) { string(Array(text.utf8)) }

    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }

    func littleEndian(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// `values` in C (row-major) order; written column-major when `fortran`.
    mutating func ndarray(shape: [Int], dtype: String, values: [Double], fortran: Bool = false) {
        global("numpy.core.multiarray", "_reconstruct")
        global("numpy", "ndarray")
        int(0); bytes.append(0x85); string("b"); bytes += [0x87, 0x52]  // (ndarray, (0,), 'b') REDUCE
        bytes.append(0x28)  // MARK for the state tuple
        int(1)
        bytes.append(0x28); for size in shape { int(size) }; bytes.append(0x74)
        global("numpy", "dtype"); string(dtype); int(0); int(1); bytes += [0x87, 0x52]
        bytes.append(0x28); int(3); string("<"); bytes += [0x4E, 0x4E, 0x4E]; int(-1); int(-1); int(0);
        bytes += [0x74, 0x62]
        bytes.append(fortran ? 0x88 : 0x89)
        var order = Array(values.indices)
        if fortran, shape.count == 2 { order = (0..<values.count).map { ($0 % shape[0]) * shape[1] + $0 / shape[0] } }
        var raw = [UInt8]()
        for index in order {
            let value = values[index]
            switch dtype {
            case "f4": raw += littleEndian(UInt64(Float(value).bitPattern), 4)
            case "f8": raw += littleEndian(value.bitPattern, 8)
            case "i4": raw += littleEndian(UInt64(UInt32(bitPattern: Int32(value))), 4)
            default: raw += littleEndian(UInt64(bitPattern: Int64(value)), 8)
            }
        }
        string(raw)
        bytes += [0x74, 0x62]  // TUPLE, BUILD
    }

    mutating func csr(rows: Int, columns: Int, indptr: [Int], indices: [Int], data: [Float], indexDtype: String = "i4")
    {
        global("scipy.sparse.csr", "csr_matrix")
        bytes += [0x29, 0x81, 0x7D, 0x28]  // EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK
        string("format"); string("csr")
        string("_shape"); int(rows); int(columns); bytes.append(0x86)
        string("indptr"); ndarray(shape: [indptr.count], dtype: indexDtype, values: indptr.map(Double.init))
        string("indices"); ndarray(shape: [indices.count], dtype: indexDtype, values: indices.map(Double.init))
        string("data"); ndarray(shape: [data.count], dtype: "f4", values: data.map(Double.init))
        bytes += [0x75, 0x62]  // SETITEMS BUILD
    }

    mutating func graph(_ lists: [Int: [Int]]) {
        global("collections", "defaultdict"); global("__builtin__", "list"); bytes += [0x85, 0x52, 0x28]
        for (node, neighbours) in lists.sorted(by: { $0.key < $1.key }) {
            int(node); bytes += [0x5D, 0x28]
            for neighbour in neighbours { int(neighbour) }
            bytes.append(0x65)  // APPENDS
        }
        bytes.append(0x75)  // SETITEMS
    }
}
