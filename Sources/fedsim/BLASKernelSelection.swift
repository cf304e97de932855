import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Picks OpenBLAS's AVX-512 kernels on CPUs that have AVX-512 but that Debian's OpenBLAS 0.3.21 does
/// not recognise (it then falls back to AVX2 "Haswell" kernels, about half the sgemm speed).
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` when the library loads, before any Swift code runs, so the
/// process re-executes itself once with the variable set. Every fedsim process does this the same
/// way, so all processes of a run use the same kernels (bit-identical results need that). Opt out
/// with `FEDSIM_BLAS_AUTO=0`, or choose a kernel yourself with `OPENBLAS_CORETYPE`.
enum BLASKernelSelection {
    static func reexecWithFastestKernelIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["FEDSIM_BLAS_AUTO"] != "0" else { return }
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              flags.split(separator: " ").contains("avx512f") else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if exec failed: carry on with the default kernels.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
