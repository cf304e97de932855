import FedCore
import FedRuntime
import Foundation
import Testing

private let file = "topologies/x.yaml"

private func section(_ yaml: String) throws -> ConfigSection {
    try ConfigSection(YAMLConfigLoader.parse(yaml, file: file))
}

private func failure<T>(_ body: () throws -> T) -> ConfigError? {
    do {
        _ = try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)")
        return nil
    }
}

private func at(_ line: Int, _ column: Int) -> SourceMark {
    SourceMark(file: file, line: line, column: column)
}

@Suite struct YAMLConfigLoaderTests {
    @Test func readsBlockAndFlowStyles() throws {
        let root = try section("""
            algorithm: {name: fedavg, lr: 0.1}
            rounds: 5
            workload:
              model:
                hidden: [64, 32]
                dropout: 5e-2
              sizes:
                - 1
                - 2
            secure: yes
            seed: 42
            """)
        let algorithm = try root.section("algorithm")
        #expect(try algorithm.string("name", oneOf: ["fedavg", "fedprox"]) == "fedavg")
        #expect(try algorithm.double("lr") == 0.1)
        #expect(try root.int("rounds", range: 1...10) == 5)
        let workload = try root.section("workload")
        let model = try workload.section("model")
        #expect(try model.intList("hidden") == [64, 32])
        #expect(try model.double("dropout") == 0.05)
        #expect(try workload.intList("sizes") == [1, 2])
        #expect(try root.bool("secure"))
        #expect(try root.uint64("seed") == 42)
        for finished in [algorithm, model, workload, root] {
            try finished.finish()
        }
    }

    @Test func marksAreOneBasedWithKeyPaths() throws {
        let node = try YAMLConfigLoader.parse("a: 1\nworkload:\n  model:\n    hidden: [64, 32]\n", file: file)
        guard case .mapping(let top) = node.value, case .mapping(let workload) = top[1].node.value,
              case .mapping(let model) = workload[0].node.value, case .sequence(let hidden) = model[0].node.value
        else {
            Issue.record("unexpected shape: \(node)")
            return
        }
        #expect(top[0].keyMark == at(1, 1))
        #expect(top[0].node.mark == at(1, 4))
        #expect(workload[0].keyMark == at(3, 3))
        #expect(model[0].keyMark == at(4, 5))
        #expect(hidden[1].mark == at(4, 18))
        #expect(hidden[1].path == "workload.model.hidden[1]")
        #expect(hidden[1].scalarText == "32")
    }

    @Test func wrongTypeHasExactPositionAndDescription() throws {
        let root = try section("""
            rounds: 3
            algorithm:
              name: fedavg


              lr: abc
            """)
        let error = try #require(failure { try root.section("algorithm").double("lr") })
        #expect(error == ConfigError(mark: at(6, 7), path: "algorithm.lr", message: "expected a number, got 'abc'"))
        #expect(error.description == "topologies/x.yaml:6:7: algorithm.lr: expected a number, got 'abc'")
    }

    @Test func mappingWhereNumberExpectedPointsAtKey() throws {
        let root = try section("lr:\n  value: 1\n")
        let error = try #require(failure { try root.double("lr") })
        #expect(error == ConfigError(mark: at(1, 1), path: "lr", message: "expected a number, got a mapping"))
    }

