import Foundation

/// The folder one run writes: config, metrics, events, model, checkpoint and plot.
///
/// Files written while running are appended and flushed line by line, so a crash loses at most
/// the line being written; whole-file outputs (model, checkpoint) are written to a temporary
/// name and renamed into place, so a reader never sees half a file.
public struct RunDirectory: Sendable {
    public let url: URL

    /// Names of the files inside a run directory.
    public enum File {
        public static let config = "config.yaml"
        public static let metrics = "metrics.csv"
        public static let events = "events.jsonl"
        public static let timings = "timings.csv"
        public static let model = "final_model.bin"
        public static let checkpoint = "checkpoint.bin"
        public static let plot = "convergence.svg"
        /// Generative models only: a scatter plot of what the final model generates.
        public static let samples = "samples.svg"
        public static let endpoint = "endpoint"
        /// Workers save their clients' private state here (one folder per client).
        public static let privateState = "private-state"
        /// Graph workloads: each client's nodes, edges, split and class histogram.
        public static let clients = "clients.csv"
    }

    /// Uses `path` as it is, creating it if needed.
    public init(existing path: String) throws {
        url = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Creates a fresh directory at `path`, or at `path-2`, `path-3`, ... if `path` already holds
    /// a run, so an earlier run's results are never overwritten.
    public static func makeFresh(at path: String) throws -> RunDirectory {
        let manager = FileManager.default
        var candidate = path
        var suffix = 2
        while manager.fileExists(atPath: candidate),
              let contents = try? manager.contentsOfDirectory(atPath: candidate), !contents.isEmpty {
            candidate = "\(path)-\(suffix)"
            suffix += 1
        }
        return try RunDirectory(existing: candidate)
    }

    /// The path of a file in the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `data` to `name` atomically (temporary file, then rename).
    public func writeAtomically(_ name: String, _ data: Data) throws {
        let target = url.appendingPathComponent(name)
        let temporary = url.appendingPathComponent(".\(name).tmp")
        try data.write(to: temporary)
        // rename(2) replaces the target atomically.
        guard rename(temporary.path, target.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
    }
}

/// An append-only text file written line by line and flushed after each line.
public final class LineWriter: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    /// Creates (truncating) the file at `path`, or opens it for appending when `append` is set.
    public init(path: String, append: Bool = false) throws {
        if !(append && FileManager.default.fileExists(atPath: path)) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        if append { try handle.seekToEnd() }
    }

    /// Appends `line` and a newline.
    public func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data((line + "\n").utf8))
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        try? handle.close()
    }
}
