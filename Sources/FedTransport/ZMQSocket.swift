import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A zmq socket. NOT thread-safe: use from one thread at a time (it may be handed to another thread, hence @unchecked Sendable).
///
/// Create sockets with `ZMQContext.makeSocket(_:)`. A socket closes itself when released,
/// but closing it explicitly lets the context terminate without waiting for deallocation.
public final class ZMQSocket: @unchecked Sendable {
    /// The libzmq socket, or `nil` once closed.
    private var handle: UnsafeMutableRawPointer?
    /// Held so the context is never terminated while this socket is still open.
    private let context: ZMQContext

    init(handle: UnsafeMutableRawPointer, context: ZMQContext) {
        self.handle = handle
        self.context = context
    }

    deinit {
        close()
    }

    /// Binds the socket to a local endpoint such as `tcp://127.0.0.1:*` or `inproc://name`.
    ///
    /// - Throws: `TransportError` whose operation names the endpoint, if the endpoint is
    ///   malformed, unsupported or already in use.
    public func bind(_ endpoint: String) throws(TransportError) {
        let operation = "bind \(endpoint)"
        let socket = try requireHandle(for: operation)
        guard zmq_bind(socket, endpoint) == 0 else {
            throw TransportError.last(operation)
        }
    }

    /// Connects the socket to a remote endpoint; the connection itself is made in the background.
    ///
    /// - Throws: `TransportError` whose operation names the endpoint, if the endpoint is malformed or unsupported.
    public func connect(_ endpoint: String) throws(TransportError) {
        let operation = "connect \(endpoint)"
        let socket = try requireHandle(for: operation)
        guard zmq_connect(socket, endpoint) == 0 else {
            throw TransportError.last(operation)
        }
    }

    /// The endpoint most recently bound or connected, with wildcards resolved
    /// (for example, `tcp://127.0.0.1:*` becomes `tcp://127.0.0.1:40123`).
    ///
    /// - Throws: `TransportError` if the socket is closed.
    public func lastEndpoint() throws(TransportError) -> String {
        let operation = "get last endpoint"
        let socket = try requireHandle(for: operation)
        // Endpoints are short; 1 KiB leaves ample room for long ipc paths.
        var buffer = [CChar](repeating: 0, count: 1024)
        var length = buffer.count
        guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &length) == 0 else {
            throw TransportError.last(operation)
        }
        // libzmq includes the terminating NUL in the reported length.
        let bytes = buffer.prefix(max(0, length - 1)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Closes the socket, discarding unsent messages if linger is 0. Idempotent; also called on deinit.
    public func close() {
        guard let socket = handle else {
            return
        }
        handle = nil
        zmq_close(socket)
    }

    /// The open libzmq socket, or an `ENOTSOCK` error naming `operation` if it is closed.
    func requireHandle(for operation: String) throws(TransportError) -> UnsafeMutableRawPointer {
        guard let handle else {
            throw TransportError(operation: operation, code: ENOTSOCK)
        }
        return handle
    }
}
