import FedCore
import Foundation

extension NamedTensor {
    /// The tensor as shape + dtype + raw little-endian Float32 bytes.
    public func wireTensor() -> Fedsim_V1_Tensor {
        var tensor = Fedsim_V1_Tensor()
        tensor.name = name
        tensor.shape = shape.map(Int64.init)
        tensor.dtype = .float32
        // Float32 is little-endian on every platform FedSim builds for (x86-64, arm64).
        tensor.data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        if let rowIDs { tensor.rowIds = rowIDs.map { UInt32(bitPattern: $0) } }
        return tensor
    }

    /// Decodes and checks a wire tensor: Float32 dtype, sane shape, byte count matching the shape,
    /// one row id per row when it carries sparse rows, and (if `requireFinite`) no NaN or infinity.
    public init(wire tensor: Fedsim_V1_Tensor, requireFinite: Bool) throws(WireError) {
        guard tensor.dtype == .float32 else {
            throw .badTensor(name: tensor.name, reason: "dtype \(tensor.dtype) is not FLOAT32")
        }
        guard tensor.shape.count <= 8, tensor.shape.allSatisfy({ $0 > 0 && $0 <= Int64(Int32.max) }) else {
            throw .badTensor(name: tensor.name, reason: "invalid shape \(tensor.shape)")
        }
        var count = 1
        for dimension in tensor.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow, product <= 1 << 31 else { throw .badTensor(name: tensor.name, reason: "shape \(tensor.shape) is too large") }
            count = product
        }
        guard tensor.data.count == count * 4 else {
            throw .badTensor(name: tensor.name, reason: "\(tensor.data.count) bytes for shape \(tensor.shape) (needs \(count * 4))")
        }
        var values = [Float](repeating: 0, count: count)
        _ = values.withUnsafeMutableBytes { tensor.data.copyBytes(to: $0) }  // copyBytes is safe for unaligned Data
        if requireFinite, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(name: tensor.name, index: bad)
        }
        var rowIDs: [Int32]?
        if !tensor.rowIds.isEmpty {
            // Ascending order and the table's height are checked against the receiver's layout.
            guard tensor.rowIds.count == tensor.shape.first ?? 0, tensor.rowIds.allSatisfy({ $0 <= UInt32(Int32.max) }) else {
                throw .badTensor(name: tensor.name, reason: "\(tensor.rowIds.count) row ids for shape \(tensor.shape)")
            }
            rowIDs = tensor.rowIds.map { Int32($0) }
        }
        self.init(name: tensor.name, shape: tensor.shape.map { Int($0) }, values: values, rowIDs: rowIDs)
    }
}
