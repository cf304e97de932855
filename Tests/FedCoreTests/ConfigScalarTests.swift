import Testing
@testable import FedCore

@Suite struct ConfigScalarTests {
    @Test(arguments: [
        ("5", 5), ("-12", -12), ("+7", 7), ("1_000", 1000), ("0x1F", 31), ("0o17", 15), ("1e3", 1000),
        ("4.0", 4), ("-9223372036854775808", Int.min), ("9223372036854775807", Int.max),
    ])
    func integers(text: String, expected: Int) {
        #expect(ConfigScalar.integer(text) == expected)
    }

    @Test(arguments: ["2.5", "abc", "", "1e-3", "--1", "+-1", "9223372036854775808", ".inf", "0x"])
    func nonIntegers(text: String) {
        #expect(ConfigScalar.integer(text) == nil)
    }

    @Test(arguments: [
        ("0.05", 0.05), ("1e-3", 0.001), ("5", 5.0), ("-2.5E2", -250.0), (".5", 0.5), ("-.inf", -Double.infinity),
    ])
    func numbers(text: String, expected: Double) {
        #expect(ConfigScalar.number(text) == expected)
    }

    @Test(arguments: ["inf", "nan", "0x1p3", "1.2.3", "e5", "abc", ""])
    func nonNumbers(text: String) {
        #expect(ConfigScalar.number(text) == nil)
    }

    @Test func unsignedIntegers() {
        #expect(ConfigScalar.unsignedInteger("18446744073709551615") == UInt64.max)
        #expect(ConfigScalar.unsignedInteger("42") == 42)
        #expect(ConfigScalar.unsignedInteger("-1") == nil)
        #expect(ConfigScalar.unsignedInteger("18446744073709551616") == nil)
    }

    @Test func suggestions() {
        let keys = ["learning_rate", "rounds", "clients_per_round", "lr"]
        #expect(ConfigScalar.closest(to: "lerning_rate", among: keys) == "learning_rate")
        #expect(ConfigScalar.closest(to: "rouns", among: keys) == "rounds")
        #expect(ConfigScalar.closest(to: "LR", among: keys) == "lr")
        #expect(ConfigScalar.closest(to: "rl", among: keys) == "lr")
        #expect(ConfigScalar.closest(to: "topology", among: keys) == nil)
    }
}
