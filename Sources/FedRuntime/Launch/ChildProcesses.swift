import CSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes started with `posix_spawn`, reaped with `wait4` so their peak memory is known.
///
/// Children start with default signal handling and an empty signal mask (so a launcher that ignores
/// SIGINT does not pass that on), and in their own process group. Signals reach them only through
/// `signalAll`, which the launcher calls when it is interrupted.
public final class ChildProcesses: @unchecked Sendable {
    /// One child's end.
    public struct Exit: Sendable {
        public let name: String
        public let pid: pid_t
        /// Exit status, or 128 + signal number when killed by a signal.
        public let code: Int32
        /// Peak resident memory in bytes.
        public let peakResidentBytes: Int
    }

    private let lock = NSLock()
    private var running: [pid_t: String] = [:]
    private var exits: [Exit] = []

    public init() {}

    /// Starts `executable` with `arguments`; `environment` entries are added to this process's environment.
    public func spawn(name: String, executable: String, arguments: [String], environment: [String: String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, nil, &attributes, argv, envp)
        guard status == 0 else {
            throw RuntimeError.setupFailed(reason: "cannot start \(name) (\(executable)): \(String(cString: strerror(status)))")
        }
        lock.lock()
        running[pid] = name
        lock.unlock()
        return pid
    }

    /// Sends `signal` to every running child's process group.
    public func signalAll(_ signal: Int32) {
        lock.lock()
        let pids = Array(running.keys)
        lock.unlock()
        for pid in pids { kill(-pid, signal) }
    }

    /// Whether `pid` is still running (not yet reaped).
    public func isRunning(_ pid: pid_t) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return running[pid] != nil
    }

    public var runningCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return running.count
    }

    /// Reaps children that have exited, waiting up to `timeout` seconds for at least one.
    /// Returns the exits reaped by this call.
    @discardableResult
    public func reap(timeout: Double) -> [Exit] {
        let deadline = Date().addingTimeInterval(timeout)
        var reaped = [Exit]()
        while true {
            var status: Int32 = 0
            var usage = rusage()
            let pid = wait4(-1, &status, WNOHANG, &usage)
            if pid > 0 {
                let code = fedsim_wait_exited(status) != 0
                    ? fedsim_wait_exit_status(status) : 128 + fedsim_wait_term_signal(status)
                lock.lock()
                let name = running.removeValue(forKey: pid) ?? "pid \(pid)"
                // ru_maxrss is in kilobytes on Linux.
                let exit = Exit(name: name, pid: pid, code: code, peakResidentBytes: Int(usage.ru_maxrss) * 1024)
                exits.append(exit)
                lock.unlock()
                reaped.append(exit)
                continue
            }
            if !reaped.isEmpty || Date() >= deadline || runningCount == 0 { return reaped }
            usleep(2000)
        }
    }

    /// Every exit so far.
    public var allExits: [Exit] {
        lock.lock()
        defer { lock.unlock() }
        return exits
    }

    /// Asks every child to stop (SIGTERM), then kills what is left after `grace` seconds.
    public func terminateAll(grace: Double) {
        signalAll(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while runningCount > 0 && Date() < deadline { reap(timeout: 0.05) }
        if runningCount > 0 {
            signalAll(SIGKILL)
            while runningCount > 0 { reap(timeout: 0.05) }
        }
    }
}
