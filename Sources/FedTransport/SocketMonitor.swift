import CZeroMQ
import Foundation

/// A connection-level event of a monitored socket (a peer connected, went away, failed its handshake).
public struct SocketEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: Sendable, Equatable {
        case accepted, connected, disconnected, closed, handshakeFailed, other(UInt16)
    }

    public let kind: Kind
    /// The libzmq event value (a file descriptor or an error number, depending on the event).
    public let value: Int32
    /// The endpoint the event concerns.
    public let address: String
}

/// Receives the connection events of one socket (libzmq's socket monitor over an inproc PAIR).
///
/// Connection events are the only way to see what libzmq does on its own, such as dropping a peer
/// that sent a message over `ZMQ_MAXMSGSIZE` before the application ever sees the message.
public final class SocketMonitor: @unchecked Sendable {
    /// The PAIR socket the events arrive on (poll it beside the monitored socket).
    public let socket: ZMQSocket

    /// Starts monitoring `monitored` for accepted, connected, disconnected, closed and failed-handshake events.
    public init(monitoring monitored: ZMQSocket, context: ZMQContext) throws(TransportError) {
        let endpoint = "inproc://fedsim-monitor-\(UUID().uuidString)"
        let events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED
            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        let handle = try monitored.requireHandle(for: "monitor")
        guard zmq_socket_monitor(handle, endpoint, Int32(events)) == 0 else { throw TransportError.last("monitor \(endpoint)") }
        socket = try context.makeSocket(.pair)
        try socket.connect(endpoint)
    }

    /// The next event, waiting at most `timeoutMilliseconds`; nil on time-out.
    public func next(timeoutMilliseconds: Int32) throws(TransportError) -> SocketEvent? {
        guard let frames = try socket.receive(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return Self.decode(frames)
    }

    /// Parses a monitor message: a 6-byte frame (UInt16 event, Int32 value, native byte order), then the address.
    static func decode(_ frames: [[UInt8]]) -> SocketEvent? {
        guard frames.count >= 2, frames[0].count >= 6 else { return nil }
        let header = frames[0]
        let event = UInt16(header[0]) | UInt16(header[1]) << 8
        let value = Int32(bitPattern: UInt32(header[2]) | UInt32(header[3]) << 8 | UInt32(header[4]) << 16 | UInt32(header[5]) << 24)
        let kind: SocketEvent.Kind
        switch Int32(event) {
        case ZMQ_EVENT_ACCEPTED: kind = .accepted
        case ZMQ_EVENT_CONNECTED: kind = .connected
        case ZMQ_EVENT_DISCONNECTED: kind = .disconnected
        case ZMQ_EVENT_CLOSED: kind = .closed
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            kind = .handshakeFailed
        default: kind = .other(event)
        }
        return SocketEvent(kind: kind, value: value, address: String(decoding: frames[1], as: UTF8.self))
    }

    public func close() { socket.close() }
}
