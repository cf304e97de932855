import FedCore
import FedTestSupport
import Testing

/// Two-domain data: unlabelled rows, domain tags, the domains partition and the texture shift.
@Suite struct DomainDataTests {
    /// 30 source rows (labels 0..<3, 10 each) followed by 20 target rows (unlabelled).
    static let data: Dataset = {
        let source = Numerics.traceableDataset(labels: (0..<30).map { Int32($0 % 3) }, dimension: 2, classCount: 3)
        var target = Numerics.traceableDataset(labels: [Int32](repeating: 0, count: 20), dimension: 2, classCount: 3)
        target = Dataset(features: target.features.map { $0 + 1000 }, labels: target.labels, dimension: 2, classCount: 3)
        return source.tagged(domain: 0).appending(target.withoutLabels().tagged(domain: 1))
    }()

    @Test func appendingKeepsRowsLabelsAndDomainTags() {
        #expect(Self.data.count == 50)
        #expect(Self.data.domains == [UInt8](repeating: 0, count: 30) + [UInt8](repeating: 1, count: 20))
        #expect(Self.data.unlabelledCount == 20)
        #expect(Self.data.classHistogram() == [10, 10, 10], "unlabelled rows belong to no class")
        let picked = Self.data.subset([29, 30])
        #expect(picked.domains == [0, 1] && picked.labels == [2, Dataset.unlabelled])
    }

    @Test func domainsPartition_givesSourceRowsToSourceClientsAndTargetRowsToTheRest() throws {
        var rng = RNGStream(seed: 4, purpose: .partition)
        let shards = try Partition.domains(sourceClients: 2, sourceClassesPerClient: nil).assign(Self.data, clients: 5, rng: &rng)
        #expect(shards.count == 5)
        #expect(shards[0..<2].allSatisfy { $0.allSatisfy { Self.data.labels[$0] >= 0 } })
        #expect(shards[2...].allSatisfy { $0.allSatisfy { Self.data.labels[$0] < 0 } })
        #expect(shards.map(\.count) == [15, 15, 7, 7, 6])
        #expect(Set(shards.flatMap { $0 }).count == 50, "every row is placed exactly once")
    }

    @Test func domainsPartition_withClassesPerClient_limitsEachSourceClientsClasses() throws {
        var rng = RNGStream(seed: 4, purpose: .partition)
        let shards = try Partition.domains(sourceClients: 3, sourceClassesPerClient: 1).assign(Self.data, clients: 4, rng: &rng)
        for shard in shards[0..<3] { #expect(Set(shard.map { Self.data.labels[$0] }).count == 1) }
        #expect(Set(shards[0..<3].map { Self.data.labels[$0[0]] }).count == 3, "the three classes go to different clients")
        #expect(shards[3].count == 20)
    }

    @Test func domainsPartition_rejectsLayoutsWithoutATargetClient() {
        var rng = RNGStream(seed: 1, purpose: .partition)
        #expect(throws: DataError.self) {
            try Partition.domains(sourceClients: 3, sourceClassesPerClient: nil).assign(Self.data, clients: 3, rng: &rng)
        }
    }

    @Test(arguments: [Partition.iid, .dirichlet(alpha: 1, minimumPerClient: 1), .labelSplit(classesPerClient: 2)])
    func otherPartitions_refuseUnlabelledRows(partition: Partition) {
        var rng = RNGStream(seed: 1, purpose: .partition)
        #expect(throws: DataError.self) { try partition.assign(Self.data, clients: 3, rng: &rng) }
    }

    @Test func textureShift_keepsLabelsAndRangeAndNeverDarkensInk() {
        var source = RNGStream(seed: 3, purpose: .custom)
        let pixels = (0..<(40 * 64)).map { _ in Float(source.nextUnitDouble()) }
        let images = Dataset(features: pixels, labels: (0..<40).map { Int32($0 % 10) }, dimension: 64, classCount: 10)
        var rng = RNGStream(seed: 9, purpose: .synthetic)
        let shifted = TextureShift.apply(to: images, side: 8, rng: &rng)
        #expect(shifted.labels == images.labels)
        #expect(shifted.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(zip(shifted.features, images.features).allSatisfy { $0 >= $1 }, "the blend is a maximum")
        #expect(zip(shifted.features, images.features).filter { $0 != $1 }.count > 40 * 64 / 4, "backgrounds change many pixels")
        var again = RNGStream(seed: 9, purpose: .synthetic)
        #expect(TextureShift.apply(to: images, side: 8, rng: &again) == shifted)
    }
}
