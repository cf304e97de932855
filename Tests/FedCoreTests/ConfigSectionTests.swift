import FedCore
import Testing

/// A compact description of a node tree for building ``ConfigNode`` values by hand.
private indirect enum Spec {
    case scalar(String, Int, Int)
    case null(Int, Int)
    case list(Int, Int, [Spec])
    case map(Int, Int, [(String, Int, Int, Spec)])
}

private let testFile = "topologies/x.yaml"

private func mark(_ line: Int, _ column: Int) -> SourceMark {
    SourceMark(file: testFile, line: line, column: column)
}

private func build(_ spec: Spec, path: String = "") -> ConfigNode {
    switch spec {
    case let .scalar(text, line, column):
        return ConfigNode(value: .scalar(text), mark: mark(line, column), path: path)
    case let .null(line, column):
        return ConfigNode(value: .null, mark: mark(line, column), path: path)
    case let .list(line, column, items):
        let nodes = items.enumerated().map { build($1, path: ConfigNode.path(path, index: $0)) }
        return ConfigNode(value: .sequence(nodes), mark: mark(line, column), path: path)
    case let .map(line, column, pairs):
        let entries = pairs.map { key, keyLine, keyColumn, value in
            (key: key, keyMark: mark(keyLine, keyColumn), node: build(value, path: ConfigNode.path(path, key: key)))
        }
        return ConfigNode(value: .mapping(entries), mark: mark(line, column), path: path)
    }
}

/// A section over one mapping whose keys sit on consecutive lines from line 1,
/// key at column 1 and value at column 10, as if written `key:     value`.
private func flatSection(_ pairs: [(String, String?)]) throws -> ConfigSection {
    let entries = pairs.enumerated().map { offset, pair -> (String, Int, Int, Spec) in
        let line = offset + 1
        let value: Spec = pair.1.map { .scalar($0, line, 10) } ?? .null(line, 10)
        return (pair.0, line, 1, value)
    }
    return try ConfigSection(build(.map(1, 1, entries)))
}

