import FedCore

/// How well generated 2-D points reproduce a mixture of well-separated isotropic Gaussians.
///
/// The two numbers of the mode-collapse benchmarks (Metz et al. 2017; Srivastava et al. 2017): a
/// sample is *high quality* when it lies within 3σ of some mode centre, and a mode is *covered* when
/// at least `minimumPerMode` high-quality samples fall on it. Requiring several samples keeps a lone
/// stray point from counting as a captured mode.
public struct ModeCoverage: Sendable, Equatable {
    /// Modes with at least `minimumPerMode` samples within 3σ.
    public var modesCovered: Int
    /// Share of the samples within 3σ of some mode (NaN for no samples).
    public var highQualityFraction: Double

    /// The mixture the samples are judged against: mode centres (flat [modes, 2]) and the per-coordinate σ.
    public struct Target: Sendable, Equatable {
        public var centres: [Double]
        public var standardDeviation: Double

        public init(centres: [Double], standardDeviation: Double) {
            precondition(centres.count % 2 == 0 && !centres.isEmpty, "centres are [modes, 2]")
            precondition(standardDeviation > 0, "the modes need a positive spread")
            self.centres = centres
            self.standardDeviation = standardDeviation
        }

        /// Centres and σ estimated from labelled 2-D rows (label = mode): the class means and the
        /// pooled within-class standard deviation per coordinate. Judging against the evaluation data
        /// itself keeps the metric tied to the mixture actually sampled, whatever its parameters.
        public init(fitting data: Dataset) {
            precondition(data.dimension == 2, "mode coverage is defined for 2-D data, got \(data.dimension)")
            let modes = data.classCount
            var sums = [Double](repeating: 0, count: 2 * modes), counts = [Int](repeating: 0, count: modes)
            for row in 0..<data.count where data.labels[row] >= 0 {
                let mode = Int(data.labels[row])
                sums[2 * mode] += Double(data.features[2 * row])
                sums[2 * mode + 1] += Double(data.features[2 * row + 1])
                counts[mode] += 1
            }
            // Modes without rows cannot be located; they are left out rather than placed at the origin.
            var centres = [Double]()
            for mode in 0..<modes where counts[mode] > 0 {
                centres += [sums[2 * mode] / Double(counts[mode]), sums[2 * mode + 1] / Double(counts[mode])]
            }
            var squares = 0.0, values = 0
            for row in 0..<data.count where data.labels[row] >= 0 {
                let mode = Int(data.labels[row])
                let dx = Double(data.features[2 * row]) - sums[2 * mode] / Double(counts[mode])
                let dy = Double(data.features[2 * row + 1]) - sums[2 * mode + 1] / Double(counts[mode])
                squares += dx * dx + dy * dy
                values += 2
            }
            // Each located mode spends one degree of freedom per coordinate on its mean.
            let pooled = values > centres.count ? (squares / Double(values - centres.count)).squareRoot() : 0
            self.init(centres: centres, standardDeviation: max(pooled, .leastNormalMagnitude))
        }
    }

    public init(modesCovered: Int, highQualityFraction: Double) {
        self.modesCovered = modesCovered
        self.highQualityFraction = highQualityFraction
    }

    /// Scores the points `samples` (flat [n, 2]) against `target`.
    public static func measure(samples: [Float], target: Target, minimumPerMode: Int = 20) -> ModeCoverage {
        precondition(samples.count % 2 == 0, "samples are [n, 2]")
        let modes = target.centres.count / 2
        let limit = 3 * target.standardDeviation, limitSquared = limit * limit
        var hits = [Int](repeating: 0, count: modes)
        var highQuality = 0
        for sample in 0..<(samples.count / 2) {
            let x = Double(samples[2 * sample]), y = Double(samples[2 * sample + 1])
            var nearest = -1, nearestSquared = Double.infinity
            for mode in 0..<modes {
                let dx = x - target.centres[2 * mode], dy = y - target.centres[2 * mode + 1]
                let squared = dx * dx + dy * dy
                if squared < nearestSquared { (nearest, nearestSquared) = (mode, squared) }
            }
            if nearest >= 0 && nearestSquared <= limitSquared {
                highQuality += 1
                hits[nearest] += 1
            }
        }
        let n = samples.count / 2
        return ModeCoverage(modesCovered: hits.count { $0 >= minimumPerMode },
                            highQualityFraction: n > 0 ? Double(highQuality) / Double(n) : .nan)
    }
}
