import CZeroMQ

/// The ZeroMQ socket patterns the transport supports.
public enum SocketKind: Sendable {
    /// Routes messages to peers by identity; prefixes each received message with the sender's identity.
    case router
    /// Load-balances outgoing messages and fair-queues incoming ones, without envelopes.
    case dealer
    /// An exclusive one-to-one connection.
    case pair
    /// The requesting side of a strict request/reply exchange.
    case req
    /// The replying side of a strict request/reply exchange.
    case rep
    /// Publishes messages to all subscribers.
    case pub
    /// Receives messages from publishers, filtered by subscription.
    case sub

    /// The libzmq socket type constant for this kind.
    var zmqType: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        }
    }
}
