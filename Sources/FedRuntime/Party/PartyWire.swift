import FedCore
import FedSecure
import FedWire

/// How the party protocol's messages travel (envelope phase names and tensor names), shared by the
/// coordinator (as dealer) and the workers (as parties). Party-to-party frames are `ShareMessage`s
/// on the direct channel; only dealer requests, progress reports and results reach the coordinator.
enum PartyWire {
    /// Coordinator → party: its 256-bit dealer key (P1 derives all its material from it).
    static let keyPhase = "dealer_key"
    /// P0 → coordinator: a material request; coordinator → P0: the correlated words.
    static let dealerPhase = "dealer"
    /// Party → coordinator: a phase finished (tree, level, rounds, bytes).
    static let progressPhase = "progress"
    /// Party → coordinator: training and prediction done (party 0 adds its test metrics).
    static let resultPhase = "result"

    static func keyTensor(_ key: ChaCha20Stream.Key) -> Fedsim_V1_Tensor {
        let words = (0..<4).map { UInt64(key.words[2 * $0]) | UInt64(key.words[2 * $0 + 1]) << 32 }
        return RingTensor(name: "key", shape: [4], values: words).wireTensor()
    }

    static func key(from tensors: [Fedsim_V1_Tensor]) throws -> ChaCha20Stream.Key {
        guard tensors.count == 1 else { throw PartyProtocolError.refused(reason: "dealer key message without exactly one tensor") }
        let ring = try RingTensor(wire: tensors[0])
        guard ring.name == "key", ring.values.count == 4 else { throw PartyProtocolError.refused(reason: "dealer key is not 4 words") }
        return ChaCha20Stream.Key(words: ring.values.flatMap { [UInt32(truncatingIfNeeded: $0), UInt32(truncatingIfNeeded: $0 >> 32)] })
    }

    /// A share frame as a `ShareMessage`: the tag and purpose in `step`, the words as a ring tensor.
    static func shareMessage(_ frame: ShareFrame, from: Int, to: Int) -> Fedsim_V1_ShareMessage {
        var message = Fedsim_V1_ShareMessage()
        message.fromParty = UInt32(from)
        message.toParty = UInt32(to)
        message.step = "\(frame.tag.tree)/\(frame.tag.level)/\(frame.tag.step)/\(frame.purpose.rawValue)"
        // An empty frame (nothing to send this step) carries no tensor.
        message.tensors = frame.words.isEmpty ? [] : [RingTensor(name: "words", shape: [frame.words.count], values: frame.words).wireTensor()]
        return message
    }

    static func frame(_ message: Fedsim_V1_ShareMessage, expectedFrom: Int, to: Int) throws -> ShareFrame {
        let fallback = ShareTag(tree: -1, level: -1, step: -1)
        guard Int(message.fromParty) == expectedFrom, Int(message.toParty) == to else {
            throw PartyProtocolError.unexpectedFrame(expected: fallback, reason: "share message from party \(message.fromParty) to \(message.toParty)")
        }
        let parts = message.step.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, let tree = Int(parts[0]), let level = Int(parts[1]), let step = Int(parts[2]),
              let purpose = OpenPurpose(rawValue: String(parts[3])) else {
            throw PartyProtocolError.unexpectedFrame(expected: fallback, reason: "malformed step '\(message.step.prefix(80))'")
        }
        guard message.tensors.count <= 1 else {
            throw PartyProtocolError.unexpectedFrame(expected: fallback, reason: "share message with \(message.tensors.count) tensors")
        }
        var words = [UInt64]()
        if let tensor = message.tensors.first {
            do { words = try RingTensor(wire: tensor).values } catch {
                throw PartyProtocolError.unexpectedFrame(expected: fallback, reason: "share tensor: \(error)")
            }
        }
        return ShareFrame(tag: ShareTag(tree: tree, level: level, step: step), purpose: purpose, words: words)
    }
}