/// Runs `body` and returns the ``ConfigError`` it throws, or `nil` if it does not throw.
private func configError<T>(_ body: () throws -> T) -> ConfigError? {
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

@Suite struct ConfigSectionTests {
    @Test func readsTypedValues() throws {
        let section = try flatSection([
            ("name", "fedavg"), ("rounds", "1_000"), ("lr", "1e-3"), ("mu", "5"),
            ("seed", "18446744073709551615"), ("secure", "Yes"), ("kind", "star"),
        ])
        #expect(try section.string("name") == "fedavg")
        #expect(try section.int("rounds") == 1000)
        #expect(try section.double("lr") == 0.001)
        #expect(try section.double("mu") == 5)
        #expect(try section.uint64("seed") == UInt64.max)
        #expect(try section.bool("secure"))
        #expect(try section.string("kind", oneOf: ["star", "ring"]) == "star")
        try section.finish()
    }

    @Test func usesDefaultsWhenAbsentOrNull() throws {
        let section = try flatSection([("lr", nil), ("name", nil), ("hidden", nil), ("extra", nil)])
        #expect(try section.double("lr", default: 0.5) == 0.5)
        #expect(try section.string("name", default: "fedavg") == "fedavg")
        #expect(try section.intList("hidden", default: [8]) == [8])
        #expect(try section.int("clients", default: 10) == 10)
        #expect(try section.bool("verbose", default: false) == false)
        #expect(try section.uint64("seed", default: 7) == 7)
        #expect(try section.string("mode", oneOf: ["a", "b"], default: "b") == "b")
        #expect(try section.optionalString("name") == nil)
        #expect(try section.optionalSection("extra") == nil)
        #expect(try section.optionalSection("missing") == nil)
        #expect(section.has("lr") == false)
        try section.finish()
    }

    @Test func intRejectsFractions() throws {
        let section = try flatSection([("a", "1"), ("rounds", "2.5")])
        let error = try #require(configError { try section.int("rounds") })
        #expect(error == ConfigError(mark: mark(2, 10), path: "rounds", message: "expected an integer, got '2.5'"))
        #expect(try section.int("a") == 1)
    }

    @Test func reportsOutOfRangeWithRangeAndValue() throws {
        let section = try flatSection([("clients", "0"), ("lr", "1.5")])
        let intError = try #require(configError { try section.int("clients", range: 1...100) })
        #expect(intError.message == "expected an integer in 1...100, got 0")
        #expect(intError.mark == mark(1, 10))
        let doubleError = try #require(configError { try section.double("lr", range: 0...1) })
        #expect(doubleError.message == "expected a number in 0.0...1.0, got 1.5")
        #expect(doubleError.mark == mark(2, 10))
    }

    @Test func missingRequiredKeyPointsAtSection() throws {
        let root = try ConfigSection(build(.map(1, 1, [
            ("algorithm", 1, 1, .map(2, 3, [("name", 2, 3, .scalar("fedavg", 2, 9))])),
        ])))
        let algorithm = try root.section("algorithm")
        let error = try #require(configError { try algorithm.double("lr") })
        #expect(error == ConfigError(mark: mark(2, 3), path: "algorithm", message: "missing required key 'lr'"))
        #expect(error.description == "topologies/x.yaml:2:3: algorithm: missing required key 'lr'")
    }

    @Test func nullRequiredValuePointsAtKey() throws {
        let section = try flatSection([("a", "1"), ("lr", nil)])
        let error = try #require(configError { try section.double("lr") })
        #expect(error == ConfigError(mark: mark(2, 1), path: "lr", message: "missing value for required key 'lr'"))
    }

    @Test func wrongKindNamesWhatWasFound() throws {
        let section = try ConfigSection(build(.map(1, 1, [
            ("lr", 3, 5, .map(4, 7, [("x", 4, 7, .scalar("1", 4, 10))])),
            ("name", 5, 5, .list(5, 11, [])),
            ("model", 6, 5, .scalar("mlp", 6, 12)),
        ])))
        let number = try #require(configError { try section.double("lr") })
        #expect(number == ConfigError(mark: mark(3, 5), path: "lr", message: "expected a number, got a mapping"))
        let text = try #require(configError { try section.string("name") })
        #expect(text.message == "expected a string, got a list")
        let mapping = try #require(configError { try section.section("model") })
        #expect(mapping == ConfigError(mark: mark(6, 12), path: "model", message: "expected a mapping, got 'mlp'"))
    }

    @Test func readsBooleansInAnyCase() throws {
        let section = try flatSection([("a", "TRUE"), ("b", "no"), ("c", "False"), ("d", "YES"), ("e", "maybe")])
        #expect(try section.bool("a") == true)
        #expect(try section.bool("b") == false)
        #expect(try section.bool("c") == false)
        #expect(try section.bool("d") == true)
        let error = try #require(configError { try section.bool("e") })
        #expect(error.message == "expected a boolean (true/false/yes/no), got 'maybe'")
    }

    @Test func oneOfListsAllowedValuesAndSuggests() throws {
        let section = try flatSection([("name", "fedprx")])
        let error = try #require(configError { try section.string("name", oneOf: ["fedavg", "fedprox"]) })
        #expect(error.message == "expected one of 'fedavg', 'fedprox', got 'fedprx'; did you mean 'fedprox'?")
        #expect(error.mark == mark(1, 10))
    }

    @Test func intListReportsItemPath() throws {
        let root = try ConfigSection(build(.map(1, 1, [
            ("hidden", 1, 1, .list(1, 9, [.scalar("64", 1, 10), .scalar("abc", 1, 14), .scalar("0", 1, 19)])),
            ("sizes", 2, 1, .list(2, 8, [.scalar("4", 2, 9), .scalar("0", 2, 12)])),
        ])))
        let error = try #require(configError { try root.intList("hidden") })
        #expect(error == ConfigError(mark: mark(1, 14), path: "hidden[1]", message: "expected an integer, got 'abc'"))
        let range = try #require(configError { try root.intList("sizes", range: 1...8) })
        #expect(range == ConfigError(
            mark: mark(2, 12), path: "sizes[1]", message: "expected an integer in 1...8, got 0"))
    }

    @Test func finishSuggestsClosestKnownKey() throws {
        let section = try flatSection([("rounds", "3"), ("lerning_rate", "0.1")])
        _ = try section.int("rounds")
        _ = try section.double("learning_rate", default: 0.01)
        _ = try section.bool("shuffle", default: true)
        let error = try #require(configError { try section.finish() })
        #expect(error.mark == mark(2, 1))
        #expect(error.path == "lerning_rate")
        #expect(error.message
            == "unknown key 'lerning_rate'; did you mean 'learning_rate'? known keys: rounds, learning_rate, shuffle")
    }

    @Test func finishWithoutCloseKeyListsKnownKeys() throws {
        let section = try flatSection([("rounds", "3"), ("zzz", "1")])
        _ = try section.int("rounds")
        let error = try #require(configError { try section.finish() })
        #expect(error.message == "unknown key 'zzz'; known keys: rounds")
    }

    @Test func finishChecksOnlyItsOwnKeys() throws {
        let root = try ConfigSection(build(.map(1, 1, [
            ("algorithm", 1, 1, .map(2, 3, [
                ("name", 2, 3, .scalar("fedavg", 2, 9)), ("lr", 3, 3, .scalar("0.1", 3, 7)),
            ])),
        ])))
        let algorithm = try root.section("algorithm")
        _ = try algorithm.string("name")
        try root.finish()
        let error = try #require(configError { try algorithm.finish() })
        #expect(error == ConfigError(
            mark: mark(3, 3), path: "algorithm.lr", message: "unknown key 'lr'; known keys: name"))
        #expect(try root.section("algorithm") === algorithm)
        _ = try algorithm.double("lr")
        try algorithm.finish()
    }

    @Test func rawNodeCountsAsRead() throws {
        let section = try flatSection([("custom", "x")])
        #expect(section.rawNode("custom")?.scalarText == "x")
        #expect(section.rawNode("absent") == nil)
        try section.finish()
    }

    @Test func hasCountsAsRead() throws {
        let section = try flatSection([("dp", "on"), ("n", nil)])
        #expect(section.has("dp"))
        #expect(section.has("n") == false)
        #expect(section.has("absent") == false)
        try section.finish()
    }

    @Test func rejectsDuplicateKeysAtSecondOccurrence() throws {
        let node = build(.map(1, 1, [
            ("lr", 1, 1, .scalar("1", 1, 5)),
            ("x", 2, 1, .null(2, 3)),
            ("lr", 3, 1, .scalar("2", 3, 5)),
        ]))
        let error = try #require(configError { try ConfigSection(node) })
        #expect(error == ConfigError(
            mark: mark(3, 1), path: "lr", message: "duplicate key 'lr' (first defined at line 1)"))
    }

    @Test func rejectsNonMappings() throws {
        let error = try #require(configError { try ConfigSection(build(.list(4, 2, []), path: "workload")) })
        #expect(error.description == "topologies/x.yaml:4:2: workload: expected a mapping, got a list")
    }

    @Test func customErrorsPointAtKeyOrSection() throws {
        let section = try flatSection([("a", "1"), ("b", "2")])
        #expect(section.error("b", "conflicts with a") == ConfigError(
            mark: mark(2, 1), path: "b", message: "conflicts with a"))
        #expect(section.error("c", "needed") == ConfigError(mark: mark(1, 1), path: "c", message: "needed"))
        #expect(section.error(nil, "bad") == ConfigError(mark: mark(1, 1), path: "", message: "bad"))
    }

    @Test func descriptionFollowsCompilerStyle() {
        let error = ConfigError(mark: mark(7, 5), path: "algorithm.lr", message: "expected a number, got 'abc'")
        #expect(error.description == "topologies/x.yaml:7:5: algorithm.lr: expected a number, got 'abc'")
        let noPath = ConfigError(mark: mark(2, 1), path: "", message: "oops")
        #expect(noPath.description == "topologies/x.yaml:2:1: oops")
    }
}
