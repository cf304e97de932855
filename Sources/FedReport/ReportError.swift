/// An error raised while reading run outputs or assembling a report from them.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read or decoded as UTF-8 text.
    case unreadable(file: String, reason: String)
    /// The CSV text is structurally wrong at the given 1-based line (the header is line 1).
    case malformedCSV(file: String, line: Int, reason: String)
    /// A column the report needs is absent; `available` lists the columns that were found.
    case missingColumn(file: String, column: String, available: [String])

    /// A one-line, human-readable explanation of the error.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read \(file): \(reason)"
        case let .malformedCSV(file, line, reason):
            return "\(file):\(line): malformed CSV: \(reason)"
        case let .missingColumn(file, column, available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "\(file): missing column '\(column)' (available: \(list))"
        }
    }
}
