import FedCore
import Testing

@Suite struct ConfigOverrideTests {
    static let mark = SourceMark(file: "t.yaml", line: 1, column: 1)

    static func mapping(_ entries: [(String, ConfigNode)], path: String = "") -> ConfigNode {
        ConfigNode(value: .mapping(entries.map { (key: $0.0, keyMark: mark, node: $0.1) }), mark: mark, path: path)
    }

    static func scalar(_ text: String, path: String) -> ConfigNode { ConfigNode(value: .scalar(text), mark: mark, path: path) }

    static let root = mapping([
        ("name", scalar("a", path: "name")),
        ("federation", mapping([("clients", scalar("10", path: "federation.clients"))], path: "federation")),
    ])

    @Test func setting_replacesAnExistingScalar_andKeepsTheRest() throws {
        let changed = try Self.root.setting("federation.clients", to: "20")
        let federation = try #require(try ConfigSection(changed).optionalSection("federation"))
        #expect(try federation.int("clients") == 20)
        #expect(try ConfigSection(changed).string("name") == "a")
    }

    @Test func setting_insertsMissingKeysAndMappings_withTheirPaths() throws {
        let changed = try Self.root.setting("workload.model.kind", to: "mlp")
        let model = try #require(try ConfigSection(changed).optionalSection("workload")?.optionalSection("model"))
        #expect(try model.string("kind") == "mlp")
        #expect(model.rawNode("kind")?.path == "workload.model.kind")
    }

    @Test func setting_insideAScalar_orWithAnEmptyKey_fails() {
        #expect(throws: ConfigError.self) { try Self.root.setting("name.first", to: "x") }
        #expect(throws: ConfigError.self) { try Self.root.setting("federation..clients", to: "x") }
    }

    @Test func removing_dropsOnlyThatKey() throws {
        let without = Self.root.removing("name")
        #expect(try ConfigSection(without).optionalString("name") == nil)
        #expect(try ConfigSection(without).optionalSection("federation") != nil)
    }
}

@Suite struct ConfigOverrideListTests {
    @Test func aFlowListOverride_becomesAList() throws {
        let root = ConfigOverrideTests.mapping([])
        let changed = try root.setting("model.hidden", to: " [16,  8] ")
        #expect(try ConfigSection(changed).section("model").intList("hidden", default: [], range: 1...100) == [16, 8])
        let empty = try root.setting("model.hidden", to: "[]")
        #expect(try ConfigSection(empty).section("model").intList("hidden", default: [1], range: 1...100) == [])
        // Anything else stays one scalar.
        let text = try root.setting("model.kind", to: "gcn [x]")
        #expect(try ConfigSection(text).section("model").string("kind") == "gcn [x]")
    }
}
