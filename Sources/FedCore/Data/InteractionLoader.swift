/// Reads interaction files: MovieLens `u.data` and a plain CSV users can write themselves.
///
/// - `movielens`: tab-separated `user item rating timestamp` per line (GroupLens's `u.data`).
/// - `csv`: comma-separated `user,item[,rating][,timestamp]`, an optional header row (a first line
///   whose first cell is not a number).
///
/// User and item ids are any non-negative integers; they are renumbered densely in ascending order
/// (MovieLens's 1-based ids become 0-based). With `minimumRating`, only rows rated at least that much
/// count as interactions (implicit feedback). A row with the wrong number of cells, a non-numeric or
/// negative id, a non-numeric rating or timestamp, or a (user, item) pair seen before is an error
/// naming the file and line, or, with `skipBadRows`, is skipped and counted in the report.
public enum InteractionLoader {
    public enum Format: String, Sendable, CaseIterable { case movielens, csv }

    /// What loading skipped.
    public struct Report: Sendable, Equatable {
        public var rowsRead = 0
        public var belowThreshold = 0
        public var skipped = [String]()
    }

    public static func load(path: String, format: Format, minimumRating: Double? = nil,
                            skipBadRows: Bool = false) throws(DataError) -> (interactions: InteractionSet, report: Report) {
        let text = try readTextFile(path)
        var report = Report()
        var rows = [(user: Int, item: Int, timestamp: Int64)]()
        var seen = Set<Int64>()
        let separator: Character = format == .movielens ? "\t" : ","
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " }) { continue }
            let cells = line.split(separator: separator, omittingEmptySubsequences: false).map { trimmed($0) }
            if format == .csv, lineNumber == 1, let first = cells.first, Int(first) == nil { continue }  // header
            do throws(RowError) {
                guard let row = try parse(cells, format: format, minimumRating: minimumRating) else {
                    report.belowThreshold += 1
                    report.rowsRead += 1
                    continue
                }
                // Users and items up to 2^31 fit the key exactly.
                let key = Int64(row.user) << 32 | Int64(row.item)
                guard seen.insert(key).inserted else { throw RowError("user \(row.user) and item \(row.item) appear twice") }
                rows.append(row)
                report.rowsRead += 1
            } catch {
                guard skipBadRows else { throw .malformed(path: path, line: lineNumber, reason: error.reason) }
                report.skipped.append("\(path):\(lineNumber): \(error.reason)")
            }
        }
        guard !rows.isEmpty else { throw .unreadable(path: path, reason: "no interactions") }
        let userIDs = Array(Set(rows.map(\.user))).sorted(), itemIDs = Array(Set(rows.map(\.item))).sorted()
        let userIndex = Dictionary(uniqueKeysWithValues: userIDs.enumerated().map { ($1, $0) })
        let itemIndex = Dictionary(uniqueKeysWithValues: itemIDs.enumerated().map { ($1, $0) })
        let pairs = rows.map { (user: userIndex[$0.user]!, item: itemIndex[$0.item]!, timestamp: $0.timestamp) }
        return (InteractionSet(userCount: userIDs.count, itemCount: itemIDs.count, pairs: pairs), report)
    }

    struct RowError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The row's (user, item, timestamp), or nil when its rating is below the threshold.
    static func parse(_ cells: [Substring], format: Format, minimumRating: Double?) throws(RowError) -> (user: Int, item: Int, timestamp: Int64)? {
        let expected = format == .movielens ? 4...4 : 2...4
        guard expected.contains(cells.count) else {
            throw RowError("expected \(format == .movielens ? "4 tab-separated" : "2 to 4 comma-separated") cells, found \(cells.count)")
        }
        guard let user = Int(cells[0]), user >= 0, user < 1 << 31 else { throw RowError("user id '\(cells[0])' is not a non-negative integer") }
        guard let item = Int(cells[1]), item >= 0, item < 1 << 31 else { throw RowError("item id '\(cells[1])' is not a non-negative integer") }
        if cells.count >= 3 {
            guard let rating = Double(cells[2]), rating.isFinite else { throw RowError("rating '\(cells[2])' is not a number") }
            if let minimumRating, rating < minimumRating { return nil }
        }
        var timestamp: Int64 = 0
        if cells.count == 4 {
            guard let value = Int64(cells[3]) else { throw RowError("timestamp '\(cells[3])' is not an integer") }
            timestamp = value
        }
        return (user, item, timestamp)
    }

    static func trimmed(_ cell: Substring) -> Substring {
        var cell = cell
        while cell.first == " " { cell = cell.dropFirst() }
        while cell.last == " " { cell = cell.dropLast() }
        return cell
    }
}
