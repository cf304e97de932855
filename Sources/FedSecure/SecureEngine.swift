import FedCore

/// Every frame one party sent or received, with its purpose: the hook the leakage audit reads
/// (spec §2.6 test 6). One per party; not shared between threads.
public final class Transcript {
    public struct Entry: Sendable, Equatable {
        public let tag: ShareTag
        public let purpose: OpenPurpose
        public let sent: Bool
        public let count: Int
        /// Set bits over all words (the audit's uniformity check).
        public let onesCount: Int
    }
    public private(set) var entries = [Entry]()
    public init() {}
    /// Records a frame by hand (audit tests).
    public func recordForAudit(_ frame: ShareFrame, sent: Bool) { record(frame, sent: sent) }

    func record(_ frame: ShareFrame, sent: Bool) {
        let ones = frame.words.reduce(0) { $0 + $1.nonzeroBitCount }
        entries.append(Entry(tag: frame.tag, purpose: frame.purpose, sent: sent, count: frame.words.count, onesCount: ones))
    }
}

/// One computing party's side of the two-party protocol over Z_2^64 (spec §2.4): its frames to the
/// other party, its dealer material, and the primitives built on them. Every primitive works on a
/// whole batch; both parties call the same primitives in the same order, which keeps frame tags and
/// dealer request indices in step.
///
/// Shares are `[UInt64]`; packed bit shares hold 64 bits per word. A party's own input masks come
/// from `maskStream` (ChaCha20 under the party's private key).
public final class SecureEngine {
    public let party: Int
    let link: PartyLink
    let material: PartyMaterial
    var maskStream: ChaCha20Stream
    public let transcript: Transcript?
    /// The tree and level the next frames belong to; `step` counts exchanges within them.
    public private(set) var tag = ShareTag(tree: -1, level: -1, step: 0)
    public private(set) var rounds = 0
    public private(set) var wordsSent = 0
    public private(set) var andGates = 0

    public init(party: Int, link: PartyLink, material: PartyMaterial, maskKey: ChaCha20Stream.Key, transcript: Transcript? = nil) {
        precondition(party == 0 || party == 1, "two computing parties")
        self.party = party
        self.link = link
        self.material = material
        self.maskStream = ChaCha20Stream(key: maskKey, use: 0, kind: 0x4D41_534B)
        self.transcript = transcript
    }

    /// Moves to (tree, level); frame steps restart at 0.
    public func enter(tree: Int, level: Int) { tag = ShareTag(tree: tree, level: level, step: 0) }

    var isLeader: Bool { party == 0 }

    // MARK: frames

    /// Sends `mine` (nil: nothing this step) and receives the other party's `expecting` words (nil:
    /// nothing); one step, one round.
    @discardableResult
    func exchange(_ mine: [UInt64]?, expecting count: Int?, purpose: OpenPurpose) throws -> [UInt64] {
        let current = tag
        tag.step += 1
        rounds += 1
        if let mine {
            let frame = ShareFrame(tag: current, purpose: purpose, words: mine)
            transcript?.record(frame, sent: true)
            wordsSent += mine.count
            try link.send(frame)
        }
        guard let count else { return [] }
        let frame: ShareFrame
        do { frame = try link.receive() } catch let PartyProtocolError.unexpectedFrame(_, reason) {
            throw PartyProtocolError.unexpectedFrame(expected: current, reason: reason)
        } catch let PartyProtocolError.silent(party, seconds, _) {
            throw PartyProtocolError.silent(party: party, waitedSeconds: seconds, expected: current)
        }
        guard frame.tag == current else {
            throw PartyProtocolError.unexpectedFrame(expected: current, reason: "frame is for \(frame.tag)")
        }
        guard frame.purpose == purpose else {
            throw PartyProtocolError.unexpectedFrame(expected: current, reason: "frame carries \(frame.purpose.rawValue), expected \(purpose.rawValue)")
        }
        guard frame.words.count == count else {
            throw PartyProtocolError.unexpectedFrame(expected: current, reason: "\(frame.words.count) words, expected \(count)")
        }
        transcript?.record(frame, sent: false)
        return frame.words
    }

    /// Opens an arithmetic sharing to both parties.
    public func open(_ share: [UInt64], purpose: OpenPurpose) throws -> [UInt64] {
        let theirs = try exchange(share, expecting: share.count, purpose: purpose)
        return zip(share, theirs).map { $0 &+ $1 }
    }

