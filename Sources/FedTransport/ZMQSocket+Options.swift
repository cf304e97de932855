import CZeroMQ

extension ZMQSocket {
    /// Sets how long closing the socket may wait to flush unsent messages; 0 discards them, -1 waits forever.
    ///
    /// - Throws: `TransportError` if the socket is closed.
    public func setLinger(milliseconds: Int32) throws(TransportError) {
        try setOption(ZMQ_LINGER, to: milliseconds, operation: "set linger")
    }

    /// Sets the identity this socket presents to ROUTER peers; set it before connecting.
    ///
    /// libzmq requires 1 to 255 bytes not starting with a zero byte.
    /// - Throws: `TransportError` if the identity is invalid or the socket is closed.
    public func setRoutingID(_ id: [UInt8]) throws(TransportError) {
        let operation = "set routing id"
        let socket = try requireHandle(for: operation)
        let status = id.withUnsafeBytes { bytes in
            zmq_setsockopt(socket, ZMQ_ROUTING_ID, bytes.baseAddress, bytes.count)
        }
        guard status == 0 else {
            throw TransportError.last(operation)
        }
    }

    /// Sets the largest inbound message frame accepted, in bytes; -1 means unlimited.
    ///
    /// A peer that sends a larger frame has its connection dropped by libzmq, and the
    /// frame is never delivered. Set it before binding or connecting.
    /// - Throws: `TransportError` if the socket is closed.
    public func setMaxMessageSize(_ bytes: Int64) throws(TransportError) {
        try setOption(ZMQ_MAXMSGSIZE, to: bytes, operation: "set max message size")
    }

    /// Sets how many messages may queue for sending and for receiving before the
    /// socket blocks or drops, depending on its kind; 0 means no limit.
    ///
    /// - Throws: `TransportError` if the socket is closed.
    public func setHighWaterMarks(send: Int32, receive: Int32) throws(TransportError) {
        try setOption(ZMQ_SNDHWM, to: send, operation: "set send high-water mark")
        try setOption(ZMQ_RCVHWM, to: receive, operation: "set receive high-water mark")
    }

    /// For ROUTER sockets: when on, sending to an unknown identity fails with
    /// `EHOSTUNREACH` instead of silently dropping the message.
    ///
    /// - Throws: `TransportError` if the socket is not a ROUTER or is closed.
    public func setRouterMandatory(_ on: Bool) throws(TransportError) {
        try setOption(ZMQ_ROUTER_MANDATORY, to: Int32(on ? 1 : 0), operation: "set router mandatory")
    }

    /// Sets how long `send(_:)` may block before failing with `EAGAIN`; -1 waits forever, 0 never waits.
    ///
    /// - Throws: `TransportError` if the socket is closed.
    public func setSendTimeout(milliseconds: Int32) throws(TransportError) {
        try setOption(ZMQ_SNDTIMEO, to: milliseconds, operation: "set send timeout")
    }

    /// Sets a fixed-size integer option, passing it by address as libzmq expects.
    private func setOption<Value: BitwiseCopyable>(
        _ option: Int32,
        to value: Value,
        operation: String
    ) throws(TransportError) {
        let socket = try requireHandle(for: operation)
        let status = withUnsafeBytes(of: value) { bytes in
            zmq_setsockopt(socket, option, bytes.baseAddress, bytes.count)
        }
        guard status == 0 else {
            throw TransportError.last(operation)
        }
    }
}
