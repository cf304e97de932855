import FedCore
import Foundation

/// Shared test helpers: repository paths and small fixtures.
public enum Fixtures {
    /// The repository root (found from this file's location).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// A path inside the repository.
    public static func path(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

    /// A fresh empty temporary directory.
    public static func temporaryDirectory(_ label: String = "fedsim-test") -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A tiny separable data set: `count` points in `dimension` dims, class = sign pattern of the first coordinate.
    public static func blobs(count: Int, dimension: Int, classes: Int, seed: UInt64) -> Dataset {
        var rng = RNGStream(seed: seed, purpose: .custom)
        var features = [Float](), labels = [Int32]()
        for i in 0..<count {
            let label = i % classes
            for j in 0..<dimension {
                let centre: Double = j == label % dimension ? 2.5 : 0
                features.append(Float(centre + rng.nextGaussian() * 0.5))
            }
            labels.append(Int32(label))
        }
        return Dataset(features: features, labels: labels, dimension: dimension, classCount: classes)
    }
}
