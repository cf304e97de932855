import Foundation

/// Writes `metrics.csv`: one row per round, a fixed header chosen before the first row.
public final class MetricsWriter: @unchecked Sendable {
    /// Columns every run has, in order.
    public static let standardColumns = [
        "round", "wall_s", "bytes_up", "bytes_down", "bytes_state", "participants", "failures", "rejected",
        "train_loss", "test_loss", "test_accuracy",
    ]

    public let columns: [String]
    private let writer: LineWriter

    /// - Parameter extraColumns: algorithm-specific metrics appended after the standard columns.
    public init(path: String, extraColumns: [String]) throws {
        columns = Self.standardColumns + extraColumns.filter { !Self.standardColumns.contains($0) }
        writer = try LineWriter(path: path)
        writer.write(columns.joined(separator: ","))
    }

    /// Appends one row; missing values are written as `nan`.
    public func append(_ values: [String: Double]) {
        writer.write(columns.map { Self.format(values[$0] ?? .nan) }.joined(separator: ","))
    }

    /// Appends an already formatted row (used when resuming a run).
    public func appendRaw(_ line: String) {
        writer.write(line)
    }

    /// Shortest text that reads back to the same Double (deterministic, locale-free).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    public func close() { writer.close() }
}

/// Writes `events.jsonl`: one JSON object per line with the time since the run started.
public final class EventLog: @unchecked Sendable {
    private let writer: LineWriter?
    private let start = Date()
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    /// A log writing to `path` (appending when `append` is set), or a log that only counts when `path` is nil.
    public init(path: String?, append: Bool = false) throws {
        writer = try path.map { try LineWriter(path: $0, append: append) }
    }

    /// Records an event. `fields` values must be String, Int, Double or Bool.
    public func record(_ event: String, _ fields: [String: any Sendable] = [:]) {
        lock.lock()
        counts[event, default: 0] += 1
        lock.unlock()
        var object: [String: Any] = ["event": event, "t": (Date().timeIntervalSince(start) * 1000).rounded() / 1000]
        for (key, value) in fields { object[key] = value }
        guard let writer,
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let line = String(data: data, encoding: .utf8) else { return }
        writer.write(line)
    }

    /// How many events of each kind were recorded.
    public func count(of event: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[event, default: 0]
    }

    public func close() { writer?.close() }
}
