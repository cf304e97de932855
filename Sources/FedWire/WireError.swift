/// Why a received message was rejected. Every case carries enough context for events.jsonl.
public enum WireError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a valid protobuf Envelope.
    case undecodable(reason: String)
    /// The envelope parsed but lacks what its kind requires.
    case missingField(String)
    /// A tensor's dtype, shape or byte count is inconsistent or unexpected.
    case badTensor(name: String, reason: String)
    /// A tensor holds NaN or infinite values where finite values are required.
    case nonFinite(name: String, index: Int)
    /// The message is larger than the configured limit.
    case tooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .undecodable(reason): return "not a valid envelope: \(reason)"
        case let .missingField(field): return "missing field \(field)"
        case let .badTensor(name, reason): return "tensor '\(name)': \(reason)"
        case let .nonFinite(name, index): return "tensor '\(name)' has a non-finite value at index \(index)"
        case let .tooLarge(bytes, limit): return "message of \(bytes) bytes exceeds the limit of \(limit) bytes"
        }
    }

    /// A short stable code for counting rejections by kind.
    public var code: String {
        switch self {
        case .undecodable: return "undecodable"
        case .missingField: return "missing_field"
        case .badTensor: return "bad_tensor"
        case .nonFinite: return "non_finite"
        case .tooLarge: return "too_large"
        }
    }
}
