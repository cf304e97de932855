#if canImport(Glibc)
import Glibc
#endif

/// Errors from reading data files.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// A line of the file is not what the format expects.
    case malformed(path: String, line: Int, reason: String)
    /// The data set name is not one FedSim knows.
    case unknownDataset(name: String, known: [String])
    /// The partition cannot be built (too few examples, impossible class counts).
    case impossiblePartition(reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .malformed(path, line, reason): return "\(path):\(line): \(reason)"
        case let .unknownDataset(name, known): return "unknown data set '\(name)'; known: \(known.joined(separator: ", "))"
        case let .impossiblePartition(reason): return "cannot partition: \(reason)"
        }
    }
}

/// Reads a CSV file with one header row, numeric feature columns and the integer label last.
///
/// This is the format of the bundled digits and breast-cancer files, and of most tabular exports.
public enum CSVDatasetLoader {
    /// Loads the file; `featureScale` multiplies every feature (digits use 1/16 to map 0...16 to 0...1).
    public static func load(path: String, featureScale: Float = 1) throws(DataError) -> Dataset {
        let text = try readTextFile(path)
        var features = [Float]()
        var labels = [Int32]()
        var dimension = -1
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so CRLF files must be split on it explicitly.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if lineNumber == 1 || line.isEmpty { continue }  // header, blank trailing line
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            if dimension < 0 { dimension = cells.count - 1 }
            guard cells.count == dimension + 1, dimension > 0 else {
                throw .malformed(path: path, line: lineNumber, reason: "expected \(dimension + 1) cells, got \(cells.count)")
            }
            for cell in cells.dropLast() {
                guard let value = Float(cell.trimmingSpaces()) else {
                    throw .malformed(path: path, line: lineNumber, reason: "'\(cell)' is not a number")
                }
                features.append(value * featureScale)
            }
            guard let label = Int32(cells[cells.count - 1].trimmingSpaces()), label >= 0 else {
                throw .malformed(path: path, line: lineNumber, reason: "label '\(cells[cells.count - 1])' is not a class index")
            }
            labels.append(label)
        }
        guard let maxLabel = labels.max() else { throw .malformed(path: path, line: lineNumber, reason: "no data rows") }
        return Dataset(features: features, labels: labels, dimension: dimension, classCount: Int(maxLabel) + 1)
    }
}

/// Reads a whole file as UTF-8 using libc only (FedCore stays free of Foundation).
public func readTextFile(_ path: String) throws(DataError) -> String {
    String(decoding: try readBinaryFile(path), as: UTF8.self)
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var view = self[...]
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return view
    }
}
