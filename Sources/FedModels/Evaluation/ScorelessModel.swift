/// A model judged by a metric of its own (a distance to a saddle, a hypergradient norm) rather than
/// by classifying: its "class scores" are zeros, and its workspace holds nothing else.
public protocol ScorelessModel: DifferentiableModel {}

extension ScorelessModel {
    public func makeWorkspace(batchCapacity: Int) -> ModelWorkspace {
        ModelWorkspace(batchCapacity: batchCapacity, inputDimension: inputDimension, widths: [classCount])
    }

    /// Zeros: there are no class scores to give.
    public func forward(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, batch: Int,
                        workspace: ModelWorkspace) -> UnsafePointer<Float> {
        workspace.activations[0].update(repeating: 0, count: batch * classCount)
        return UnsafePointer(workspace.activations[0])
    }
}
