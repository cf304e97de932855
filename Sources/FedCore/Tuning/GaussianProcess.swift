/// Gaussian-process regression with a Matérn-5/2 ARD kernel, the surrogate of Bayesian optimisation.
///
/// Kernel: k(x, x') = σ_f² (1 + √5 r + 5r²/3) exp(−√5 r), r² = Σ_d (x_d − x'_d)² / ℓ_d², plus σ_n² on
/// the diagonal (and 1e−8 for numerical safety). Outputs are standardised (zero mean, unit variance)
/// before fitting. Hyper-parameters θ = (log ℓ_1..D, log σ_f², log σ_n²) maximise the log marginal
/// likelihood −½ yᵀK⁻¹y − Σ log L_ii − (n/2) log 2π: 200 random starts, then Nelder–Mead from the
/// best 3. Posterior: μ(x) = k*ᵀα with α = K⁻¹y, s²(x) = k(x,x) − vᵀv with L v = k*.
public struct GaussianProcess: Sendable {
    /// θ in natural units.
    public struct Hyperparameters: Sendable, Equatable {
        public var lengthScales: [Double]
        public var signalVariance: Double
        public var noiseVariance: Double
        public init(lengthScales: [Double], signalVariance: Double, noiseVariance: Double) {
            self.lengthScales = lengthScales
            self.signalVariance = signalVariance
            self.noiseVariance = noiseVariance
        }
    }

    public let inputs: [[Double]]
    public let hyperparameters: Hyperparameters
    /// Mean and standard deviation used to standardise the outputs.
    public let outputMean: Double
    public let outputScale: Double
    let cholesky: Cholesky
    let alpha: [Double]

    /// The GP with fixed hyper-parameters (nil if the kernel matrix is not positive definite).
    public init?(inputs: [[Double]], outputs: [Double], hyperparameters: Hyperparameters) {
        precondition(!inputs.isEmpty && inputs.count == outputs.count, "\(inputs.count) inputs for \(outputs.count) outputs")
        let mean = outputs.reduce(0, +) / Double(outputs.count)
        let variance = outputs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(outputs.count)
        let scale = variance > 1e-24 ? variance.squareRoot() : 1
        let standardised = outputs.map { ($0 - mean) / scale }
        guard let factor = Cholesky(Self.kernelMatrix(inputs, hyperparameters), size: inputs.count) else { return nil }
        self.inputs = inputs
        self.hyperparameters = hyperparameters
        outputMean = mean
        outputScale = scale
        cholesky = factor
        alpha = factor.solve(standardised)
    }

    /// Fits the hyper-parameters by maximum marginal likelihood (see the type) and returns the GP.
    public static func fit(inputs: [[Double]], outputs: [Double], rng: inout RNGStream) -> GaussianProcess {
        let d = inputs[0].count
        let mean = outputs.reduce(0, +) / Double(outputs.count)
        let variance = outputs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(outputs.count)
        let y = outputs.map { ($0 - mean) / (variance > 1e-24 ? variance.squareRoot() : 1) }
        func objective(_ theta: [Double]) -> Double { -logMarginalLikelihood(inputs, y, decode(theta, dimensions: d)) }
        var starts = [(theta: [Double], value: Double)]()
        for _ in 0..<200 {
            var theta = (0..<d).map { _ in logUniform(rng.nextUnitDouble(), 0.05, 5) }
            theta.append(logUniform(rng.nextUnitDouble(), 0.1, 10))
            theta.append(logUniform(rng.nextUnitDouble(), 1e-6, 0.1))
            starts.append((theta, objective(theta)))
        }
        starts.sort { $0.value < $1.value }
        var best = starts[0]
        for start in starts.prefix(3) {
            let result = NelderMead.minimize(objective, from: start.theta, step: 0.5, iterations: 100 * (d + 2))
            if result.value < best.value { best = (result.point, result.value) }
        }
        var hyperparameters = decode(best.theta, dimensions: d)
        // A start that the factorisation rejects cannot win (its objective is +∞), so this succeeds
        // unless every start failed; then fall back to a heavily regularised kernel.
        if let gp = GaussianProcess(inputs: inputs, outputs: outputs, hyperparameters: hyperparameters) { return gp }
        hyperparameters.noiseVariance = 0.1
        guard let gp = GaussianProcess(inputs: inputs, outputs: outputs, hyperparameters: hyperparameters) else {
            preconditionFailure("kernel matrix with noise 0.1 is not positive definite (\(inputs.count) points)")
        }
        return gp
    }

