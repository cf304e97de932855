import FedCore
#if canImport(Glibc)
import Glibc
#endif

/// ChaCha20 (RFC 8439) as a stream of 64-bit words: the generator of the secure-XGB dealer's
/// correlated randomness and of each party's input masks.
///
/// A stream is the keystream of one (key, nonce) pair; the nonce names the use (purpose, request,
/// kind), so the same key serves many independent streams. With a secret key from the system's
/// random source this is a cryptographic generator; with a key derived from the public run seed
/// (`seeded`) the material is reproducible but offers no secrecy, which is acceptable only in
/// tests and for debugging, and the key source says so.
public struct ChaCha20Stream: RandomNumberGenerator, Sendable {
    /// A 256-bit key as eight little-endian 32-bit words.
    public struct Key: Sendable, Equatable {
        public let words: [UInt32]

        public init(words: [UInt32]) {
            precondition(words.count == 8, "a ChaCha20 key has 8 words")
            self.words = words
        }

        /// A key drawn from the operating system's random source (`/dev/urandom`).
        public static func system() throws -> Key {
            var bytes = [UInt8](repeating: 0, count: 32)
            guard let file = fopen("/dev/urandom", "rb") else { throw SystemRandomError() }
            defer { fclose(file) }
            let filled = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, 32, file) }
            guard filled == 32 else { throw SystemRandomError() }
            return Key(words: (0..<8).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[4 * i + $1]) << (8 * $1) } })
        }

        /// A key derived from a seed and a label: reproducible, not secret (tests and debugging only).
        public static func seeded(_ seed: UInt64, label: UInt64) -> Key {
            var stream = RNGStream(seed: seed, purpose: .custom, client: 0x5EC0_DEA1, round: label)
            return Key(words: (0..<8).map { _ in UInt32(truncatingIfNeeded: stream.next()) })
        }
    }

    public struct SystemRandomError: Error, CustomStringConvertible {
        public var description: String { "the system random source did not return 32 bytes" }
    }

    /// Key words k0…k7, nonce n0…n2 and the next block counter.
    private let key: [UInt32]
    private let nonce: (UInt32, UInt32, UInt32)
    private var counter: UInt32 = 0
    private var buffer = [UInt64](repeating: 0, count: 8)
    private var used = 8

    /// The keystream for `key` and the 96-bit nonce (n0, n1, n2), starting at block counter 0.
    public init(key: Key, nonce: (UInt32, UInt32, UInt32)) {
        self.key = key.words
        self.nonce = nonce
    }

    /// A stream named by a 64-bit use and a 32-bit kind (the nonce).
    public init(key: Key, use: UInt64, kind: UInt32) {
        self.init(key: key, nonce: (kind, UInt32(truncatingIfNeeded: use), UInt32(truncatingIfNeeded: use >> 32)))
    }

    /// The 16 keystream words of block `counter` (RFC 8439 §2.3), written to `out` as 8 UInt64
    /// (word 2i in the low half of out[i]).
    @inline(__always)
    static func block(key k: UnsafeBufferPointer<UInt32>, counter: UInt32, nonce: (UInt32, UInt32, UInt32), into out: UnsafeMutablePointer<UInt64>) {
        let i0: UInt32 = 0x6170_7865, i1: UInt32 = 0x3320_646E, i2: UInt32 = 0x7962_2D32, i3: UInt32 = 0x6B20_6574
        var x0 = i0, x1 = i1, x2 = i2, x3 = i3
        var x4 = k[0], x5 = k[1], x6 = k[2], x7 = k[3], x8 = k[4], x9 = k[5], x10 = k[6], x11 = k[7]
        var x12 = counter, x13 = nonce.0, x14 = nonce.1, x15 = nonce.2
        @inline(__always) func rotl(_ v: UInt32, _ n: UInt32) -> UInt32 { (v << n) | (v >> (32 - n)) }
        @inline(__always) func quarter(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
            a &+= b; d ^= a; d = rotl(d, 16)
            c &+= d; b ^= c; b = rotl(b, 12)
            a &+= b; d ^= a; d = rotl(d, 8)
            c &+= d; b ^= c; b = rotl(b, 7)
        }
        for _ in 0..<10 {
            quarter(&x0, &x4, &x8, &x12); quarter(&x1, &x5, &x9, &x13)
            quarter(&x2, &x6, &x10, &x14); quarter(&x3, &x7, &x11, &x15)
            quarter(&x0, &x5, &x10, &x15); quarter(&x1, &x6, &x11, &x12)
            quarter(&x2, &x7, &x8, &x13); quarter(&x3, &x4, &x9, &x14)
        }
        @inline(__always) func pair(_ lo: UInt32, _ hi: UInt32) -> UInt64 { UInt64(lo) | UInt64(hi) << 32 }
        out[0] = pair(x0 &+ i0, x1 &+ i1); out[1] = pair(x2 &+ i2, x3 &+ i3)
        out[2] = pair(x4 &+ k[0], x5 &+ k[1]); out[3] = pair(x6 &+ k[2], x7 &+ k[3])
        out[4] = pair(x8 &+ k[4], x9 &+ k[5]); out[5] = pair(x10 &+ k[6], x11 &+ k[7])
        out[6] = pair(x12 &+ counter, x13 &+ nonce.0); out[7] = pair(x14 &+ nonce.1, x15 &+ nonce.2)
    }

    /// Block `counter` of the keystream as 16 words (RFC 8439 §2.3.2's test vector checks it).
    public static func keystreamBlock(key: Key, counter: UInt32, nonce: (UInt32, UInt32, UInt32)) -> [UInt32] {
        var out = [UInt64](repeating: 0, count: 8)
        key.words.withUnsafeBufferPointer { k in out.withUnsafeMutableBufferPointer { block(key: k, counter: counter, nonce: nonce, into: $0.baseAddress!) } }
        return out.flatMap { [UInt32(truncatingIfNeeded: $0), UInt32(truncatingIfNeeded: $0 >> 32)] }
    }

    /// The next 64 bits: two keystream words, little-endian.
    public mutating func next() -> UInt64 {
        if used == 8 {
            let (c, n) = (counter, nonce)
            key.withUnsafeBufferPointer { k in buffer.withUnsafeMutableBufferPointer { Self.block(key: k, counter: c, nonce: n, into: $0.baseAddress!) } }
            counter &+= 1
            used = 0
        }
        used += 1
        return buffer[used - 1]
    }

    /// The next `count` words, whole blocks at a time.
    public mutating func words(_ count: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count)
        var filled = 0
        while filled < count, used < 8 { out[filled] = next(); filled += 1 }
        let wholeBlocks = (count - filled) / 8
        if wholeBlocks > 0 {
            let (start, n) = (counter, nonce)
            key.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    for b in 0..<wholeBlocks {
                        Self.block(key: k, counter: start &+ UInt32(truncatingIfNeeded: b), nonce: n, into: o.baseAddress! + filled + 8 * b)
                    }
                }
            }
            counter &+= UInt32(truncatingIfNeeded: wholeBlocks)
            filled += 8 * wholeBlocks
        }
        while filled < count { out[filled] = next(); filled += 1 }
        return out
    }
}
