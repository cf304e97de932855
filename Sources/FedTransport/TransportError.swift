import CZeroMQ

/// A failed ZeroMQ operation, carrying the library's error number and text.
public struct TransportError: Error, Equatable, CustomStringConvertible {
    /// What was being attempted, such as `"bind tcp://127.0.0.1:*"` or `"send"`.
    public let operation: String
    /// The error number reported by `zmq_errno()`.
    public let code: Int32
    /// The human-readable text for `code`, as given by `zmq_strerror`.
    public let message: String

    /// Creates an error from its parts.
    ///
    /// Mainly useful for test doubles; the transport itself builds errors from `zmq_errno()`.
    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    /// Creates an error for `code`, looking up its text in libzmq.
    init(operation: String, code: Int32) {
        self.init(operation: operation, code: code, message: Self.text(for: code))
    }

    /// A textual summary naming the operation, the reason and the error number.
    public var description: String {
        "\(operation) failed: \(message) (errno \(code))"
    }

    /// Captures the calling thread's current ZeroMQ error for `operation`.
    static func last(_ operation: String) -> TransportError {
        TransportError(operation: operation, code: zmq_errno())
    }

    private static func text(for code: Int32) -> String {
        guard let text = zmq_strerror(code) else {
            return "unknown error"
        }
        return String(cString: text)
    }
}
