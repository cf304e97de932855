import Foundation

/// A numeric table read from a run's `metrics.csv`.
///
/// The first line of the file names the columns; every other line holds one number per column.
/// An empty cell or `nan` (any case) stands for a missing value and is stored as `Double.nan`.
/// Quoting is not supported, because every cell outside the header is a number.
public struct MetricsTable: Sendable, Equatable {
    /// Column names in file order.
    public let columns: [String]
    /// Data rows; `rows[i][j]` is the value of `columns[j]` in row `i`.
    public let rows: [[Double]]

    /// Creates a table from already parsed columns and rows.
    ///
    /// - Parameters:
    ///   - columns: The column names.
    ///   - rows: The rows, each expected to hold one value per column.
    public init(columns: [String], rows: [[Double]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Parses CSV text.
    ///
    /// Lines may end in `\n` or `\r\n`, and the final line break is optional.
    ///
    /// - Parameters:
    ///   - csv: The full text of the file.
    ///   - source: The file name reported in errors.
    /// - Throws: `ReportError.malformedCSV` for a missing or invalid header, a row with the wrong
    ///   number of cells, or a cell that is not a number.
    public init(csv: String, source: String = "<memory>") throws(ReportError) {
        var text = Substring(csv)
        if text.first == "\u{FEFF}" {
            // Spreadsheet exports often start with a byte order mark, which is not part of the first name.
            text = text.dropFirst()
        }
        // `isNewline` treats "\r\n" as a single character, so CRLF files split exactly like LF files.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.count > 1, lines.last?.isEmpty == true {
            lines.removeLast()
        }
        guard let headerLine = lines.first, !headerLine.allSatisfy(\.isWhitespace) else {
            throw .malformedCSV(file: source, line: 1, reason: "missing header line")
        }
        let names = headerLine.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
        if let blank = names.firstIndex(where: \.isEmpty) {
            throw .malformedCSV(file: source, line: 1, reason: "column \(blank + 1) has an empty name")
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw .malformedCSV(file: source, line: 1, reason: "duplicate column name '\(name)'")
        }

        var parsedRows: [[Double]] = []
        parsedRows.reserveCapacity(lines.count - 1)
        for (index, line) in lines.enumerated().dropFirst() {
            let lineNumber = index + 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == names.count else {
                throw .malformedCSV(
                    file: source, line: lineNumber,
                    reason: "expected \(names.count) cells, found \(cells.count)")
            }
            var row: [Double] = []
            row.reserveCapacity(cells.count)
            for (column, cell) in cells.enumerated() {
                guard let value = Self.number(from: cell) else {
                    throw .malformedCSV(
                        file: source, line: lineNumber,
                        reason: "cell '\(Self.trimmed(cell))' in column '\(names[column])' is not a number")
                }
                row.append(value)
            }
            parsedRows.append(row)
        }
        self.init(columns: names, rows: parsedRows)
    }

    /// Reads and parses a CSV file.
    ///
    /// - Parameter url: The file location; its path is used as the file name in errors.
    /// - Throws: `ReportError.unreadable` if the file cannot be read or is not UTF-8, otherwise the
    ///   errors of `init(csv:source:)`.
    public init(contentsOf url: URL) throws(ReportError) {
        let name = url.isFileURL ? url.path : url.absoluteString
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(file: name, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(file: name, reason: "the file is not valid UTF-8 text")
        }
        try self.init(csv: text, source: name)
    }

    /// Returns the values of the named column, or `nil` if the table has no such column.
    ///
    /// - Parameter name: The exact column name.
    public func column(_ name: String) -> [Double]? {
        guard let index = columns.firstIndex(of: name) else {
            return nil
        }
        return rows.map { index < $0.count ? $0[index] : .nan }
    }

    /// Returns the values of the named column, throwing if it is absent.
    ///
    /// - Parameters:
    ///   - name: The exact column name.
    ///   - file: The file name reported in the error.
    /// - Throws: `ReportError.missingColumn` listing the available columns.
    public func requireColumn(_ name: String, file: String = "<memory>") throws(ReportError) -> [Double] {
        guard let values = column(name) else {
            throw .missingColumn(file: file, column: name, available: columns)
        }
        return values
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.trimmingCharacters(in: .whitespaces))
    }

    /// Parses one data cell; `nil` means the cell is not a number.
    private static func number(from cell: Substring) -> Double? {
        let text = trimmed(cell)
        if text.isEmpty || text.lowercased() == "nan" {
            return .nan
        }
        return Double(text)
    }
}
