import FedCore
import Foundation

/// Data for vertically partitioned runs (party mode): the same rows at every party, each party
/// holding some feature columns; party 0 also holds the labels. Rows are already aligned by a shared
/// row order: record linkage (PSI) is out of scope. Each party's process reads the data source and
/// keeps only its own columns (and party 1 drops the labels at once).
///
/// ```yaml
/// workload:
///   dataset: {name: breast_cancer, test_fraction: 0.2}     # or synthetic_regression, vertical_csv
///   partition: {kind: vertical, party0: "0-14", party1: "15-29"}
/// ```
public struct VerticalSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The bundled Wisconsin breast-cancer table (569 × 30, binary label).
        case breastCancer(path: String?)
        /// Regression rows with labels in [−1, 1] from both halves of the columns (seeded).
        case syntheticRegression(rows: Int, features: Int)
        /// A CSV with a header row; the last column is the label.
        case csv(path: String)
    }

    public var source: Source
    public var testFraction: Double
    /// Column selections per party as written ("0-14", "mean_radius,mean_texture", "0-4,7").
    public var columnText: [String]

    public static let datasetNames = ["breast_cancer", "synthetic_regression", "vertical_csv"]

    public init(source: Source, testFraction: Double, columnText: [String]) {
        self.source = source
        self.testFraction = testFraction
        self.columnText = columnText
    }

    /// Fills a `WorkloadSpec`'s data set in a party run, whose data this spec describes instead.
    public static let datasetStandIn = DatasetSpec(name: "vertical", path: nil, testFraction: 0.2, syntheticTrain: 0, syntheticTest: 0,
                                                   syntheticDimension: 1, syntheticClasses: 2, syntheticCentreStd: 0)

    /// Decodes `workload:` of a party run.
    public static func decode(_ section: ConfigSection) throws(ConfigError) -> VerticalSpec {
        let dataset = try section.section("dataset")
        let name = try dataset.string("name", oneOf: datasetNames)
        let source: Source
        switch name {
        case "breast_cancer": source = .breastCancer(path: try dataset.optionalString("path"))
        case "synthetic_regression":
            source = .syntheticRegression(rows: try dataset.int("rows", default: 4096, range: 16...1_000_000),
                                          features: try dataset.int("features", default: 20, range: 2...10_000))
        default:
            guard let path = try dataset.optionalString("path") else { throw dataset.error("path", "vertical_csv needs a path") }
            source = .csv(path: path)
        }
        let testFraction = try dataset.double("test_fraction", default: 0.2, range: 0...0.9)
        try dataset.finish()
        let partition = try section.section("partition")
        _ = try partition.string("kind", oneOf: ["vertical"])
        let columns = [try partition.string("party0"), try partition.string("party1")]
        try partition.finish()
        try section.finish()
        return VerticalSpec(source: source, testFraction: testFraction, columnText: columns)
    }
}

/// One party's rows: its columns of the training and test rows, and (party 0) the labels.
public struct VerticalPartyData: Sendable {
    public let party: Int
    /// Column indices this party holds, in the source's numbering.
    public let columns: [Int]
    /// [trainRows, columns.count] row-major.
    public let train: [Float]
    public let test: [Float]
    /// Party 0 only (nil at party 1).
    public let trainLabels: [Double]?
    public let testLabels: [Double]?
    public let trainRows: Int
    public let testRows: Int
    /// Every party's column indices (public: the parties agree on the shape before the protocol).
    public let allColumns: [[Int]]
    /// Whether the labels are 0/1 (logistic loss is the natural choice).
    public let binaryLabels: Bool
}

public enum VerticalData {
    struct Table {
        var features: [Float]
        var labels: [Double]
        var dimension: Int
        var names: [String]
    }

