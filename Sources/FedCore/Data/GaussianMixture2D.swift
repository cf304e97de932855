/// The 2-D mixture of Gaussians on a circle used to test generative models for mode collapse.
///
/// Eight modes sit evenly on a circle of radius 2, mode m at angle 2πm/8, each an isotropic
/// Gaussian with standard deviation 0.02: the settings of the usual benchmark (Metz et al.,
/// "Unrolled GANs", ICLR 2017; Srivastava et al., "VEEGAN", NeurIPS 2017), so the modes-covered and
/// high-quality counts read the same as there. Neighbouring modes are 2·2·sin(π/8) ≈ 1.53 apart,
/// about 75σ, so a point lies within 3σ of at most one mode.
///
/// Rows are [x, y] and the label is the mode index, so the label-based partitions (`label_split`,
/// `dirichlet`) hand whole modes to clients.
public enum GaussianMixture2D {
    /// Number of modes.
    public static let modeCount = 8
    /// Radius of the circle the modes lie on.
    public static let radius = 2.0
    /// Standard deviation of each mode, per coordinate.
    public static let standardDeviation = 0.02

    /// Which part to generate; each part has its own stream, so train and test rows are independent.
    public enum Part: UInt64, Sendable { case train = 1, test = 2 }

    /// The mode centres, flat [modeCount, 2] (x, y of mode 0 first).
    public static var centres: [Double] {
        (0..<modeCount).flatMap { mode -> [Double] in
            let angle = 2 * Double.pi * Double(mode) / Double(modeCount)
            return [radius * libmCos(angle), radius * libmSin(angle)]
        }
    }

    /// `count` rows; row i belongs to mode i mod 8, so every mode holds the same number of rows (±1).
    ///
    /// Deterministic given `seed` and `part` (`RNGStream` purpose `.synthetic`, the part as the round).
    public static func make(count: Int, seed: UInt64, part: Part = .train) -> Dataset {
        precondition(count >= 0, "a data set cannot have \(count) rows")
        let centre = centres
        var rng = RNGStream(seed: seed, purpose: .synthetic, round: 300 + part.rawValue)
        var features = [Float](repeating: 0, count: count * 2)
        var labels = [Int32](repeating: 0, count: count)
        for row in 0..<count {
            let mode = row % modeCount
            let (dx, dy) = rng.nextGaussianPair()
            features[2 * row] = Float(centre[2 * mode] + standardDeviation * dx)
            features[2 * row + 1] = Float(centre[2 * mode + 1] + standardDeviation * dy)
            labels[row] = Int32(mode)
        }
        return Dataset(features: features, labels: labels, dimension: 2, classCount: modeCount)
    }
}
