import FedCore

/// The gossip average Mix(v)_i = Σ_j w_ij v_j, shared by every host of peers (in memory or over
/// the transport) so the sum runs the same way everywhere: in Double, over the contributions in
/// ascending node order (the peer's own included at its place), rounded to Float once at the end.
public enum PeerMixing {
    /// One node's contribution: its id, its weight w_ij, the tensors it sent.
    public struct Contribution: Sendable {
        public let node: Int
        public let weight: Double
        public let tensors: [NamedTensor]
        public init(node: Int, weight: Double, tensors: [NamedTensor]) {
            self.node = node
            self.weight = weight
            self.tensors = tensors
        }
    }

    /// The mix of `contributions` (own and neighbours'), tensor by tensor, in the order and with the
    /// names and shapes of the first contribution.
    ///
    /// - Throws: `AlgorithmError` when contributions disagree on names or sizes (a neighbour sent
    ///   something else than this peer expects).
    public static func mix(_ contributions: [Contribution]) throws(AlgorithmError) -> [NamedTensor] {
        let ordered = contributions.sorted { $0.node < $1.node }
        guard let template = ordered.first?.tensors else { return [] }
        var result = [NamedTensor]()
        result.reserveCapacity(template.count)
        for (index, tensor) in template.enumerated() {
            var sum = [Double](repeating: 0, count: tensor.values.count)
            for contribution in ordered {
                guard index < contribution.tensors.count, contribution.tensors[index].name == tensor.name,
                      contribution.tensors[index].values.count == sum.count else {
                    throw AlgorithmError("node \(contribution.node) sent tensors that do not match '\(tensor.name)' [\(sum.count)]")
                }
                let w = contribution.weight
                contribution.tensors[index].values.withUnsafeBufferPointer { v in
                    for k in 0..<sum.count { sum[k] += w * Double(v[k]) }
                }
            }
            result.append(NamedTensor(name: tensor.name, shape: tensor.shape, values: sum.map { Float($0) }))
        }
        return result
    }
}