    /// Party `party`'s share of the data; `sourceFile` locates bundled data.
    public static func load(_ spec: VerticalSpec, party: Int?, seed: UInt64, sourceFile: String) throws -> VerticalPartyData {
        let table = try read(spec.source, seed: seed, sourceFile: sourceFile)
        let allColumns = try spec.columnText.enumerated().map { try columns($0.element, names: table.names, dimension: table.dimension, party: $0.offset) }
        let overlap = Set(allColumns[0]).intersection(allColumns[1])
        guard overlap.isEmpty else {
            throw DataError.impossiblePartition(reason: "columns \(overlap.sorted()) are given to both parties")
        }
        let rows = table.labels.count
        var order = Array(0..<rows)
        var rng = RNGStream(seed: seed, purpose: .dataSplit, client: 0xD17)
        rng.shuffle(&order)
        let testRows = Int((Double(rows) * spec.testFraction).rounded())
        let testOrder = Array(order[0..<testRows]), trainOrder = Array(order[testRows...])
        let own = party.map { allColumns[$0] } ?? (allColumns[0] + allColumns[1])
        func gather(_ rowsOf: [Int]) -> [Float] {
            var out = [Float]()
            out.reserveCapacity(rowsOf.count * own.count)
            for i in rowsOf { for j in own { out.append(table.features[i * table.dimension + j]) } }
            return out
        }
        let holdsLabels = party == nil || party == 0
        return VerticalPartyData(party: party ?? -1, columns: own, train: gather(trainOrder), test: gather(testOrder),
                                 trainLabels: holdsLabels ? trainOrder.map { table.labels[$0] } : nil,
                                 testLabels: holdsLabels ? testOrder.map { table.labels[$0] } : nil,
                                 trainRows: trainOrder.count, testRows: testOrder.count, allColumns: allColumns,
                                 binaryLabels: table.labels.allSatisfy { $0 == 0 || $0 == 1 })
    }

    /// "0-14", "3,5,9-11" or column names ("mean_radius,mean_texture").
    static func columns(_ text: String, names: [String], dimension: Int, party: Int) throws -> [Int] {
        var out = [Int]()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let bounds = item.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 2, let low = bounds[0], let high = bounds[1], low <= high {
                out += Array(low...high)
            } else if bounds.count == 1, let index = bounds[0] {
                out.append(index)
            } else if let index = names.firstIndex(of: item) {
                out.append(index)
            } else {
                throw DataError.impossiblePartition(
                                             reason: "'\(item)' is neither a column index, a range nor a column name")
            }
        }
        guard !out.isEmpty, out.allSatisfy({ $0 >= 0 && $0 < dimension }), Set(out).count == out.count else {
            throw DataError.impossiblePartition(
                                         reason: "party \(party) needs distinct columns in 0…\(dimension - 1), got '\(text)'")
        }
        return out
    }

    static func read(_ source: VerticalSpec.Source, seed: UInt64, sourceFile: String) throws -> Table {
        switch source {
        case let .syntheticRegression(rows, features):
            var rng = RNGStream(seed: seed, purpose: .synthetic, client: 0x5EC)
            var values = [Float](), labels = [Double]()
            values.reserveCapacity(rows * features)
            let half = features / 2
            for _ in 0..<rows {
                let x = (0..<features).map { _ in rng.nextUnitDouble() * 2 - 1 }
                values += x.map(Float.init)
                // Signal from both parties' halves, so neither can fit it alone.
                let signal = 0.6 * x[0] - 0.4 * x[half] * x[1] + 0.5 * (x[half + 1 < features ? half + 1 : 0] > 0.2 ? 1 : -1) * x[features - 1]
                labels.append(max(-1, min(1, signal + 0.1 * rng.nextGaussian())))
            }
            return Table(features: values, labels: labels, dimension: features, names: (0..<features).map { "x\($0)" })
        case let .breastCancer(path):
            let resolved: String
            if let path { resolved = path } else {
                let (found, searched) = DataLocator.locate("breast_cancer/breast_cancer.csv", topologyFile: sourceFile)
                guard let found else {
                    throw DataError.unreadable(path: "breast_cancer/breast_cancer.csv",
                                               reason: "bundled data not found; searched \(searched.joined(separator: ", ")); set FEDSIM_DATA_DIR")
                }
                resolved = found
            }
            return try csv(resolved)
        case let .csv(path):
            return try csv(path)
        }
    }

    /// A header row, then numeric rows; the last column is the label.
    static func csv(_ path: String) throws -> Table {
        let data = try CSVDatasetLoader.load(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let header = text.prefix { $0 != "\n" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return Table(features: data.features, labels: data.labels.map(Double.init), dimension: data.dimension,
                     names: Array(header.prefix(data.dimension)))
    }
}
