import FedCore
import FedTestSupport
import Testing

extension Partition: CustomTestStringConvertible {
    public var testDescription: String {
        switch self {
        case .iid: return "iid"
        case let .dirichlet(alpha, minimum): return "dirichlet(α=\(alpha), min=\(minimum))"
        case let .labelSplit(k): return "labelSplit(k=\(k))"
        case let .domains(source, k): return "domains(source=\(source), k=\(k.map(String.init) ?? "all"))"
        case .contiguous: return "contiguous"
        }
    }
}

private func assign(_ partition: Partition, _ data: Dataset, clients: Int, seed: UInt64) throws -> [[Int]] {
    var rng = RNGStream(seed: seed, purpose: .partition)
    return try partition.assign(data, clients: clients, rng: &rng)
}

/// Per client, the share of its examples that belong to its most common class, averaged over clients.
private func meanMaxClassShare(_ shards: [[Int]], labels: [Int32], classCount: Int) -> Double {
    var total = 0.0, counted = 0
    for shard in shards where !shard.isEmpty {
        var counts = [Int](repeating: 0, count: classCount)
        for index in shard { counts[Int(labels[index])] += 1 }
        total += Double(counts.max()!) / Double(shard.count)
        counted += 1
    }
    return total / Double(counted)
}

@Suite struct PartitionTests {
    /// 1,000 examples, 10 balanced classes.
    static let data = Fixtures.blobs(count: 1_000, dimension: 4, classes: 10, seed: 3)

    static let partitions: [Partition] = [
        .iid,
        .dirichlet(alpha: 0.1, minimumPerClient: 0), .dirichlet(alpha: 0.5, minimumPerClient: 1),
        .dirichlet(alpha: 100, minimumPerClient: 1),
        .labelSplit(classesPerClient: 1), .labelSplit(classesPerClient: 2), .labelSplit(classesPerClient: 3),
    ]

    @Test(arguments: partitions)
    func assign_givesEveryIndexToExactlyOneClient_inSortedShards(partition: Partition) throws {
        for seed: UInt64 in 1...4 {
            let shards = try assign(partition, Self.data, clients: 20, seed: seed)
            #expect(shards.count == 20, "seed \(seed)")
            let all = shards.flatMap { $0 }
            #expect(all.count == Self.data.count, "seed \(seed): \(all.count) assignments")
            #expect(all.sorted() == Array(0..<Self.data.count), "seed \(seed)")
            for (client, shard) in shards.enumerated() {
                #expect(zip(shard, shard.dropFirst()).allSatisfy { $0 < $1 }, "seed \(seed) client \(client) not ascending")
            }
        }
    }

    @Test(arguments: partitions)
    func assign_isDeterministicPerSeedAndVariesAcrossSeeds(partition: Partition) throws {
        let first = try assign(partition, Self.data, clients: 20, seed: 9)
        let again = try assign(partition, Self.data, clients: 20, seed: 9)
        let other = try assign(partition, Self.data, clients: 20, seed: 10)
        #expect(first == again)
        #expect(first != other)
    }

    @Test func iid_shardSizes_differByAtMostOne() throws {
        for seed: UInt64 in 1...3 {
            let sizes = try assign(.iid, Self.data, clients: 7, seed: seed).map(\.count)
            // 1000 = 7·142 + 6: six clients get 143, one gets 142.
            #expect(sizes.sorted() == [142] + [Int](repeating: 143, count: 6), "seed \(seed)")
        }
    }

    @Test(arguments: [1, 2, 3])
    func labelSplit_fiftyClientsTenClasses_givesEachClientExactlyKClasses(k: Int) throws {
        let labels = Self.data.labels
        for seed: UInt64 in 1...3 {
            let shards = try assign(.labelSplit(classesPerClient: k), Self.data, clients: 50, seed: seed)
            var holders = [[Int]](repeating: [], count: 10)
            for (client, shard) in shards.enumerated() {
                let classes = Set(shard.map { labels[$0] })
                #expect(classes.count == k, "seed \(seed) client \(client) holds \(classes.sorted())")
                for label in classes { holders[Int(label)].append(client) }
            }
            for label in 0..<10 {
                // 50·k class slots over 10 classes: each class has 5k holders sharing it within one example.
                #expect(holders[label].count == 5 * k, "seed \(seed) class \(label)")
                let perHolder = holders[label].map { client in shards[client].filter { labels[$0] == label }.count }
                #expect(perHolder.max()! - perHolder.min()! <= 1, "seed \(seed) class \(label): \(perHolder)")
            }
        }
    }

    @Test(arguments: [(7, 3), (12, 1), (13, 2), (10, 10)])
    func labelSplit_withEnoughClassSlots_holdsEveryClassEvenly(clients: Int, k: Int) throws {
        // clients·k ≥ 10 slots: every class has a holder and holder counts differ by at most one.
        for seed: UInt64 in 1...3 {
            let shards = try assign(.labelSplit(classesPerClient: k), Self.data, clients: clients, seed: seed)
            var holders = [Int](repeating: 0, count: 10)
            for shard in shards { for label in Set(shard.map { Self.data.labels[$0] }) { holders[Int(label)] += 1 } }
            #expect(holders.min()! >= 1 && holders.max()! - holders.min()! <= 1, "seed \(seed): holders per class \(holders)")
            #expect(shards.flatMap { $0 }.sorted() == Array(0..<Self.data.count), "seed \(seed)")
        }
    }

