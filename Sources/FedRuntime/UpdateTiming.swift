/// Metric keys a worker adds to every client update to report where its time went.
///
/// They travel in the update's metrics map so no message changes; the coordinator sums them per
/// round into `timings.csv` (never into `metrics.csv`, which must not depend on the machine).
enum UpdateTiming {
    /// Seconds the worker spent on the task, from decoding to the finished update.
    static let computeSeconds = "timing.compute_s"
    /// Seconds of that inside BLAS calls.
    static let blasSeconds = "timing.blas_s"
}

/// Seconds from `start` until now, for timing columns and events (coordinator and workers).
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}
