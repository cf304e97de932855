/// Community detection by modularity (Blondel, Guillaume, Lambiotte, Lefebvre 2008, "Fast unfolding
/// of communities in large networks").
///
/// Phase 1 moves each node (in a seeded random order, repeated until no move helps) to the
/// neighbouring community with the largest modularity gain ΔQ ∝ k_{i,C} − k_i·Σ_C / 2m; phase 2
/// merges each community into one node (edge weights summed, internal edges as self-loops) and
/// repeats until a pass moves nothing. Ties go to the lowest community id, so the result depends only
/// on the graph and the stream.
public enum Louvain {
    /// The community of each node, numbered 0..<count in order of each community's smallest node.
    public static func communities(nodeCount: Int, edges: [GraphEdge], rng: inout RNGStream) -> [Int] {
        // Weighted adjacency lists; a self-loop weight w counts w toward the node's degree twice over, as in
        // the usual convention where the loop contributes 2w to k_i after aggregation.
        var adjacency = [[(node: Int, weight: Double)]](repeating: [], count: nodeCount)
        for edge in edges {
            adjacency[Int(edge.a)].append((Int(edge.b), 1))
            adjacency[Int(edge.b)].append((Int(edge.a), 1))
        }
        var selfLoops = [Double](repeating: 0, count: nodeCount)
        var membership = Array(0..<nodeCount)  // original node → current super-node
        while true {
            let n = adjacency.count
            var degree = [Double](repeating: 0, count: n)
            for v in 0..<n { degree[v] = adjacency[v].reduce(2 * selfLoops[v]) { $0 + $1.weight } }
            let twiceM = degree.reduce(0, +)
            guard twiceM > 0 else { break }
            var community = Array(0..<n)
            var total = degree  // Σ_tot of each community
            var order = Array(0..<n)
            rng.shuffle(&order)
            var moved = false
            var improved = true
            var neighbourWeight = [Double](repeating: 0, count: n)
            var touched = [Int]()
            var sweeps = 0
            while improved && sweeps < 100 {
                improved = false
                sweeps += 1
                for v in order {
                    let own = community[v]
                    for (u, w) in adjacency[v] where u != v {
                        if neighbourWeight[community[u]] == 0 { touched.append(community[u]) }
                        neighbourWeight[community[u]] += w
                    }
                    total[own] -= degree[v]
                    var best = own
                    var bestGain = neighbourWeight[own] - degree[v] * total[own] / twiceM
                    for candidate in touched.sorted() {
                        let gain = neighbourWeight[candidate] - degree[v] * total[candidate] / twiceM
                        if gain > bestGain + 1e-12 { best = candidate; bestGain = gain }
                    }
                    total[best] += degree[v]
                    if best != own {
                        community[v] = best
                        improved = true
                        moved = true
                    }
                    for c in touched { neighbourWeight[c] = 0 }
                    neighbourWeight[own] = 0
                    touched.removeAll(keepingCapacity: true)
                }
            }
            guard moved else { break }
            // Renumber communities densely, by smallest member, and aggregate.
            var renumber = [Int](repeating: -1, count: n)
            var next = 0
            for v in 0..<n where renumber[community[v]] < 0 {
                renumber[community[v]] = next
                next += 1
            }
            var merged = [[Int: Double]](repeating: [:], count: next)
            var mergedLoops = [Double](repeating: 0, count: next)
            for v in 0..<n {
                let cv = renumber[community[v]]
                mergedLoops[cv] += selfLoops[v]
                for (u, w) in adjacency[v] {
                    let cu = renumber[community[u]]
                    if cu == cv { mergedLoops[cv] += w / 2 } else { merged[cv][cu, default: 0] += w }
                }
            }
            adjacency = merged.map { neighbours in neighbours.keys.sorted().map { key in (node: key, weight: neighbours[key] ?? 0) } }
            selfLoops = mergedLoops
            for node in 0..<nodeCount { membership[node] = renumber[community[membership[node]]] }
            if next == n { break }
        }
        // Number communities by their smallest original node.
        var final = [Int](repeating: -1, count: nodeCount)
        var ids = [Int: Int]()
        for node in 0..<nodeCount {
            if ids[membership[node]] == nil { ids[membership[node]] = ids.count }
            final[node] = ids[membership[node]]!
        }
        return final
    }

    /// Modularity Q = Σ_C [ L_C / m − (d_C / 2m)² ] of a labelling (L_C internal edges, d_C total degree).
    public static func modularity(nodeCount: Int, edges: [GraphEdge], communities: [Int]) -> Double {
        let m = Double(edges.count)
        guard m > 0 else { return 0 }
        var internalEdges = [Int: Double](), degreeSum = [Int: Double]()
        for edge in edges {
            let (a, b) = (communities[Int(edge.a)], communities[Int(edge.b)])
            if a == b { internalEdges[a, default: 0] += 1 }
            degreeSum[a, default: 0] += 1
            degreeSum[b, default: 0] += 1
        }
        var q = 0.0
        for (community, degree) in degreeSum { q += (internalEdges[community] ?? 0) / m - (degree / (2 * m)) * (degree / (2 * m)) }
        return q
    }
}
