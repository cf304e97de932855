/// A named tensor of ring elements (Z_2^64 as `UInt64`, DESIGN §10 integer tensors): secret shares
/// and bit-packed boolean shares travel as their own dtype and never pass through floating point.
public struct RingTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [UInt64]

    public init(name: String, shape: [Int], values: [UInt64]) {
        precondition(shape.reduce(1, *) == values.count, "ring tensor \(name): shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.name = name
        self.shape = shape
        self.values = values
    }
}
