import FedCore
import FedTestSupport
import Foundation
import Testing

/// The plain two-file graph format: a valid file read exactly, and every malformed input reported at its
/// file and line.
@Suite struct GraphCSVLoaderTests {
    /// Writes the two files into a fresh directory and returns their paths.
    static func write(nodes: String, edges: String) throws -> (nodes: String, edges: String) {
        let directory = Fixtures.temporaryDirectory("graph-csv")
        let paths = (nodes: directory + "/nodes.csv", edges: directory + "/edges.csv")
        try nodes.write(toFile: paths.nodes, atomically: true, encoding: .utf8)
        try edges.write(toFile: paths.edges, atomically: true, encoding: .utf8)
        return paths
    }

    static let validNodes = "id,f1,f2,f3,label\n2,0,1.5,0,2\n0,1,0,0,0\r\n3, 0 ,0,0,-1\n\n1,0,0,-2.5,\n"
    static let validEdges = "source,target\n0,1\n1,0\n2,2\n3,1\n0,1\n"

    @Test func validFiles_loadIdsInOrder_sparseFeatures_collapsedEdges_noSplit() throws {
        let paths = try Self.write(nodes: Self.validNodes, edges: Self.validEdges)
        let data = try GraphCSVLoader.load(nodes: paths.nodes, edges: paths.edges)
        #expect(data.nodeCount == 4)
        #expect(data.featureDimension == 3)
        #expect(data.features.dense() == [1, 0, 0, /**/ 0, 0, -2.5, /**/ 0, 1.5, 0, /**/ 0, 0, 0])
        #expect(data.features.nonZeroCount == 3)
        #expect(data.labels == [0, -1, 2, -1])
        #expect(data.classCount == 3)
        #expect(data.edges == [GraphEdge(0, 1), GraphEdge(1, 3)].compactMap { $0 })
        #expect(data.split == nil)
    }

    @Test func headerOnlyEdgeFile_givesNoEdges() throws {
        let paths = try Self.write(nodes: "id,x,label\n0,1,0\n", edges: "source,target\n")
        let data = try GraphCSVLoader.load(nodes: paths.nodes, edges: paths.edges)
        #expect(data.edges.isEmpty && data.nodeCount == 1 && data.classCount == 1)
    }

    /// One malformed input: the file text, which file is to blame, the line, and words of the reason.
    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var nodes = GraphCSVLoaderTests.validNodes
        var edges = GraphCSVLoaderTests.validEdges
        var inEdgeFile = false
        var line: Int
        var fragment: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(
            name: "ragged node row", nodes: "id,a,b,label\n0,1,2,0\n1,1,0\n", line: 3, fragment: "expected 4 cells"),
        BadCase(name: "non-numeric feature", nodes: "id,a,label\n0,1,0\n1,x,0\n", line: 3, fragment: "'x'"),
        BadCase(name: "empty feature", nodes: "id,a,label\n0,,0\n", line: 2, fragment: "not a finite number"),
        BadCase(name: "NaN feature", nodes: "id,a,label\n0,1,0\n1,nan,0\n", line: 3, fragment: "not a finite number"),
        BadCase(
            name: "infinite feature", nodes: "id,a,label\n0,inf,0\n1,1,0\n", line: 2, fragment: "not a finite number"),
        BadCase(name: "overflowing feature", nodes: "id,a,label\n0,1e60,0\n", line: 2, fragment: "not a finite number"),
        BadCase(name: "non-integer id", nodes: "id,a,label\n0.5,1,0\n", line: 2, fragment: "not an integer"),
        BadCase(name: "id out of range", nodes: "id,a,label\n0,1,0\n7,1,0\n", line: 3, fragment: "outside 0..<2"),
        BadCase(name: "negative id", nodes: "id,a,label\n-1,1,0\n0,1,0\n", line: 2, fragment: "outside 0..<2"),
        BadCase(
            name: "repeated id", nodes: "id,a,label\n0,1,0\n1,1,0\n0,2,1\n", line: 4,
            fragment: "repeated (first on line 2)"),
        BadCase(name: "missing id", nodes: "id,a,label\n0,1,0\n1,1,0\n3,1,0\n", line: 4, fragment: "node 2 is missing"),
        BadCase(name: "negative label", nodes: "id,a,label\n0,1,0\n1,1,-2\n", line: 3, fragment: "label '-2'"),
        BadCase(name: "fractional label", nodes: "id,a,label\n0,1,1.5\n", line: 2, fragment: "label '1.5'"),
        BadCase(name: "no node rows", nodes: "id,a,label\n", line: 1, fragment: "no node rows"),
        BadCase(name: "header too short", nodes: "id\n0\n", line: 1, fragment: "header"),
        BadCase(
            name: "edge to unknown node", edges: "source,target\n0,1\n1,4\n", inEdgeFile: true, line: 3,
            fragment: "node 4"),
        BadCase(
            name: "edge from negative node", edges: "source,target\n-1,1\n", inEdgeFile: true, line: 2,
            fragment: "node -1"),
        BadCase(
            name: "ragged edge row", edges: "source,target\n0,1\n0,1,2\n", inEdgeFile: true, line: 3,
            fragment: "expected 2 cells"),
        BadCase(
            name: "non-integer edge end", edges: "source,target\n0,b\n", inEdgeFile: true, line: 2, fragment: "'b'"),
    ]

    @Test(arguments: badCases)
    func malformedInput_namesFileAndLine(_ bad: BadCase) throws {
        let paths = try Self.write(nodes: bad.nodes, edges: bad.edges)
        let error = #expect(throws: DataError.self) {
            _ = try GraphCSVLoader.load(nodes: paths.nodes, edges: paths.edges)
        }
        guard case let .malformed(path, line, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(path == (bad.inEdgeFile ? paths.edges : paths.nodes))
        #expect(line == bad.line, "\(reason)")
        #expect(reason.contains(bad.fragment), "\(reason)")
    }

    @Test func missingFile_isUnreadable_namingIt() throws {
        let paths = try Self.write(nodes: Self.validNodes, edges: Self.validEdges)
        try FileManager.default.removeItem(atPath: paths.edges)
        #expect(throws: DataError.unreadable(path: paths.edges, reason: "No such file or directory")) {
            _ = try GraphCSVLoader.load(nodes: paths.nodes, edges: paths.edges)
        }
    }
}
