import CZeroMQ
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns a zmq context. Thread-safe (zmq contexts are). One per process, or shared by threads for inproc.
///
/// Sockets keep their context alive, so a context that is simply released is terminated
/// only after its last socket has gone. `inproc://` endpoints are visible only to sockets
/// of the same context.
public final class ZMQContext: @unchecked Sendable {
    /// The libzmq context, or `nil` once terminated. Guarded by `lock` so that termination
    /// cannot free the context while another thread is creating a socket from it.
    private var handle: UnsafeMutableRawPointer?
    // NSLock rather than Synchronization.Mutex, which needs macOS 15.
    private let lock = NSLock()

    /// Creates a new libzmq context.
    ///
    /// - Throws: `TransportError` if libzmq cannot create one (for example, out of file descriptors).
    public init() throws(TransportError) {
        guard let context = zmq_ctx_new() else {
            throw TransportError.last("create context")
        }
        handle = context
    }

    deinit {
        terminate()
    }

    /// Creates a socket of `kind` with linger set to 0, so closing it never waits for unsent messages.
    ///
    /// - Throws: `TransportError` if the context is terminated or libzmq refuses the socket
    ///   (for example, when the socket limit is reached).
    public func makeSocket(_ kind: SocketKind) throws(TransportError) -> ZMQSocket {
        let created = try makeRawSocket(kind)
        let socket = ZMQSocket(handle: created, context: self)
        do throws(TransportError) {
            try socket.setLinger(milliseconds: 0)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Creates a libzmq socket while holding the lock, so termination cannot race with it.
    private func makeRawSocket(_ kind: SocketKind) throws(TransportError) -> UnsafeMutableRawPointer {
        let operation = "create socket"
        lock.lock()
        defer { lock.unlock() }
        guard let context = handle else {
            throw TransportError(operation: operation, code: ETERM)
        }
        guard let socket = zmq_socket(context, kind.zmqType) else {
            throw TransportError.last(operation)
        }
        return socket
    }

    /// Terminates the context; call after all sockets are closed. Idempotent.
    ///
    /// This blocks until every socket made from the context has been closed, as
    /// `zmq_ctx_term` does; blocking calls on those sockets in other threads fail with
    /// `ETERM`. Closing sockets first is the caller's duty.
    public func terminate() {
        lock.lock()
        let context = handle
        handle = nil
        lock.unlock()
        guard let context else {
            return
        }
        // zmq_ctx_term may be interrupted by a signal before it finishes; it must be repeated.
        while zmq_ctx_term(context) != 0 && zmq_errno() == EINTR {}
    }
}
