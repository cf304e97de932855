import FedCore
import FedTestSupport
import Foundation
import Testing

/// Interaction files, the synthetic generator and the two protocols' splits.
@Suite struct InteractionDataTests {
    func write(_ text: String, _ name: String) throws -> String {
        let path = Fixtures.temporaryDirectory("interactions") + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func movieLensRows_becomeDenseZeroBasedIds_withAThreshold() throws {
        let path = try write("1\t10\t5\t100\n1\t30\t2\t101\n3\t10\t4\t102\n3\t20\t5\t99\n", "u.data")
        let (all, report) = try InteractionLoader.load(path: path, format: .movielens)
        #expect(all.userCount == 2 && all.itemCount == 3 && all.count == 4)
        #expect(Array(all.items(of: 0)) == [0, 2] && Array(all.items(of: 1)) == [0, 1])
        #expect(report.rowsRead == 4 && report.skipped.isEmpty)
        let (liked, thresholdReport) = try InteractionLoader.load(path: path, format: .movielens, minimumRating: 4)
        #expect(liked.count == 3 && thresholdReport.belowThreshold == 1)
    }

    @Test func badRows_areErrorsWithFileAndLine_orSkippedAndCounted() throws {
        let cases: [(String, String)] = [
            ("user,item\n1,2\nx,3\n", "user id 'x'"),
            ("1,2\n1,2\n", "appear twice"),
            ("1,2,good\n", "rating 'good'"),
            ("1,2,3,4,5\n", "found 5"),
            ("1,-4\n", "item id '-4'"),
        ]
        for (text, message) in cases {
            let path = try write(text, "bad.csv")
            #expect { _ = try InteractionLoader.load(path: path, format: .csv) } throws: {
                "\($0)".contains(message) && "\($0)".contains("bad.csv:")
            }
        }
        let path = try write("user,item\n1,2\nx,3\n1,2\n2,5\n", "mixed.csv")
        let (set, report) = try InteractionLoader.load(path: path, format: .csv, skipBadRows: true)
        #expect(set.count == 2 && report.skipped.count == 2)
        #expect(report.skipped[0].hasSuffix("mixed.csv:3: user id 'x' is not a non-negative integer"))
        #expect { _ = try InteractionLoader.load(path: "/nonexistent/u.data", format: .movielens) } throws: { "\($0)".contains("/nonexistent/u.data") }
    }

    @Test func synthetic_isSeededAndShapedLikeMovieLens() {
        var settings = SyntheticInteractions.Settings()
        settings.users = 300
        let a = SyntheticInteractions.make(settings, seed: 4), b = SyntheticInteractions.make(settings, seed: 4)
        #expect(a == b && a != SyntheticInteractions.make(settings, seed: 5))
        #expect((0..<300).allSatisfy { a.items(of: $0).count >= 20 })
        // Power-law popularity like MovieLens-100K's, whose 10 % most popular items hold 42.7 % of the
        // interactions; about 106 interactions per user there.
        let degrees = a.itemDegrees.sorted(by: >)
        let share = Double(degrees.prefix(168).reduce(0, +)) / Double(a.count)
        #expect(share > 0.3 && share < 0.6, "top 10 % of items hold \(share)")
        let perUser = Double(a.count) / 300
        #expect(perUser > 80 && perUser < 130, "\(perUser) interactions per user")
    }

    @Test func protocolSplits_keepEveryInteractionOnce() {
        var settings = SyntheticInteractions.Settings()
        settings.users = 50
        settings.items = 400
        let set = SyntheticInteractions.make(settings, seed: 2)
        var rng = RNGStream(seed: 1, purpose: .dataSplit)
        let (train, test) = InteractionSplit.random(set, rng: &rng)
        #expect(train.count + test.count == set.count)
        for user in 0..<50 {
            let n = set.items(of: user).count, t = test.items(of: user).count
            #expect(t >= 1 && train.items(of: user).count >= 1 && abs(Double(t) - 0.2 * Double(n)) <= 1)
            #expect(Set(train.items(of: user)).isDisjoint(with: test.items(of: user)))
        }
        let loo = InteractionSplit.leaveOneOut(set, rng: &rng)
        for user in 0..<50 {
            let items = Array(set.items(of: user))
            let latest = items.indices.max { (set.timestamps[set.userStarts[user] + $0], items[$0]) < (set.timestamps[set.userStarts[user] + $1], items[$1]) }!
            #expect(loo.testItem[user] == items[latest])
            #expect(loo.negatives[user].count == 99 && Set(loo.negatives[user]).count == 99)
            #expect(Set(loo.negatives[user]).isDisjoint(with: items))
            #expect(loo.train.items(of: user).count == items.count - 1)
        }
    }
}
