import Foundation
import SwiftProtobuf

/// Serialises envelopes and parses received bytes, enforcing the size limit first.
public enum EnvelopeCodec {
    /// Wire protocol version carried in Join.
    public static let protocolVersion: UInt32 = 1

    /// The envelope's bytes.
    public static func encode(_ envelope: Fedsim_V1_Envelope) -> [UInt8] {
        // Serialising a fully initialised proto3 message cannot fail; an error here is a bug.
        guard let bytes: [UInt8] = try? envelope.serializedBytes() else {
            preconditionFailure("protobuf serialisation of an Envelope failed")
        }
        return bytes
    }

    /// Parses `bytes`, rejecting messages over `limit` bytes and bytes that are not an Envelope.
    public static func decode(_ bytes: [UInt8], limit: Int) throws(WireError) -> Fedsim_V1_Envelope {
        guard bytes.count <= limit else { throw .tooLarge(bytes: bytes.count, limit: limit) }
        do {
            return try Fedsim_V1_Envelope(serializedBytes: bytes)
        } catch {
            throw .undecodable(reason: "\(error)")
        }
    }
}
