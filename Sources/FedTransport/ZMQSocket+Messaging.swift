import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ZMQSocket {
    /// Sends a multipart message (all frames, atomically as zmq does). Blocks at most the send timeout.
    ///
    /// - Parameter frames: The frames in order; must not be empty, though individual frames may be.
    ///   A ROUTER socket takes the destination identity as the first frame.
    /// - Throws: `TransportError` with `EAGAIN` if the send timeout passes, `EHOSTUNREACH`
    ///   for an unknown identity on a mandatory ROUTER, or any other libzmq failure.
    public func send(_ frames: [[UInt8]]) throws(TransportError) {
        precondition(!frames.isEmpty, "a message needs at least one frame")
        let operation = "send"
        let socket = try requireHandle(for: operation)
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            guard zmq_msg_init_size(message, frame.count) == 0 else {
                throw TransportError.last(operation)
            }
            // After a successful send the message is already empty, so closing is harmless;
            // after a failure it still owns the copy and must be released.
            defer { zmq_msg_close(message) }
            frame.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(start: zmq_msg_data(message), count: source.count)
                    .copyMemory(from: source)
            }
            while zmq_msg_send(message, socket, flags) < 0 {
                let error = TransportError.last(operation)
                guard error.code == EINTR else {
                    throw error
                }
            }
        }
    }

    /// Receives one whole multipart message, waiting at most `timeoutMilliseconds` (-1 = forever, 0 = poll).
    /// Returns nil on timeout. Retries on EINTR.
    ///
    /// - Returns: The frames of the message in order; a ROUTER socket prepends the sender's identity.
    /// - Throws: `TransportError` if the socket is closed, its context is terminated, or libzmq fails.
    public func receive(timeoutMilliseconds: Int32) throws(TransportError) -> [[UInt8]]? {
        let operation = "receive"
        let socket = try requireHandle(for: operation)
        let deadline = PollDeadline(timeoutMilliseconds: timeoutMilliseconds)
        while true {
            let ready = try Poller.readableIndices(of: [socket], until: deadline, operation: operation)
            if ready.isEmpty {
                return nil
            }
            if let frames = try receiveWaitingMessage(from: socket) {
                return frames
            }
            // Readiness can be reported before a whole message is available; wait again if time remains.
            if deadline.hasExpired {
                return nil
            }
        }
    }

    /// Reads the message that is ready on `socket`, or returns `nil` if none is after all.
    private func receiveWaitingMessage(
        from socket: UnsafeMutableRawPointer
    ) throws(TransportError) -> [[UInt8]]? {
        let operation = "receive"
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        var frames: [[UInt8]] = []
        var hasMore = true
        while hasMore {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            // Only the first frame may be missing; the rest of a multipart message arrives with it.
            let flags = frames.isEmpty ? ZMQ_DONTWAIT : 0
            while zmq_msg_recv(message, socket, flags) < 0 {
                let error = TransportError.last(operation)
                if error.code == EINTR {
                    continue
                }
                if error.code == EAGAIN && frames.isEmpty {
                    return nil
                }
                throw error
            }
            let bytes = UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))
            frames.append(Array(bytes))
            hasMore = zmq_msg_more(message) != 0
        }
        return frames
    }
}
