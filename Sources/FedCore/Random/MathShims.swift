#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libm entry points under unambiguous names, so maths code does not depend on Foundation.
@inline(__always) public func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { cos(x) }
@inline(__always) func libmSin(_ x: Double) -> Double { sin(x) }
@inline(__always) func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }

/// Natural exponential for Float (libm `expf`).
@inline(__always) public func fastExp(_ x: Float) -> Float { expf(x) }
/// Natural logarithm for Float (libm `logf`).
@inline(__always) public func fastLog(_ x: Float) -> Float { logf(x) }
/// Hyperbolic tangent for Float (libm `tanhf`).
@inline(__always) public func fastTanh(_ x: Float) -> Float { tanhf(x) }
/// Complementary error function for Double (libm `erfc`).
@inline(__always) public func libmErfc(_ x: Double) -> Double { erfc(x) }
/// Natural exponential for Double (libm `exp`).
@inline(__always) public func libmExp(_ x: Double) -> Double { exp(x) }