    @Test func dirichlet_skew_growsAsAlphaShrinks() throws {
        for seed: UInt64 in 1...3 {
            var share = [Double: Double]()
            for alpha in [0.1, 0.5, 100] {
                let shards = try assign(.dirichlet(alpha: alpha, minimumPerClient: 1), Self.data, clients: 20, seed: seed)
                share[alpha] = meanMaxClassShare(shards, labels: Self.data.labels, classCount: 10)
            }
            // A uniform mix over 10 classes has max share ≈ 0.1 (plus sampling noise on ~50 examples).
            #expect(share[100]! < 0.25, "seed \(seed): α=100 max-class share \(share[100]!)")
            #expect(share[0.1]! > 0.5, "seed \(seed): α=0.1 max-class share \(share[0.1]!)")
            #expect(share[0.1]! > share[0.5]! && share[0.5]! > share[100]!, "seed \(seed): \(share)")
        }
    }

    @Test func dirichlet_largeAlpha_givesEachClientNearEqualClassCounts() throws {
        let shards = try assign(.dirichlet(alpha: 100, minimumPerClient: 1), Self.data, clients: 5, seed: 4)
        for (client, shard) in shards.enumerated() {
            var counts = [Int](repeating: 0, count: 10)
            for index in shard { counts[Int(Self.data.labels[index])] += 1 }
            // Each class has 100 examples; shares ~ Dirichlet(100) have sd ≈ 0.018, so ≈ 20 ± 2 each.
            #expect(counts.allSatisfy { abs($0 - 20) <= 8 }, "client \(client): \(counts)")
        }
    }

    @Test func dirichlet_minimumPerClient_isHonoured() throws {
        for seed: UInt64 in 1...3 {
            let shards = try assign(.dirichlet(alpha: 0.3, minimumPerClient: 10), Self.data, clients: 10, seed: seed)
            #expect(shards.allSatisfy { $0.count >= 10 }, "seed \(seed): \(shards.map(\.count))")
        }
    }

    @Test(arguments: partitions)
    func assign_withMoreClientsThanExamples_throws(partition: Partition) {
        let tiny = Fixtures.blobs(count: 5, dimension: 2, classes: 5, seed: 1)
        let error = #expect(throws: DataError.self) { try assign(partition, tiny, clients: 6, seed: 1) }
        if case .impossiblePartition = error {} else { Issue.record("unexpected error \(String(describing: error))") }
    }

    @Test(arguments: partitions)
    func assign_withZeroClients_throws(partition: Partition) {
        #expect(throws: DataError.self) { try assign(partition, Self.data, clients: 0, seed: 1) }
    }

    @Test(arguments: [0, 11])
    func labelSplit_withClassesPerClientOutsideOneToClassCount_throws(k: Int) {
        let error = #expect(throws: DataError.self) { try assign(.labelSplit(classesPerClient: k), Self.data, clients: 10, seed: 1) }
        if case .impossiblePartition = error {} else { Issue.record("unexpected error \(String(describing: error))") }
    }

    @Test func labelSplit_whenAClassHasFewerExamplesThanHolders_throws() {
        // Three classes of one example each; with k = 3 every client holds every class,
        // so two of the three clients would receive nothing.
        let data = Numerics.traceableDataset(labels: [0, 1, 2], dimension: 1, classCount: 3)
        #expect(throws: DataError.self) { try assign(.labelSplit(classesPerClient: 3), data, clients: 3, seed: 1) }
    }

    @Test(arguments: [0.0, -1.0])
    func dirichlet_withNonPositiveAlpha_throws(alpha: Double) {
        #expect(throws: DataError.self) {
            try assign(.dirichlet(alpha: alpha, minimumPerClient: 0), Self.data, clients: 4, seed: 1)
        }
    }

    @Test func dirichlet_withUnreachableMinimum_throwsInsteadOfLooping() {
        // 1,000 examples cannot give 20 clients 60 each.
        let error = #expect(throws: DataError.self) {
            try assign(.dirichlet(alpha: 100, minimumPerClient: 60), Self.data, clients: 20, seed: 1)
        }
        if case .impossiblePartition = error {} else { Issue.record("unexpected error \(String(describing: error))") }
    }
}

@Suite struct PartitionCoverageTests {
    @Test func labelSplit_withTooFewClientsToHoldEveryClass_throws() {
        let data = Fixtures.blobs(count: 100, dimension: 3, classes: 10, seed: 1)
        var rng = RNGStream(seed: 1, purpose: .partition)
        #expect(throws: DataError.self) { try Partition.labelSplit(classesPerClient: 2).assign(data, clients: 4, rng: &rng) }
    }

    @Test func assignFromLabels_equalsAssignFromTheDataSet() throws {
        let data = Fixtures.blobs(count: 90, dimension: 3, classes: 5, seed: 2)
        for partition in [Partition.iid, .dirichlet(alpha: 0.5, minimumPerClient: 1), .labelSplit(classesPerClient: 2)] {
            var a = RNGStream(seed: 9, purpose: .partition), b = RNGStream(seed: 9, purpose: .partition)
            let fromData = try partition.assign(data, clients: 6, rng: &a)
            let fromLabels = try partition.assign(labels: data.labels, classCount: 5, clients: 6, rng: &b)
            #expect(fromData == fromLabels, "\(partition)")
        }
    }
}

@Suite struct ContiguousPartitionTests {
    @Test func blocksCoverEveryRowOnceInOrder() throws {
        let data = Dataset(features: [Float](repeating: 0, count: 103), labels: [Int32](repeating: 0, count: 103), dimension: 1, classCount: 2)
        let shards = try assign(.contiguous, data, clients: 8, seed: 1)
        #expect(shards.flatMap { $0 } == Array(0..<103))
        #expect(shards.map(\.count).max()! - shards.map(\.count).min()! <= 1)
    }
}
