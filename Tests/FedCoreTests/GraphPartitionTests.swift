import FedCore
import FedTestSupport
import Testing

/// Splitting a graph among clients: Louvain communities, Dirichlet node label skew, and the shards'
/// kept edges, cut edges and per-client train/validation/test nodes.
@Suite struct GraphPartitionTests {
    /// `cliques` cliques of `size` nodes, clique k joined to clique k+1 (cyclically) by one edge.
    func ringOfCliques(_ cliques: Int, size: Int) -> [GraphEdge] {
        var edges = [GraphEdge]()
        for k in 0..<cliques {
            for i in 0..<size { for j in (i + 1)..<size { edges.append(GraphEdge(k * size + i, k * size + j)!) } }
            edges.append(GraphEdge(k * size, ((k + 1) % cliques) * size + 1)!)
        }
        return edges.sorted()
    }

    static let cora: GraphDataset? = try? PlanetoidLoader.load(directory: Fixtures.path("data/cora/planetoid"), prefix: "cora")

    @Test func louvain_findsEachCliqueOfARingOfCliques() {
        for seed: UInt64 in 1...5 {
            var rng = RNGStream(seed: seed, purpose: .partition)
            let communities = Louvain.communities(nodeCount: 30, edges: ringOfCliques(6, size: 5), rng: &rng)
            let expected = (0..<30).map { $0 / 5 }  // numbered by smallest member, so clique k is community k
            #expect(communities == expected, "seed \(seed): \(communities)")
        }
    }

    @Test func louvain_onCora_reachesTheModularityReportedInTheLiterature() throws {
        let cora = try #require(Self.cora)
        var rng = RNGStream(seed: 1, purpose: .partition)
        let communities = Louvain.communities(nodeCount: cora.nodeCount, edges: cora.edges, rng: &rng)
        let q = Louvain.modularity(nodeCount: cora.nodeCount, edges: cora.edges, communities: communities)
        // Louvain on Cora is usually reported near Q = 0.80; a node-order-dependent heuristic varies a little.
        print("Louvain on Cora: \(Set(communities).count) communities, modularity \(q)")
        #expect(q > 0.75, "modularity \(q)")
        let shuffled = communities.indices.map { communities[($0 * 7919) % communities.count] }
        #expect(Louvain.modularity(nodeCount: cora.nodeCount, edges: cora.edges, communities: shuffled) < 0.1)
    }

    @Test(arguments: [GraphPartition.dirichlet(beta: 0.1), .dirichlet(beta: 10), .communities])
    func everyNodeLandsOnExactlyOneClient_andTheSplitDependsOnlyOnTheSeed(partition: GraphPartition) throws {
        let cora = try #require(Self.cora)
        var a = RNGStream(seed: 3, purpose: .partition), b = RNGStream(seed: 3, purpose: .partition)
        let first = try partition.assign(cora, clients: 5, rng: &a)
        #expect(try partition.assign(cora, clients: 5, rng: &b) == first)
        #expect(first.flatMap { $0 }.sorted() == Array(0..<cora.nodeCount))
        #expect(first.allSatisfy { !$0.isEmpty && $0 == $0.sorted() })
    }

    @Test func dirichletBeta_controlsHowSkewedTheClientsClassesAre() throws {
        let cora = try #require(Self.cora)
        func meanLargestShare(_ beta: Double) throws -> Double {
            var rng = RNGStream(seed: 4, purpose: .partition)
            let nodes = try GraphPartition.dirichlet(beta: beta).assign(cora, clients: 5, rng: &rng)
            // For each class, the largest share any one client holds; averaged over the classes.
            var total = 0.0
            for c in 0..<cora.classCount {
                let counts = nodes.map { $0.filter { cora.labels[$0] == Int32(c) }.count }
                total += Double(counts.max()!) / Double(counts.reduce(0, +))
            }
            return total / Double(cora.classCount)
        }
        #expect(try meanLargestShare(0.1) > 0.6)
        #expect(try meanLargestShare(10) < 0.35)  // 1/5 would be perfectly even
    }

    @Test func shards_keepOnlyInternalEdges_countTheCut_andSplitEachClassTwentyTwentySixty() throws {
        let cora = try #require(Self.cora)
        var rng = RNGStream(seed: 5, purpose: .partition)
        let assignment = try GraphPartition.dirichlet(beta: 0.5).assign(cora, clients: 5, rng: &rng)
        let (shards, cut) = GraphShard.make(graph: cora, assignment: assignment, trainFraction: 0.2, validationFraction: 0.2,
                                            useDatasetSplit: false, rng: &rng)
        #expect(shards.reduce(0) { $0 + $1.edges.count } + cut == cora.edges.count)
        let globalEdges = Set(cora.edges)
        for shard in shards {
            for edge in shard.edges {
                #expect(globalEdges.contains(GraphEdge(shard.nodes[Int(edge.a)], shard.nodes[Int(edge.b)])!))
            }
            let roles = shard.train + shard.validation + shard.test
            #expect(roles.count == Set(roles).count && roles.count == shard.nodes.count, "every labelled node has one role")
            #expect(shard.classHistogram.reduce(0, +) == shard.nodes.count)
            for c in 0..<cora.classCount {
                let members = shard.nodes.indices.filter { cora.labels[shard.nodes[$0]] == Int32(c) }
                let inTrain = members.filter { shard.train.contains($0) }.count
                #expect(inTrain == Int((Double(members.count) * 0.2).rounded()))
            }
        }
    }

    @Test func wholeGraph_withTheDatasetSplit_isThePlanetoidSplit() throws {
        let cora = try #require(Self.cora)
        var rng = RNGStream(seed: 1, purpose: .partition)
        let assignment = try GraphPartition.whole.assign(cora, clients: 1, rng: &rng)
        let (shards, cut) = GraphShard.make(graph: cora, assignment: assignment, trainFraction: 0.2, validationFraction: 0.2,
                                            useDatasetSplit: true, rng: &rng)
        #expect(cut == 0 && shards[0].edges == cora.edges)
        #expect(shards[0].train == cora.split?.train && shards[0].validation == cora.split?.validation
                && shards[0].test == cora.split?.test)
        let (features, labels) = shards[0].subgraph(of: cora, features: cora.features)
        #expect(features == cora.features && labels == cora.labels)
    }

    @Test func communitySplit_cutsFewerEdgesThanALabelSkewSplit() throws {
        let cora = try #require(Self.cora)
        func cutEdges(_ partition: GraphPartition) throws -> Int {
            var rng = RNGStream(seed: 6, purpose: .partition)
            let assignment = try partition.assign(cora, clients: 5, rng: &rng)
            return GraphShard.make(graph: cora, assignment: assignment, trainFraction: 0.2, validationFraction: 0.2,
                                   useDatasetSplit: false, rng: &rng).cutEdges
        }
        let community = try cutEdges(.communities), skew = try cutEdges(.dirichlet(beta: 0.5))
        print("Cora over 5 clients: the community split cuts \(community) of \(cora.edges.count) edges, Dirichlet(0.5) \(skew)")
        #expect(community * 3 < skew, "community split cut \(community) edges, Dirichlet(0.5) \(skew)")
    }

    @Test func impossibleSplits_areRejectedWithTheReason() throws {
        let cora = try #require(Self.cora)
        var rng = RNGStream(seed: 1, purpose: .partition)
        #expect(throws: DataError.self) { try GraphPartition.whole.assign(cora, clients: 2, rng: &rng) }
        #expect(throws: DataError.self) { try GraphPartition.dirichlet(beta: 0.5).assign(cora, clients: 3000, rng: &rng) }
    }
}
