import FedTransport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("ROUTER/DEALER messaging")
struct RoundTripTests {
    @Test("Round trip keeps identity and frames byte-exact", arguments: ["inproc", "tcp"])
    func roundTrip(transport: String) throws {
        let dealerID: [UInt8] = Array("client-7".utf8)
        let pair = try RouterDealerPair(transport: transport, dealerID: dealerID)
        defer { pair.tearDown() }
        let large = patternedBytes(count: 1 << 20)
        let empty: [UInt8] = []

        try pair.dealer.send([large, empty])
        let request = try #require(try pair.router.receive(timeoutMilliseconds: 10_000))
        try #require(request.count == 3)
        #expect(request[0] == dealerID)
        #expect(request[1] == large)
        #expect(request[2] == empty)

        try pair.router.send([dealerID, request[1], request[2]])
        let reply = try #require(try pair.dealer.receive(timeoutMilliseconds: 10_000))
        #expect(reply.count == 2)
        #expect(reply.first == large)
        #expect(reply.last == empty)
    }

    @Test("Several single-frame messages arrive in order")
    func ordering() throws {
        let pair = try RouterDealerPair(transport: "inproc", dealerID: [1])
        defer { pair.tearDown() }
        for value in UInt8(0)..<20 {
            try pair.dealer.send([[value]])
        }
        for value in UInt8(0)..<20 {
            let message = try #require(try pair.router.receive(timeoutMilliseconds: 5_000))
            #expect(message == [[1], [value]])
        }
    }

    @Test("Receive returns nil when nothing arrives", arguments: [Int32(50), 0])
    func receiveTimesOut(timeout: Int32) throws {
        let pair = try RouterDealerPair(transport: "inproc", dealerID: [9])
        defer { pair.tearDown() }
        #expect(try pair.router.receive(timeoutMilliseconds: timeout) == nil)
        #expect(try pair.dealer.receive(timeoutMilliseconds: timeout) == nil)
    }

    @Test("Mandatory ROUTER rejects unknown identities")
    func routerMandatory() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let router = try context.makeSocket(.router)
        defer { router.close() }
        try router.setRouterMandatory(true)
        try router.bind(uniqueInprocEndpoint())

        let error = #expect(throws: TransportError.self) {
            try router.send([Array("nobody".utf8), [1, 2, 3]])
        }
        #expect(error?.code == EHOSTUNREACH)
        #expect(error?.operation == "send")
    }

    @Test("Send with a timeout and no peer fails with EAGAIN")
    func sendTimeout() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        // A DEALER with no peer has nowhere to queue, so a bounded send must give up.
        let dealer = try context.makeSocket(.dealer)
        defer { dealer.close() }
        try dealer.setSendTimeout(milliseconds: 10)
        let error = #expect(throws: TransportError.self) {
            try dealer.send([[1]])
        }
        #expect(error?.code == EAGAIN)
    }
}
