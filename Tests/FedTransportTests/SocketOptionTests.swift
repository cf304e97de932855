import FedTransport
import Testing

@Suite("Socket set-up")
struct SocketOptionTests {
    @Test("lastEndpoint resolves the wildcard port")
    func lastEndpointResolvesPort() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let router = try context.makeSocket(.router)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = try #require(Int(endpoint.split(separator: ":").last ?? ""))
        #expect(port > 0 && port < 65_536)
    }

    @Test("Bad endpoints throw errors naming them", arguments: ["tcp://nonsense:abc", "foo://x"])
    func badEndpoint(endpoint: String) throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let socket = try context.makeSocket(.dealer)
        defer { socket.close() }

        let bindError = #expect(throws: TransportError.self) { try socket.bind(endpoint) }
        #expect(bindError?.operation == "bind \(endpoint)")
        #expect(bindError?.message.isEmpty == false)
        #expect(bindError?.code != 0)

        let connectError = #expect(throws: TransportError.self) { try socket.connect(endpoint) }
        #expect(connectError?.operation == "connect \(endpoint)")
        #expect(connectError?.message.isEmpty == false)
    }

    @Test("Oversized messages are dropped with their connection; others still arrive")
    func maxMessageSize() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let router = try context.makeSocket(.router)
        defer { router.close() }
        try router.setMaxMessageSize(1024)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()

        let offender = try context.makeSocket(.dealer)
        defer { offender.close() }
        try offender.setRoutingID(Array("big".utf8))
        try offender.connect(endpoint)
        try offender.send([patternedBytes(count: 4096)])
        #expect(try router.receive(timeoutMilliseconds: 300) == nil)

        let polite = try context.makeSocket(.dealer)
        defer { polite.close() }
        try polite.setRoutingID(Array("small".utf8))
        try polite.connect(endpoint)
        let payload = patternedBytes(count: 100)
        try polite.send([payload])
        let message = try #require(try router.receive(timeoutMilliseconds: 10_000))
        #expect(message == [Array("small".utf8), payload])
    }

    @Test("Options are accepted on an open socket")
    func optionsAccepted() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let router = try context.makeSocket(.router)
        defer { router.close() }
        try router.setLinger(milliseconds: 100)
        try router.setHighWaterMarks(send: 10, receive: 20)
        try router.setSendTimeout(milliseconds: 5)
        try router.setMaxMessageSize(-1)
        try router.setRouterMandatory(false)
    }

    @Test("Closed sockets refuse work and close is idempotent")
    func closedSocket() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let socket = try context.makeSocket(.pair)
        socket.close()
        socket.close()
        #expect(throws: TransportError.self) { try socket.bind(uniqueInprocEndpoint()) }
        #expect(throws: TransportError.self) { try socket.send([[1]]) }
        #expect(throws: TransportError.self) { try socket.receive(timeoutMilliseconds: 0) }
        #expect(throws: TransportError.self) { try socket.setLinger(milliseconds: 0) }
    }

    @Test("Terminate is idempotent and later sockets are refused")
    func terminateTwice() throws {
        let context = try ZMQContext()
        context.terminate()
        context.terminate()
        let error = #expect(throws: TransportError.self) { try context.makeSocket(.req) }
        #expect(error?.operation == "create socket")
    }

    @Test("Every socket kind can be created")
    func allKinds() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        for kind in [SocketKind.router, .dealer, .pair, .req, .rep, .pub, .sub] {
            let socket = try context.makeSocket(kind)
            socket.close()
        }
    }
}
