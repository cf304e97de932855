import FedReport
import FedTransport
import Foundation

/// A whole run inside one process: the coordinator on the calling thread, each worker on its own
/// thread, over `inproc://` or tcp loopback. Used by `--transport inproc` and by the tests.
public enum ThreadedRun {
    /// Runs the topology with one thread per worker.
    ///
    /// - Parameters:
    ///   - transport: `.inproc` or `.tcp` (loopback, ephemeral port).
    ///   - workerOptions: one entry per worker (defaults: `processes.workers` plain workers).
    ///   - externalWorkers: further workers the coordinator waits for, started by the caller
    ///     (tests use this to join hand-made participants through the endpoint file).
    public static func run(
        topology: Topology, runDirectory: RunDirectory, transport: Topology.Transport = .inproc,
        workerOptions: [Worker.Options]? = nil, externalWorkers: Int = 0, showProgress: Bool = false, resume: Bool = false
    ) throws -> Coordinator.Summary {
        let context = try ZMQContext()
        // Workers share the run directory's private-state folder unless a test chose otherwise.
        let workers = (workerOptions ?? (0..<topology.processes.workers).map { Worker.Options(name: "worker-\($0)") }).map { options in
            var shared = options
            if shared.stateDirectory == nil { shared.stateDirectory = runDirectory.path(RunDirectory.File.privateState) }
            return shared
        }
        var adjusted = topology
        adjusted.processes.workers = workers.count + externalWorkers
        let topology = adjusted
        let endpoint: String
        switch transport {
        case .inproc: endpoint = "inproc://fedsim-\(UUID().uuidString)"
        case .tcp: endpoint = "tcp://127.0.0.1:*"
        case .ipc: endpoint = "ipc://\(NSTemporaryDirectory())fedsim-\(UUID().uuidString).sock"
        }
        // A resumed run directory still holds the previous endpoint; workers must wait for the new one.
        try? FileManager.default.removeItem(atPath: runDirectory.path(RunDirectory.File.endpoint))
        let coordinatorBox = ResultBox<Coordinator.Summary>()
        let started = DispatchSemaphore(value: 0)
        let coordinatorThread = Thread {
            coordinatorBox.set(Result {
                try RunHost.runCoordinator(topology: topology, runDirectory: runDirectory, context: context,
                                           endpoint: endpoint, showProgress: showProgress, resume: resume)
            })
            started.signal()  // in case it failed before binding
        }
        coordinatorThread.start()
        // Workers connect to the concrete endpoint, which the coordinator writes once bound.
        let endpointFile = runDirectory.path(RunDirectory.File.endpoint)
        var bound: String?
        // The coordinator loads its data before binding, which may take a while; wait as long as it runs.
        while !coordinatorBox.isSet {
            if let text = try? String(contentsOfFile: endpointFile, encoding: .utf8) {
                bound = text.trimmingCharacters(in: .whitespacesAndNewlines)
                break
            }
            usleep(2000)
        }
        var workerThreads = [(Thread, DispatchSemaphore)]()
        if let bound {
            for options in workers {
                let done = DispatchSemaphore(value: 0)
                let thread = Thread {
                    _ = try? RunHost.runWorker(context: context, endpoint: bound, options: options)
                    done.signal()
                }
                thread.start()
                workerThreads.append((thread, done))
            }
        }
        let summary = coordinatorBox.wait()
        for (_, done) in workerThreads {
            // Workers exit on Shutdown; a simulated-dead worker exits on its own. Bounded wait anyway.
            _ = done.wait(timeout: .now() + .seconds(Int(topology.federation.timeoutSeconds) + 10))
        }
        context.terminate()
        return try summary.get()
    }
}

/// A one-shot result slot filled by one thread and awaited by another.
final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let ready = DispatchSemaphore(value: 0)
    private var value: Result<Value, any Error>?

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value != nil
    }

    func set(_ result: Result<Value, any Error>) {
        lock.lock()
        value = result
        lock.unlock()
        ready.signal()
    }

    func wait() -> Result<Value, any Error> {
        ready.wait()
        lock.lock()
        defer { lock.unlock() }
        // `set` stored a value before signalling.
        return value ?? .failure(RuntimeError.setupFailed(reason: "no result"))
    }
}
