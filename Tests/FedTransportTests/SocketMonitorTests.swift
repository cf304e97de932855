import FedTransport
import Foundation
import Testing

@Suite struct SocketMonitorTests {
    /// Reads events until one of `kind` arrives or 2 s pass.
    func awaitEvent(_ kind: SocketEvent.Kind, on monitor: SocketMonitor) throws -> SocketEvent? {
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if let event = try monitor.next(timeoutMilliseconds: 50), event.kind == kind { return event }
        }
        return nil
    }

    @Test func router_reportsAcceptedThenDisconnected_forATcpPeer() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        let monitor = try SocketMonitor(monitoring: router, context: context)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        let dealer = try context.makeSocket(.dealer)
        try dealer.connect(endpoint)
        try dealer.send([[1, 2, 3]])
        #expect(try router.receive(timeoutMilliseconds: 2000) != nil)
        #expect(try awaitEvent(.accepted, on: monitor) != nil)
        dealer.close()
        let gone = try awaitEvent(.disconnected, on: monitor)
        #expect(gone?.address.hasPrefix("tcp://127.0.0.1:") == true)
        monitor.close()
        router.close()
        context.terminate()
    }

    @Test func router_withMaxMessageSize_dropsTheOffendingPeer_andReportsIt() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        try router.setMaxMessageSize(1024)
        let monitor = try SocketMonitor(monitoring: router, context: context)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try context.makeSocket(.dealer)
        try dealer.connect(try router.lastEndpoint())
        #expect(try awaitEvent(.accepted, on: monitor) != nil)
        try dealer.send([[UInt8](repeating: 9, count: 8192)])
        #expect(try awaitEvent(.disconnected, on: monitor) != nil)
        #expect(try router.receive(timeoutMilliseconds: 50) == nil)
        dealer.close()
        monitor.close()
        router.close()
        context.terminate()
    }
}