    /// Posterior mean and variance at `x`, in the original output units.
    public func predict(_ x: [Double]) -> (mean: Double, variance: Double) {
        let kStar = inputs.map { Self.kernel($0, x, hyperparameters) }
        var mu = 0.0
        for i in kStar.indices { mu += kStar[i] * alpha[i] }
        let v = cholesky.solveLower(kStar)
        let variance = max(hyperparameters.signalVariance - v.reduce(0) { $0 + $1 * $1 }, 1e-12)
        return (outputMean + outputScale * mu, variance * outputScale * outputScale)
    }

    // MARK: - Kernel and likelihood

    static func kernel(_ a: [Double], _ b: [Double], _ h: Hyperparameters) -> Double {
        var r2 = 0.0
        for d in a.indices {
            let t = (a[d] - b[d]) / h.lengthScales[d]
            r2 += t * t
        }
        let r = (5 * r2).squareRoot()  // √5 r
        return h.signalVariance * (1 + r + r * r / 3) * libmExp(-r)
    }

    static func kernelMatrix(_ x: [[Double]], _ h: Hyperparameters) -> [Double] {
        let n = x.count
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                let value = kernel(x[i], x[j], h)
                k[i * n + j] = value
                k[j * n + i] = value
            }
            k[i * n + i] += h.noiseVariance + 1e-8
        }
        return k
    }

    /// log p(y | X, θ) of standardised outputs; −∞ when K is not positive definite.
    public static func logMarginalLikelihood(_ x: [[Double]], _ y: [Double], _ h: Hyperparameters) -> Double {
        guard let factor = Cholesky(kernelMatrix(x, h), size: x.count) else { return -.infinity }
        let alpha = factor.solve(y)
        var fit = 0.0
        for i in y.indices { fit += y[i] * alpha[i] }
        return -0.5 * fit - factor.halfLogDeterminant - 0.5 * Double(x.count) * libmLog(2 * Double.pi)
    }

    static func decode(_ theta: [Double], dimensions d: Int) -> Hyperparameters {
        // Bounded so the optimiser cannot wander into degenerate kernels.
        func bounded(_ value: Double, _ low: Double, _ high: Double) -> Double { min(max(libmExp(value), low), high) }
        return Hyperparameters(lengthScales: (0..<d).map { bounded(theta[$0], 0.01, 100) },
                               signalVariance: bounded(theta[d], 1e-3, 1e3), noiseVariance: bounded(theta[d + 1], 1e-6, 1))
    }

    static func logUniform(_ u: Double, _ low: Double, _ high: Double) -> Double {
        libmLog(low) + u * (libmLog(high) - libmLog(low))
    }
}

/// Nelder–Mead simplex minimisation (reflection 1, expansion 2, contraction ½, shrink ½).
public enum NelderMead {
    public static func minimize(_ f: ([Double]) -> Double, from start: [Double], step: Double, iterations: Int)
        -> (point: [Double], value: Double) {
        let d = start.count
        var simplex = [start] + (0..<d).map { i -> [Double] in var p = start; p[i] += step; return p }
        var values = simplex.map(f)
        for _ in 0..<iterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[d] - values[0]) < 1e-10 { break }
            var centroid = [Double](repeating: 0, count: d)
            for p in simplex.dropLast() { for i in 0..<d { centroid[i] += p[i] / Double(d) } }
            func along(_ t: Double) -> [Double] { (0..<d).map { centroid[$0] + t * (simplex[d][$0] - centroid[$0]) } }
            let reflected = along(-1), reflectedValue = f(reflected)
            if reflectedValue < values[0] {
                let expanded = along(-2), expandedValue = f(expanded)
                if expandedValue < reflectedValue { (simplex[d], values[d]) = (expanded, expandedValue) }
                else { (simplex[d], values[d]) = (reflected, reflectedValue) }
            } else if reflectedValue < values[d - 1] {
                (simplex[d], values[d]) = (reflected, reflectedValue)
            } else {
                let contracted = along(reflectedValue < values[d] ? -0.5 : 0.5), contractedValue = f(contracted)
                if contractedValue < min(reflectedValue, values[d]) {
                    (simplex[d], values[d]) = (contracted, contractedValue)
                } else {
                    for i in 1...d {
                        simplex[i] = (0..<d).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = f(simplex[i])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return (simplex[best], values[best])
    }
}
