import FedCore
import FedModels
import Foundation

/// Evaluates a round's model on the test set on its own thread while the next round trains.
///
/// Evaluation is pure (model, parameters, fixed data, fixed batch order), so running it beside the
/// next round changes no result; it only takes the test pass off the critical path.
final class BackgroundEvaluator: @unchecked Sendable {
    struct Result {
        /// `test_loss`, `test_accuracy` and the model's own evaluation metrics.
        let metrics: [String: Double]
        let seconds: Double
        var loss: Double { metrics["test_loss"] ?? .nan }
        var accuracy: Double { metrics["test_accuracy"] ?? .nan }
    }

    private let model: any DifferentiableModel
    private let test: Dataset
    private let workspace: ModelWorkspace
    private let lock = NSLock()
    private var done: DispatchSemaphore?
    private var result: Result?

    init(model: any DifferentiableModel, test: Dataset) {
        self.model = model
        self.test = test
        workspace = model.makeWorkspace(batchCapacity: 256)
    }

    /// Starts evaluating `parameters`; the previous evaluation must have been collected.
    func start(_ parameters: [Float]) {
        lock.lock()
        precondition(done == nil, "an evaluation is already running")
        let semaphore = DispatchSemaphore(value: 0)
        done = semaphore
        lock.unlock()
        let thread = Thread { [self] in
            let start = DispatchTime.now().uptimeNanoseconds
            let metrics = model.evaluationMetrics(parameters: parameters, on: test, workspace: workspace)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            lock.lock()
            result = Result(metrics: metrics, seconds: seconds)
            lock.unlock()
            semaphore.signal()
        }
        thread.start()
    }

    /// Waits for the running evaluation and returns it (nil if none was started).
    func collect() -> Result? {
        lock.lock()
        let semaphore = done
        lock.unlock()
        guard let semaphore else { return nil }
        semaphore.wait()
        lock.lock()
        defer { done = nil; result = nil; lock.unlock() }
        return result
    }
}
