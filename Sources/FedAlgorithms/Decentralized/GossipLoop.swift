import FedCore

/// One gossiped iteration v_i ← Mix(v)_i − a·d_i, plain or with gradient tracking (optimization
/// spec §4.1), split across `prepare` (before the exchange) and `advance` (after it).
///
/// Untracked, d_i is the local direction q_i(v_i) and only v travels. Tracked, v and its tracker
/// s travel together in one message and
///
///     v_i ← Mix(v)_i − a·s_i,     s_i ← Mix(s)_i + q_i(v_i^new) − q_i^prev,
///
/// with s_i = q_i(v_i) at the very first step. The tracker's update needs q at the new point, so it
/// is finished lazily: `advance` keeps Mix(s), and the next `prepare`, which evaluates q at the new
/// v anyway, adds q − q^prev (in Double, rounded once); no oracle call is spent on a q nobody uses.
/// Because W is doubly stochastic, the network mean of s equals the mean of q after every step (up
/// to rounding).
///
/// The tracker persists across outer iterations: the first step of the next inner loop adds
/// q(v; x^new) − q^prev(x^old), which carries the change of x into s. spec: reconstructed — spec
/// §4.1 initialises s once; restarting it (s = q) at each inner loop, `restart` here, re-seeds the
/// nodes' disagreement with their local directions every iteration, so exact consensus on y*(x) is
/// no longer a fixed point and the heterogeneity bias comes back (measured on the §4.6 quadratic).
///
/// State keys for a vector stored under `key` are listed in `PeerStateKeys`.
struct GossipLoop {
    /// Where v lives in the peer's state; also the name of the gossiped tensor.
    let key: String
    /// The tensor shape (e.g. [p, q] for a matrix), for the message.
    let shape: [Int]
    let tracked: Bool

    /// Records the local direction q for this step and returns what the peer gossips: v, then s if tracked.
    ///
    /// - Parameter restart: start the tracker afresh (s = q) even if one exists; it starts afresh
    ///   anyway at the first step, when the state holds no Mix(s) yet. Ignored when untracked.
    func prepare(direction q: [Float], restart: Bool, state: inout PeerState) throws(AlgorithmError) -> [NamedTensor] {
        let v = try PeerBilevel.vector(state, key, count: q.count)
        guard tracked else {
            state[PeerStateKeys.direction(of: key)] = q
            return [NamedTensor(name: key, shape: shape, values: v)]
        }
        let mixedKey = PeerStateKeys.mixedTracker(of: key), previousKey = PeerStateKeys.trackedDirection(of: key)
        var s = q
        if !restart, state[mixedKey] != nil {
            let mixed = try PeerBilevel.vector(state, mixedKey, count: q.count)
            let previous = try PeerBilevel.vector(state, previousKey, count: q.count)
            s = (0..<q.count).map { Float(Double(mixed[$0]) + Double(q[$0]) - Double(previous[$0])) }
        }
        state[PeerStateKeys.tracker(of: key)] = s
        state[previousKey] = q
        return [NamedTensor(name: key, shape: shape, values: v),
                NamedTensor(name: PeerStateKeys.tracker(of: key), shape: shape, values: s)]
    }

    /// v ← Mix(v) − rate·(s or d); keeps Mix(s) for the next `prepare`.
    func advance(rate: Float, mixed: [NamedTensor], state: inout PeerState) throws(AlgorithmError) {
        guard mixed.count == (tracked ? 2 : 1), mixed[0].name == key else {
            throw AlgorithmError("step on '\(key)' received mixes \(mixed.map(\.name))")
        }
        let count = mixed[0].values.count
        let d = try PeerBilevel.vector(state, tracked ? PeerStateKeys.tracker(of: key) : PeerStateKeys.direction(of: key), count: count)
        state[key] = PeerBilevel.step(mixed[0].values, rate: rate, along: d)
        if tracked { state[PeerStateKeys.mixedTracker(of: key)] = mixed[1].values }
    }
}
