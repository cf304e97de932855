import FedCore
import Testing

/// Checks the invariants every PeerGraph must keep: sorted, loop-free, symmetric adjacency.
private func expectSimpleUndirected(_ graph: PeerGraph, _ context: String) {
    #expect(graph.neighbours.count == graph.nodeCount, "\(context)")
    for i in 0..<graph.nodeCount {
        let list = graph.neighbours[i]
        #expect(list == Array(Set(list)).sorted(), "\(context): node \(i) list \(list) not sorted/unique")
        #expect(!list.contains(i), "\(context): self loop at \(i)")
        for j in list { #expect(graph.neighbours[j].contains(i), "\(context): \(i)→\(j) has no \(j)→\(i)") }
    }
}

@Suite struct PeerGraphTests {
    // MARK: - Regular topologies

    @Test(arguments: [3, 4, 5, 10, 33])
    func ring_hasDegreeTwo_andIsConnected(n: Int) throws {
        let ring = try PeerGraph.ring(n)
        expectSimpleUndirected(ring, "ring \(n)")
        #expect((0..<n).allSatisfy { ring.degree($0) == 2 })
        #expect(ring.neighbours[0] == [1, n - 1])
        #expect(ring.edgeCount == n)
        #expect(ring.isConnected)
    }

    @Test(arguments: [(3, 3), (3, 4), (4, 4), (5, 3), (6, 7)])
    func torus_hasDegreeFour_andWrapsAround(rows: Int, columns: Int) throws {
        let torus = try PeerGraph.torus(rows: rows, columns: columns)
        expectSimpleUndirected(torus, "torus \(rows)×\(columns)")
        #expect(torus.nodeCount == rows * columns)
        #expect((0..<torus.nodeCount).allSatisfy { torus.degree($0) == 4 })
        #expect(torus.edgeCount == 2 * rows * columns)
        // Node (0, 0) = 0 touches (rows−1, 0), (1, 0), (0, columns−1), (0, 1).
        #expect(torus.neighbours[0] == [1, columns - 1, columns, (rows - 1) * columns].sorted())
        #expect(torus.isConnected)
    }

    @Test(arguments: [2, 3, 7])
    func complete_linksEveryPair(n: Int) throws {
        let complete = try PeerGraph.complete(n)
        expectSimpleUndirected(complete, "complete \(n)")
        #expect((0..<n).allSatisfy { complete.degree($0) == n - 1 })
        #expect(complete.edgeCount == n * (n - 1) / 2)
        #expect(complete.isConnected)
    }

    @Test func edges_listsEachEdgeOnceInOrder() throws {
        let ring = try PeerGraph.ring(4)
        #expect(ring.edges.map { [$0.0, $0.1] } == [[0, 1], [0, 3], [1, 2], [2, 3]])
    }

    // MARK: - Torus shape

    @Test(arguments: [(9, 3, 3), (12, 3, 4), (16, 4, 4), (18, 3, 6), (36, 6, 6), (45, 5, 9), (64, 8, 8)])
    func torusOfN_choosesTheMostSquareShape(n: Int, rows: Int, columns: Int) throws {
        #expect(try PeerGraph.torus(n) == PeerGraph.torus(rows: rows, columns: columns))
    }

    @Test func torusOfEight_isRejected_namingNearestCounts() {
        #expect(throws: PeerGraphError.noTorusShape(nodeCount: 8, smaller: nil, larger: 9)) {
            try PeerGraph.torus(8)
        }
        #expect(throws: PeerGraphError.noTorusShape(nodeCount: 13, smaller: 12, larger: 15)) {
            try PeerGraph.torus(13)
        }
        // 14 = 2 · 7 has no factorisation with both sides ≥ 3.
        #expect(throws: PeerGraphError.noTorusShape(nodeCount: 14, smaller: 12, larger: 15)) {
            try PeerGraph.torus(14)
        }
        let message = PeerGraphError.noTorusShape(nodeCount: 8, smaller: nil, larger: 9).description
        #expect(message.contains("8") && message.contains("nearest: 9"), "\(message)")
    }

    @Test func smallTopologies_areRejected() {
        #expect(throws: PeerGraphError.tooFewNodes(topology: "ring", nodeCount: 2, minimum: 3)) {
            try PeerGraph.ring(2)
        }
        #expect(throws: PeerGraphError.torusTooNarrow(rows: 2, columns: 5)) { try PeerGraph.torus(rows: 2, columns: 5) }
        #expect(throws: PeerGraphError.tooFewNodes(topology: "complete", nodeCount: 1, minimum: 2)) {
            try PeerGraph.complete(1)
        }
    }

    // MARK: - Erdős–Rényi

    @Test func erdosRenyi_withSameSeed_isTheSameGraph_andOtherSeedsDiffer() throws {
        let first = try PeerGraph.erdosRenyi(20, probability: 0.5, seed: 7)
        expectSimpleUndirected(first, "G(20, 0.5) seed 7")
        #expect(try PeerGraph.erdosRenyi(20, probability: 0.5, seed: 7) == first)
        // 190 independent coin flips: two seeds agree on all of them with probability 2⁻¹⁹⁰.
        for seed in UInt64(8)...20 {
            #expect(try PeerGraph.erdosRenyi(20, probability: 0.5, seed: seed) != first, "seed \(seed)")
        }
    }

    @Test func erdosRenyi_edgeFraction_isNearProbability() throws {
        // 4 950 pairs at p = 0.3: the count has standard deviation ≈ 32, so ±200 is a > 6σ margin.
        for seed in UInt64(1)...5 {
            let graph = try PeerGraph.erdosRenyi(100, probability: 0.3, seed: seed)
            #expect(abs(graph.edgeCount - 1_485) < 200, "seed \(seed): \(graph.edgeCount) edges")
        }
    }

    @Test func erdosRenyi_atTheExtremes_isEmptyOrComplete() throws {
        let empty = try PeerGraph.erdosRenyi(6, probability: 0, seed: 3)
        #expect(empty.edgeCount == 0 && empty.componentCount == 6 && !empty.isConnected)
        #expect(try PeerGraph.erdosRenyi(6, probability: 1, seed: 3) == PeerGraph.complete(6))
    }

    @Test(arguments: [-0.1, 1.5, Double.infinity])
    func erdosRenyi_withBadProbability_throws(p: Double) {
        #expect(throws: PeerGraphError.invalidProbability(p)) { try PeerGraph.erdosRenyi(5, probability: p, seed: 1) }
    }

    @Test func erdosRenyi_withNaNProbability_throws() {
        #expect(throws: PeerGraphError.self) { try PeerGraph.erdosRenyi(5, probability: .nan, seed: 1) }
    }

    // MARK: - Edge lists

    @Test func edgeList_collapsesDuplicatesInEitherDirection() throws {
        let graph = try PeerGraph.edges(4, [(0, 1), (1, 0), (0, 1), (2, 3)])
        expectSimpleUndirected(graph, "edge list")
        #expect(graph.edgeCount == 2)
        #expect(graph.neighbours == [[1], [0], [3], [2]])
    }

    @Test func edgeList_withTwoComponents_isNotConnected() throws {
        let graph = try PeerGraph.edges(6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5)])
        #expect(graph.componentCount == 2 && !graph.isConnected)
        let joined = try PeerGraph.edges(6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (2, 3)])
        #expect(joined.componentCount == 1 && joined.isConnected)
        let isolated = try PeerGraph.edges(3, [(0, 1)])
        #expect(isolated.componentCount == 2 && isolated.degree(2) == 0)
        #expect(try PeerGraph.edges(1, []).isConnected)
    }

    @Test func edgeList_withBadEntries_throwsNamingTheEntry() {
        #expect(throws: PeerGraphError.nodeOutOfRange(index: 1, from: 2, to: 4, nodeCount: 4)) {
            try PeerGraph.edges(4, [(0, 1), (2, 4)])
        }
        #expect(throws: PeerGraphError.nodeOutOfRange(index: 0, from: -1, to: 0, nodeCount: 4)) {
            try PeerGraph.edges(4, [(-1, 0)])
        }
        #expect(throws: PeerGraphError.selfLoop(index: 2, node: 3)) { try PeerGraph.edges(4, [(0, 1), (1, 2), (3, 3)]) }
        #expect(throws: PeerGraphError.tooFewNodes(topology: "edge list", nodeCount: 0, minimum: 1)) {
            try PeerGraph.edges(0, [])
        }
        #expect(PeerGraphError.selfLoop(index: 2, node: 3).description == "edge 2 (3, 3) is a self loop")
    }
}
