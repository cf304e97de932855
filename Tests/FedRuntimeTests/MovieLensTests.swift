import FedCore
import FedModels
import FedRuntime
import FedTestSupport
import FedWorkloads
import Foundation
import Testing

/// MovieLens-100K, read from a path because it may not be redistributed: `FEDSIM_MOVIELENS`, or the
/// copy beside this repository (`../shared/datasets/movielens-100k/ml-100k/u.data`). Skipped, with
/// the reason printed, when neither exists.
@Suite struct MovieLensTests {
    static let path: String? = {
        let candidates = [ProcessInfo.processInfo.environment["FEDSIM_MOVIELENS"],
                          Fixtures.path("../shared/datasets/movielens-100k/ml-100k/u.data")].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            print("MovieLensTests skipped: no MovieLens-100K u.data (set FEDSIM_MOVIELENS to its path)")
            return nil
        }
        return found
    }()

    /// The file as plain text, counted without the loader: lines, distinct users and items, ratings ≥ 4.
    static func independentCounts(_ path: String) throws -> (rows: Int, users: Int, items: Int, liked: Int) {
        var users = Set<Substring>(), items = Set<Substring>(), rows = 0, liked = 0
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let cells = line.split(separator: "\t")
            users.insert(cells[0])
            items.insert(cells[1])
            rows += 1
            if Int(cells[2])! >= 4 { liked += 1 }
        }
        return (rows, users.count, items.count, liked)
    }

    @Test(.enabled(if: MovieLensTests.path != nil, "MovieLens-100K not found"))
    func loader_readsEveryRating_andTheThresholdKeepsTheLikedOnes() throws {
        let path = try #require(Self.path)
        let counts = try Self.independentCounts(path)
        #expect(counts.rows == 100_000 && counts.users == 943 && counts.items == 1_682)
        let (all, report) = try InteractionLoader.load(path: path, format: .movielens)
        #expect(all.count == counts.rows && all.userCount == counts.users && all.itemCount == counts.items)
        #expect(report.skipped.isEmpty && report.belowThreshold == 0)
        let (liked, likedReport) = try InteractionLoader.load(path: path, format: .movielens, minimumRating: 4)
        #expect(liked.count == counts.liked && likedReport.belowThreshold == counts.rows - counts.liked)
    }

    /// The shipped topology on the real file: one client per user, and every user evaluated (each
    /// MovieLens user rated at least 20 films, so each keeps test items under protocol A).
    @Test(.enabled(if: MovieLensTests.path != nil, "MovieLens-100K not found"))
    func shippedTopology_preparesOneClientPerUser() throws {
        let path = try #require(Self.path)
        let topology = try RunHost.loadTopology(path: Fixtures.path("topologies/fedrec-bpr-movielens.yaml"),
                                                overrides: ["workload.dataset.path=\(path)"])
        let prepared = try PreparedWorkload.prepare(topology)
        let recommender = try #require(prepared.recommender)
        #expect(prepared.shardSizes.count == 943 && recommender.data.userCount == 943)
        #expect((0..<943).allSatisfy(recommender.data.isEvaluated))
        #expect(prepared.shardSizes.reduce(0, +) == recommender.data.training.count)
        #expect(abs(Double(recommender.data.training.count) / 100_000 - 0.8) < 0.01)
    }
}
