import FedTransport
import Testing

@Suite("Poller and library facts")
struct PollerTests {
    @Test("Poller reports only the readable socket")
    func pollerFindsReadableSocket() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let quiet = try context.makeSocket(.router)
        defer { quiet.close() }
        let busy = try context.makeSocket(.router)
        defer { busy.close() }
        try quiet.bind(uniqueInprocEndpoint())
        let busyEndpoint = uniqueInprocEndpoint()
        try busy.bind(busyEndpoint)

        #expect(try Poller.waitReadable([quiet, busy], timeoutMilliseconds: 20).isEmpty)

        let dealer = try context.makeSocket(.dealer)
        defer { dealer.close() }
        try dealer.connect(busyEndpoint)
        try dealer.send([[42]])
        #expect(try Poller.waitReadable([quiet, busy], timeoutMilliseconds: 10_000) == [1])
        let message = try #require(try busy.receive(timeoutMilliseconds: 0))
        #expect(message.last == [42])
    }

    @Test("Polling a closed socket throws")
    func pollClosedSocket() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let socket = try context.makeSocket(.dealer)
        socket.close()
        #expect(throws: TransportError.self) { try Poller.waitReadable([socket], timeoutMilliseconds: 0) }
    }

    @Test("libzmq is version 4 with ipc support")
    func libraryFacts() {
        #expect(ZMQ.has("ipc"))
        #expect(ZMQ.version.major == 4)
    }

    @Test("Errors describe themselves")
    func errorDescription() {
        let error = TransportError(operation: "send", code: 11, message: "Resource temporarily unavailable")
        #expect(error.description.contains("send"))
        #expect(error.description.contains("Resource temporarily unavailable"))
    }
}