    /// Opens a packed boolean sharing to both parties.
    func openBits(_ share: [UInt64], purpose: OpenPurpose) throws -> [UInt64] {
        let theirs = try exchange(share, expecting: share.count, purpose: purpose)
        return zip(share, theirs).map { $0 ^ $1 }
    }

    /// Opens to `receiver` only: the other party sends its share; the receiver gets the values.
    func open(_ share: [UInt64], to receiver: Int, purpose: OpenPurpose) throws -> [UInt64]? {
        if party == receiver {
            let theirs = try exchange(nil, expecting: share.count, purpose: purpose)
            return zip(share, theirs).map { $0 &+ $1 }
        }
        try exchange(share, expecting: nil, purpose: purpose)
        return nil
    }

    /// Both parties input values in one step: each sends the masks r of its own values (keeping
    /// x − r) and receives the masks of the other's. Returns (shares of mine, shares of theirs).
    public func inputBoth(_ mine: [UInt64], theirCount: Int) throws -> (mine: [UInt64], theirs: [UInt64]) {
        let masks = maskStream.words(mine.count)
        let theirs = try exchange(masks, expecting: theirCount, purpose: .inputShare)
        return (zip(mine, masks).map { $0 &- $1 }, theirs)
    }

    /// A public value as a sharing: P0 holds it, P1 holds zeros.
    func constant(_ values: [UInt64]) -> [UInt64] { isLeader ? values : [UInt64](repeating: 0, count: values.count) }
    public func constant(_ value: UInt64, count: Int) -> [UInt64] { [UInt64](repeating: isLeader ? value : 0, count: count) }

    // MARK: multiplication

    /// Element-wise product of two sharings (Beaver). No truncation: callers truncate products of
    /// two fixed-point values with `truncate(_:by:)`.
    public func multiply(_ x: [UInt64], _ y: [UInt64]) throws -> [UInt64] {
        precondition(x.count == y.count, "multiply: \(x.count) vs \(y.count) values")
        let n = x.count
        if n == 0 { return [] }
        let triple = try material.take(.beaver(count: n))
        var masked = [UInt64](repeating: 0, count: 2 * n)
        for i in 0..<n {
            masked[i] = x[i] &- triple[i]
            masked[n + i] = y[i] &- triple[n + i]
        }
        let opened = try open(masked, purpose: .beaverMasked)
        return (0..<n).map { i in
            RingArithmetic.multiplyShare(party: party, a: triple[i], b: triple[n + i], c: triple[2 * n + i], d: opened[i], e: opened[n + i])
        }
    }

    /// AND of packed bit sharings, 64 gates per word.
    public func and(_ u: [UInt64], _ v: [UInt64]) throws -> [UInt64] {
        precondition(u.count == v.count, "and: \(u.count) vs \(v.count) words")
        let w = u.count
        if w == 0 { return [] }
        let triple = try material.take(.and(words: w))
        andGates += 64 * w
        var masked = [UInt64](repeating: 0, count: 2 * w)
        for i in 0..<w {
            masked[i] = u[i] ^ triple[i]
            masked[w + i] = v[i] ^ triple[w + i]
        }
        let opened = try openBits(masked, purpose: .andMasked)
        return (0..<w).map { i in
            RingArithmetic.andShare(party: party, alpha: triple[i], beta: triple[w + i], gamma: triple[2 * w + i], d: opened[i], e: opened[w + i])
        }
    }

    /// Packed boolean sharing → arithmetic sharing of each of the 64·words bits (0 or 1, unscaled).
    public func bitsToArithmetic(_ bits: [UInt64]) throws -> [UInt64] {
        let count = 64 * bits.count
        if count == 0 { return [] }
        let conversion = try material.take(.bitConversion(count: count))
        let masked = (0..<bits.count).map { bits[$0] ^ conversion[$0] }
        let opened = try openBits(masked, purpose: .bitConversionMasked)
        return (0..<count).map { i in
            let e = (opened[i / 64] >> UInt64(i % 64)) & 1
            return RingArithmetic.bitToArithmeticShare(party: party, opened: e, rho: conversion[bits.count + i])
        }
    }
}
