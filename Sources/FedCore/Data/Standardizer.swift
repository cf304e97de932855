/// Per-feature standardisation (zero mean, unit variance) fitted on one data set and applied to others.
///
/// Fitted on the training part only, so no test statistics leak into training.
public struct Standardizer: Sendable {
    public let mean: [Float]
    public let scale: [Float]

    /// Fits mean and 1/std per feature; constant features get scale 1.
    public init(fitting data: Dataset) {
        let d = data.dimension, n = Double(max(data.count, 1))
        var sums = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
        for row in 0..<data.count {
            for j in 0..<d {
                let v = Double(data.features[row * d + j])
                sums[j] += v
                squares[j] += v * v
            }
        }
        var mean = [Float](repeating: 0, count: d), scale = [Float](repeating: 1, count: d)
        for j in 0..<d {
            let mu = sums[j] / n
            let variance = max(squares[j] / n - mu * mu, 0)
            mean[j] = Float(mu)
            scale[j] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 1
        }
        self.mean = mean
        self.scale = scale
    }

    /// The data set with every feature standardised.
    public func apply(to data: Dataset) -> Dataset {
        var out = data
        let d = data.dimension
        out.features.withUnsafeMutableBufferPointer { values in
            for row in 0..<data.count {
                for j in 0..<d { values[row * d + j] = (values[row * d + j] - mean[j]) * scale[j] }
            }
        }
        return out
    }
}
