import Foundation
import Testing

@testable import FedReport

@Suite struct MetricsTableTests {
    @Test func parsesSmallTable() throws {
        let table = try MetricsTable(csv: "round,loss,accuracy\n1,2.5,0.1\n2,1.25,0.5\n3,0.5,0.875\n")
        #expect(table.columns == ["round", "loss", "accuracy"])
        #expect(table.rows == [[1, 2.5, 0.1], [2, 1.25, 0.5], [3, 0.5, 0.875]])
        #expect(table.column("loss") == [2.5, 1.25, 0.5])
        #expect(table.column("missing") == nil)
    }

    @Test func trailingNewlineIsOptional() throws {
        let with = try MetricsTable(csv: "a,b\n1,2\n3,4\n")
        let without = try MetricsTable(csv: "a,b\n1,2\n3,4")
        #expect(with == without)
        #expect(with.rows.count == 2)
    }

    @Test func toleratesCRLFAndSpaces() throws {
        let table = try MetricsTable(csv: "a, b\r\n1, 2\r\n 3 ,4\r\n")
        #expect(table.columns == ["a", "b"])
        #expect(table.rows == [[1, 2], [3, 4]])
    }

    @Test func headerOnlyGivesNoRows() throws {
        let table = try MetricsTable(csv: "a,b\n")
        #expect(table.columns == ["a", "b"])
        #expect(table.rows.isEmpty)
        #expect(table.column("a") == [])
    }

    @Test func missingValuesBecomeNaN() throws {
        let table = try MetricsTable(csv: "a,b,c\n1,,nan\nNaN,2,\n")
        let a = try #require(table.column("a"))
        let b = try #require(table.column("b"))
        let c = try #require(table.column("c"))
        #expect(a[0] == 1 && a[1].isNaN)
        #expect(b[0].isNaN && b[1] == 2)
        #expect(c.allSatisfy { $0.isNaN })
    }

    @Test func rejectsRaggedRowWithLineNumber() {
        #expect(throws: ReportError.malformedCSV(file: "m.csv", line: 3, reason: "expected 2 cells, found 3")) {
            try MetricsTable(csv: "a,b\n1,2\n3,4,5\n6,7\n", source: "m.csv")
        }
        #expect(throws: ReportError.malformedCSV(file: "<memory>", line: 4, reason: "expected 3 cells, found 2")) {
            try MetricsTable(csv: "a,b,c\r\n1,2,3\r\n4,5,6\r\n7,8\r\n")
        }
    }

    @Test func rejectsNonNumericCellWithLineNumber() {
        do {
            _ = try MetricsTable(csv: "round,loss\n1,0.5\n2,abc\n", source: "metrics.csv")
            Issue.record("expected an error")
        } catch {
            guard case let .malformedCSV(file, line, reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(file == "metrics.csv")
            #expect(line == 3)
            #expect(reason.contains("abc") && reason.contains("loss"))
            #expect(error.description.hasPrefix("metrics.csv:3:"))
        }
    }

    @Test func rejectsBadHeaders() {
        #expect(throws: ReportError.malformedCSV(file: "<memory>", line: 1, reason: "missing header line")) {
            try MetricsTable(csv: "")
        }
        #expect(throws: ReportError.self) { try MetricsTable(csv: "a,,b\n1,2,3\n") }
        #expect(throws: ReportError.self) { try MetricsTable(csv: "a,a\n1,2\n") }
    }

    @Test func requireColumnReportsAvailableColumns() throws {
        let table = MetricsTable(columns: ["x", "y"], rows: [[1, 2]])
        #expect(try table.requireColumn("y") == [2])
        #expect(throws: ReportError.missingColumn(file: "f.csv", column: "z", available: ["x", "y"])) {
            try table.requireColumn("z", file: "f.csv")
        }
    }

    @Test func readsFileAndReportsUnreadableFile() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedreport-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("metrics.csv")
        try "round,loss\n1,0.5\n".write(to: file, atomically: true, encoding: .utf8)
        let table = try MetricsTable(contentsOf: file)
        #expect(table.rows == [[1, 0.5]])

        let missing = directory.appendingPathComponent("absent.csv")
        do {
            _ = try MetricsTable(contentsOf: missing)
            Issue.record("expected an error")
        } catch {
            guard case let .unreadable(name, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(name.hasSuffix("absent.csv"))
        }

        let bad = directory.appendingPathComponent("bad.csv")
        try Data("a,b\n1,2\n3,x\n".utf8).write(to: bad)
        #expect(throws: ReportError.malformedCSV(
            file: bad.path, line: 3, reason: "cell 'x' in column 'b' is not a number")) {
            try MetricsTable(contentsOf: bad)
        }
    }
}
