import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits on several sockets at once.
public enum Poller {
    /// Waits until any socket is readable or the timeout passes; returns the indices of readable sockets (empty on timeout).
    ///
    /// - Parameters:
    ///   - sockets: The sockets to watch; must not be empty. Every socket must be open and
    ///     not in use by another thread for the duration of the call.
    ///   - timeoutMilliseconds: How long to wait: -1 waits forever, 0 checks without waiting.
    /// - Returns: The positions in `sockets` that have a message ready, in ascending order.
    /// - Throws: `TransportError` if a socket is closed or polling fails other than by interruption.
    public static func waitReadable(
        _ sockets: [ZMQSocket],
        timeoutMilliseconds: Int32
    ) throws(TransportError) -> [Int] {
        precondition(!sockets.isEmpty, "Poller.waitReadable needs at least one socket")
        var handles: [UnsafeMutableRawPointer] = []
        handles.reserveCapacity(sockets.count)
        for socket in sockets {
            handles.append(try socket.requireHandle(for: "poll"))
        }
        let deadline = PollDeadline(timeoutMilliseconds: timeoutMilliseconds)
        return try readableIndices(of: handles, until: deadline, operation: "poll")
    }

    /// Polls raw socket handles for input until `deadline`, restarting after signal interruptions.
    ///
    /// Failures are reported under `operation`, so a caller such as `receive` can name itself.
    static func readableIndices(
        of handles: [UnsafeMutableRawPointer],
        until deadline: PollDeadline,
        operation: String
    ) throws(TransportError) -> [Int] {
        let readable = Int16(truncatingIfNeeded: ZMQ_POLLIN)
        var items = handles.map { handle in
            zmq_pollitem_t(socket: handle, fd: 0, events: readable, revents: 0)
        }
        while true {
            let count = zmq_poll(&items, Int32(items.count), deadline.remainingMilliseconds)
            if count >= 0 {
                return items.indices.filter { items[$0].revents & readable != 0 }
            }
            let error = TransportError.last(operation)
            guard error.code == EINTR else {
                throw error
            }
            // Interrupted by a signal: poll again with the time that is left (possibly zero).
        }
    }
}
