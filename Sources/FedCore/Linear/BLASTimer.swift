#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time spent inside BLAS calls, accumulated per thread.
///
/// Per thread because a threaded run hosts several workers in one process: each worker reads the
/// difference across one client task, and another thread's BLAS calls must not leak into it. The
/// cost is two monotonic clock reads per call, negligible against even a small sgemm.
public enum BLASTimer {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { $0?.deallocate() }
        return key
    }()

    private static var counter: UnsafeMutablePointer<UInt64> {
        if let existing = pthread_getspecific(key) { return existing.assumingMemoryBound(to: UInt64.self) }
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        fresh.initialize(to: 0)
        pthread_setspecific(key, fresh)
        return fresh
    }

    /// Nanoseconds this thread has spent in BLAS since it started.
    public static var nanoseconds: UInt64 { counter.pointee }

    /// Runs `body` and charges its duration to this thread's BLAS time.
    @inline(__always)
    static func measure(_ body: () -> Void) {
        let start = monotonicNanoseconds()
        body()
        counter.pointee &+= monotonicNanoseconds() &- start
    }

    /// The monotonic clock in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
