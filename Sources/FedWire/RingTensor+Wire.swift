import FedCore
import Foundation

extension RingTensor {
    /// The tensor as shape + UINT64 dtype + raw little-endian bytes.
    public func wireTensor() -> Fedsim_V1_Tensor {
        var tensor = Fedsim_V1_Tensor()
        tensor.name = name
        tensor.shape = shape.map(Int64.init)
        tensor.dtype = .uint64
        // UInt64 is little-endian on every platform FedSim builds for (x86-64, arm64).
        tensor.data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        return tensor
    }

    /// Decodes and checks a wire tensor: UINT64 dtype, sane shape, byte count matching the shape, no row ids.
    public init(wire tensor: Fedsim_V1_Tensor) throws(WireError) {
        guard tensor.dtype == .uint64 else { throw .badTensor(name: tensor.name, reason: "dtype \(tensor.dtype) is not UINT64") }
        guard tensor.rowIds.isEmpty else { throw .badTensor(name: tensor.name, reason: "ring tensors carry no row ids") }
        let count = try tensor.checkedElementCount(bytesPerElement: 8, limit: 1 << 30)
        var values = [UInt64](repeating: 0, count: count)
        _ = values.withUnsafeMutableBytes { tensor.data.copyBytes(to: $0) }
        self.init(name: tensor.name, shape: tensor.shape.map { Int($0) }, values: values)
    }
}
