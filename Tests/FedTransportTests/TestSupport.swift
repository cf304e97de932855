import FedTransport

/// A context with a bound ROUTER and a connected DEALER, torn down in the right order.
struct RouterDealerPair {
    let context: ZMQContext
    let router: ZMQSocket
    let dealer: ZMQSocket
    let endpoint: String

    /// Binds a ROUTER on a fresh endpoint of `transport` ("inproc" or "tcp") and connects a DEALER with `dealerID`.
    init(transport: String, dealerID: [UInt8]) throws {
        context = try ZMQContext()
        router = try context.makeSocket(.router)
        try router.bind(transport == "tcp" ? "tcp://127.0.0.1:*" : uniqueInprocEndpoint())
        endpoint = try router.lastEndpoint()
        dealer = try context.makeSocket(.dealer)
        try dealer.setRoutingID(dealerID)
        try dealer.connect(endpoint)
    }

    func tearDown() {
        dealer.close()
        router.close()
        context.terminate()
    }
}

/// An inproc endpoint no other test uses, since tests run in parallel.
func uniqueInprocEndpoint() -> String {
    "inproc://fedtransport-test-\(UInt64.random(in: .min ... .max))"
}

/// Bytes with a repeating, position-dependent pattern so misordered copies are caught.
func patternedBytes(count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }
}