    @Test func outOfRangeInFlowMapping() throws {
        let root = try section("algorithm: {name: fedavg, lr: 1.5}\n")
        let error = try #require(failure { try root.section("algorithm").double("lr", range: 0...1) })
        #expect(error == ConfigError(
            mark: at(1, 31), path: "algorithm.lr", message: "expected a number in 0.0...1.0, got 1.5"))
    }

    @Test func intRejectsFraction() throws {
        let root = try section("clients: 2.5\n")
        let error = try #require(failure { try root.int("clients") })
        #expect(error.description == "topologies/x.yaml:1:10: clients: expected an integer, got '2.5'")
    }

    @Test func listItemErrorNamesItsPath() throws {
        let root = try section("workload:\n  model:\n    hidden: [64, abc]\n")
        let model = try root.section("workload").section("model")
        let error = try #require(failure { try model.intList("hidden") })
        #expect(error == ConfigError(
            mark: at(3, 18), path: "workload.model.hidden[1]", message: "expected an integer, got 'abc'"))
    }

    @Test func missingRequiredKeyPointsAtSection() throws {
        let root = try section("rounds: 3\nalgorithm:\n  name: fedavg\n")
        let error = try #require(failure { try root.section("algorithm").double("lr") })
        #expect(error == ConfigError(mark: at(3, 3), path: "algorithm", message: "missing required key 'lr'"))
        let top = try #require(failure { try root.section("workload") })
        #expect(top.description == "topologies/x.yaml:1:1: missing required key 'workload'")
    }

    @Test func unknownKeySuggestsClosest() throws {
        let root = try section("rounds: 3\ntraining:\n  epochs: 1\n  lerning_rate: 0.1\n")
        _ = try root.int("rounds")
        let training = try root.section("training")
        _ = try training.int("epochs")
        _ = try training.double("learning_rate", default: 0.01)
        try root.finish()
        let error = try #require(failure { try training.finish() })
        #expect(error.description == "topologies/x.yaml:4:3: training.lerning_rate: "
            + "unknown key 'lerning_rate'; did you mean 'learning_rate'? known keys: epochs, learning_rate")
    }

    @Test func defaultsApplyToNullTildeAndEmpty() throws {
        let root = try section("a: null\nb: ~\nc:\nd: '~'\n")
        #expect(try root.int("a", default: 1) == 1)
        #expect(try root.double("b", default: 2) == 2)
        #expect(try root.string("c", default: "x") == "x")
        #expect(try root.string("d", default: "x") == "~")
        #expect(try root.bool("e", default: true))
        try root.finish()
    }

    @Test func duplicateKeyPointsAtSecondOccurrence() throws {
        let error = try #require(failure { try YAMLConfigLoader.parse("lr: 1\nrounds: 2\nlr: 3\n", file: file) })
        #expect(error == ConfigError(
            mark: at(3, 1), path: "lr", message: "duplicate key 'lr' (first defined at line 1)"))
    }

    @Test func duplicateKeyInNestedFlowMapping() throws {
        let yaml = "x: 1\nalgorithm:\n  opts: {lr: 1, 'lr': 2}\n"
        let error = try #require(failure { try YAMLConfigLoader.parse(yaml, file: file) })
        #expect(error == ConfigError(
            mark: at(3, 17), path: "algorithm.opts.lr", message: "duplicate key 'lr' (first defined at line 3)"))
    }

    @Test func duplicateKeyRepeatedThreeTimes() throws {
        let yaml = "items:\n  - b: 1\n    a: 1\n    a: 2\n    b: 3\n    a: 4\n"
        let error = try #require(failure { try YAMLConfigLoader.parse(yaml, file: file) })
        #expect(error == ConfigError(
            mark: at(4, 5), path: "items[0].a", message: "duplicate key 'a' (first defined at line 3)"))
    }

    @Test func syntaxErrorHasPosition() throws {
        let error = try #require(failure { try YAMLConfigLoader.parse("a: 1\nb: [1, 2\nc: 3\n", file: file) })
        #expect(error.mark.file == file)
        #expect(error.mark.line == 3)
        #expect(error.mark.column == 2)
        #expect(error.path.isEmpty)
        #expect(error.message.hasPrefix("YAML syntax error: "))
    }

    @Test func badIndentationIsSyntaxError() throws {
        let error = try #require(failure { try YAMLConfigLoader.parse("a:\n  b: 1\n c: 2\n", file: file) })
        #expect(error.mark == at(3, 2))
        #expect(error.message.hasPrefix("YAML syntax error: "))
    }

    @Test func secondDocumentIsRejected() throws {
        let error = try #require(failure { try YAMLConfigLoader.parse("a: 1\n---\nb: 2\n", file: file) })
        #expect(error.mark == at(2, 1))
        #expect(error.message == "YAML syntax error: expected a single document in the stream at line 1, column 1, "
            + "but found another document")
    }

    @Test func controlCharacterIsReportedWhereItIs() throws {
        let error = try #require(failure { try YAMLConfigLoader.parse("a: 1\nb: x\u{1}\n", file: file) })
        #expect(error.mark == at(2, 5))
        #expect(error.message == "unreadable YAML input: control characters are not allowed")
    }

    @Test func emptyDocumentIsNull() throws {
        let node = try YAMLConfigLoader.parse("", file: file)
        #expect(node.isNull)
        let error = try #require(failure { try ConfigSection(node) })
        #expect(error.message == "expected a mapping, got null")
    }

    @Test func aliasesReadAsTheirTarget() throws {
        let root = try section("base: &b {lr: 0.5}\ncopy: *b\n")
        #expect(try root.section("copy").double("lr") == 0.5)
        _ = try root.section("base").double("lr")
        try root.finish()
    }

    @Test func loadsFileAndNamesItInMarks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("t.yaml").path
        try "rounds: many\n".write(toFile: path, atomically: true, encoding: .utf8)
        let root = try ConfigSection(YAMLConfigLoader.load(contentsOf: path))
        let error = try #require(failure { try root.int("rounds") })
        #expect(error.description == "\(path):1:9: rounds: expected an integer, got 'many'")
    }

    @Test func unreadableFileReportsReason() throws {
        let path = "/nonexistent/fedsim/topology.yaml"
        let error = try #require(failure { try YAMLConfigLoader.load(contentsOf: path) })
        #expect(error == ConfigError(
            mark: SourceMark(file: path, line: 0, column: 0), path: "",
            message: "cannot read file: No such file or directory"))
    }
}
