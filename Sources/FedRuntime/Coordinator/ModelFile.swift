import FedCore
import Foundation

/// The on-disk format of saved models and checkpoints.
///
/// Layout: the 8 magic bytes `FEDSIMM1`, a little-endian UInt32 header length, a JSON header
/// (`{"algorithm", "round", "tensors": [{"name", "shape", "offset"}]}`), then the flat Float32
/// parameters, little-endian. NumPy reads it with `np.frombuffer(data[12 + n:], "<f4")`.
public enum ModelFile {
    static let magic = Array("FEDSIMM1".utf8)

    /// What a model file holds.
    public struct Contents: Equatable {
        public var algorithm: String
        public var round: Int
        public var layout: ParameterLayout
        public var parameters: [Float]
        /// Checkpoints only: the metrics row of `round` (see `Coordinator.resumePoint`).
        public var rowMetrics: [String: Double] = [:]
    }

    /// Errors reading a model file.
    public struct FormatError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "not a FedSim model file: \(reason)" }
    }

    public static func encode(parameters: [Float], layout: ParameterLayout, round: Int, algorithm: String,
                              rowMetrics: [String: Double] = [:]) -> Data {
        let json = Array(headerJSON(layout: layout, round: round, algorithm: algorithm, rowMetrics: rowMetrics).utf8)
        var data = Data(capacity: 12 + json.count + parameters.count * 4)
        data.append(contentsOf: magic)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: json)
        parameters.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// The header as compact JSON with sorted keys, written directly: these files are written after
    /// every round (and private state after every task), and a generic serialiser costs more than
    /// copying the parameters. Metric values are stored as shortest round-trip text (JSON numbers may
    /// lose the last bit); JSON has no NaN, so non-finite values are left out and read back as absent.
    static func headerJSON(layout: ParameterLayout, round: Int, algorithm: String, rowMetrics: [String: Double]) -> String {
        let tensors = layout.entries.map { entry in
            "{\"name\":\(quoted(entry.name)),\"offset\":\(entry.offset),\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))]}"
        }
        var fields = ["\"algorithm\":\(quoted(algorithm))"]
        let finite = rowMetrics.filter { $0.value.isFinite }
        if !finite.isEmpty {
            fields.append("\"metrics\":{" + finite.keys.sorted().map { "\(quoted($0)):\(quoted("\(finite[$0]!)"))" }.joined(separator: ",") + "}")
        }
        fields.append("\"round\":\(round)")
        fields.append("\"tensors\":[" + tensors.joined(separator: ",") + "]")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    public static func decode(_ data: Data) throws -> Contents {
        let bytes = [UInt8](data)
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else { throw FormatError(reason: "bad magic") }
        let headerLength = Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard bytes.count >= 12 + headerLength else { throw FormatError(reason: "truncated header") }
        guard let header = try JSONSerialization.jsonObject(with: Data(bytes[12..<(12 + headerLength)])) as? [String: Any],
              let tensors = header["tensors"] as? [[String: Any]] else { throw FormatError(reason: "bad header") }
        let specs = try tensors.map { entry -> (name: String, shape: [Int]) in
            guard let name = entry["name"] as? String, let shape = entry["shape"] as? [Int],
                  !shape.isEmpty, shape.count <= 8, shape.allSatisfy({ $0 > 0 && $0 <= 1 << 31 }) else {
                throw FormatError(reason: "bad tensor entry")
            }
            return (name, shape)
        }
        guard Set(specs.map(\.name)).count == specs.count else { throw FormatError(reason: "duplicate tensor names") }
        var total = 0
        for spec in specs {
            let (product, overflow) = spec.shape.reduce((1, false)) { partial, dimension in
                let (value, over) = partial.0.multipliedReportingOverflow(by: dimension)
                return (value, partial.1 || over)
            }
            guard !overflow, product <= 1 << 31 else { throw FormatError(reason: "tensor \(spec.name) is too large") }
            total += product
        }
        guard total <= bytes.count else { throw FormatError(reason: "layout larger than the file") }
        let layout = ParameterLayout(specs)
        let body = bytes[(12 + headerLength)...]
        guard body.count == layout.totalCount * 4 else {
            throw FormatError(reason: "\(body.count) parameter bytes, layout needs \(layout.totalCount * 4)")
        }
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        _ = parameters.withUnsafeMutableBytes { body.copyBytes(to: $0) }
        return Contents(algorithm: header["algorithm"] as? String ?? "", round: header["round"] as? Int ?? 0,
                        layout: layout, parameters: parameters, rowMetrics: (header["metrics"] as? [String: String] ?? [:]).compactMapValues(Double.init))
    }
}
