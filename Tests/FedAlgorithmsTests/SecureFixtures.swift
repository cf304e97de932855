import FedAlgorithms
import FedSecure
import FedCore
import FedModels

/// Two secure-XGB parties on two threads with an in-memory link and a dealer in this process, keyed
/// from a seed (reproducible, not secret: tests only).
enum SecureFixtures {
    struct Outcome<T> {
        let results: [T]
        let engines: [SecureEngine]
    }

    static func engines(seed: UInt64, links: (InMemoryPartyLink, InMemoryPartyLink)) -> [SecureEngine] {
        let keys = DealerKeys.seeded(seed)
        return (0..<2).map { party in
            let material = PartyMaterial(party: party, key: keys.key(party: party), corrections: party == 0 ? LocalDealer(keys: keys) : nil)
            return SecureEngine(party: party, link: party == 0 ? links.0 : links.1, material: material,
                                maskKey: .seeded(seed, label: 100 + UInt64(party)), transcript: Transcript())
        }
    }

    /// Runs `body` as both parties; throws the first party's error.
    static func run<T: Sendable>(seed: UInt64 = 1, timeoutSeconds: Double = 60,
                                 _ body: @escaping @Sendable (SecureEngine) throws -> T) throws -> Outcome<T> {
        let links = InMemoryPartyLink.pair(timeoutSeconds: timeoutSeconds)
        let engines = Box(engines(seed: seed, links: links))
        let results = runBothParties(links: links) { party, _ in try body(engines.value[party]) }
        return Outcome(results: try results.map { try $0.get() }, engines: engines.value)
    }

    /// Additive shares of `values` (party 0 gets x − r, party 1 gets r) from a seeded stream.
    static func split(_ values: [UInt64], seed: UInt64) -> [[UInt64]] {
        var rng = RNGStream(seed: seed, purpose: .custom, client: 77)
        let masks = values.map { _ in rng.next() }
        return [zip(values, masks).map { $0 &- $1 }, masks]
    }

    /// XOR shares of packed bits.
    static func splitBits(_ words: [UInt64], seed: UInt64) -> [[UInt64]] {
        var rng = RNGStream(seed: seed, purpose: .custom, client: 78)
        let masks = words.map { _ in rng.next() }
        return [zip(words, masks).map { $0 ^ $1 }, masks]
    }

    static func reconstruct(_ shares: [[UInt64]]) -> [UInt64] { zip(shares[0], shares[1]).map { $0 &+ $1 } }
}

/// Hands a non-Sendable value to the party threads (each thread touches only its own element).
final class Box<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
