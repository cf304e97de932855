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
        let count = try tensor.checkedElementCount(bytesPerElement: 4, limit: 1 << 31)
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

extension Fedsim_V1_Tensor {
    /// The element count of a sane shape (at most 8 positive dimensions, at most `limit` elements)
    /// whose data holds exactly `bytesPerElement` bytes per element; every dtype's decoder checks it.
    func checkedElementCount(bytesPerElement: Int, limit: Int) throws(WireError) -> Int {
        guard shape.count <= 8, shape.allSatisfy({ $0 > 0 && $0 <= Int64(Int32.max) }) else {
            throw .badTensor(name: name, reason: "invalid shape \(shape)")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow, product <= limit else { throw .badTensor(name: name, reason: "shape \(shape) is too large") }
            count = product
        }
        guard data.count == count * bytesPerElement else {
            throw .badTensor(name: name, reason: "\(data.count) bytes for shape \(shape) (needs \(count * bytesPerElement))")
        }
        return count
    }
}
