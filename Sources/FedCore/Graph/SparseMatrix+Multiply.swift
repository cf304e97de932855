import Dispatch

extension SparseMatrix {
    /// `out = self · dense` (or `out += self · dense` when `accumulate`), the graph kernel.
    ///
    /// Shapes: `dense` is [columnCount, width] row-major, `out` is [rowCount, width] row-major. Each
    /// output row is the sum of its entries' scaled dense rows, added in ascending column order; rows
    /// are independent, so `threads > 1` splits them into contiguous blocks without changing a bit.
    /// The inner loop is a contiguous scaled add over `width`, which the compiler vectorises.
    ///
    /// - Complexity: O(nonZeroCount · width) multiply-adds; memory traffic is dominated by reading
    ///   one dense row per non-zero.
    public func multiply(_ dense: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>,
                         accumulate: Bool = false, threads: Int = 1) {
        let blocks = max(1, min(threads, rowCount))
        if blocks == 1 {
            multiplyRows(0..<rowCount, dense, width: width, into: out, accumulate: accumulate)
            return
        }
        let dense = SendablePointer(dense), out = SendableMutablePointer(out)
        DispatchQueue.concurrentPerform(iterations: blocks) { block in
            let rows = (rowCount * block / blocks)..<(rowCount * (block + 1) / blocks)
            multiplyRows(rows, dense.pointer, width: width, into: out.pointer, accumulate: accumulate)
        }
    }

    /// `self · dense` into a new array [rowCount, width].
    public func multiply(_ dense: [Float], width: Int, threads: Int = 1) -> [Float] {
        precondition(dense.count == columnCount * width, "dense has \(dense.count) values, not \(columnCount) x \(width)")
        var out = [Float](repeating: 0, count: rowCount * width)
        dense.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                multiply(input.baseAddress!, width: width, into: output.baseAddress!, threads: threads)
            }
        }
        return out
    }

    private func multiplyRows(_ rows: Range<Int>, _ dense: UnsafePointer<Float>, width: Int,
                              into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        rowStarts.withUnsafeBufferPointer { starts in
            columns.withUnsafeBufferPointer { columns in
                values.withUnsafeBufferPointer { values in
                    for row in rows {
                        let target = out + row * width
                        if !accumulate { target.update(repeating: 0, count: width) }
                        for position in starts[row]..<starts[row + 1] {
                            let value = values[position]
                            let source = dense + Int(columns[position]) * width
                            for k in 0..<width { target[k] += value * source[k] }
                        }
                    }
                }
            }
        }
    }
}

/// Pointers handed to the row blocks of a parallel product; each block touches its own rows only.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}

struct SendableMutablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

extension Naive {
    /// Reference for `SparseMatrix.multiply`: every output element summed in Double over the dense form.
    public static func sparseMultiply(_ matrix: SparseMatrix, _ dense: [Float], width: Int) -> [Float] {
        let full = matrix.dense()
        var out = [Float](repeating: 0, count: matrix.rowCount * width)
        for row in 0..<matrix.rowCount {
            for k in 0..<width {
                var sum = 0.0
                for column in 0..<matrix.columnCount { sum += Double(full[row * matrix.columnCount + column]) * Double(dense[column * width + k]) }
                out[row * width + k] = Float(sum)
            }
        }
        return out
    }
}
