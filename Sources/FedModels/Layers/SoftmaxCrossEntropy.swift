import FedCore

/// Softmax cross-entropy over logits rows, forward and backward side by side.
///
/// Dimension letters: B examples in the batch, C classes. Logits are [B, C] row-major.
public enum SoftmaxCrossEntropy {
    /// Loss of one row and the index of its largest logit (first one on ties).
    @inlinable
    public static func lossAndArgmax(_ logits: UnsafePointer<Float>, classCount c: Int, label: Int) -> (Float, Int) {
        var maxValue = logits[0], argmax = 0
        for j in 1..<c where logits[j] > maxValue { maxValue = logits[j]; argmax = j }
        var sum: Float = 0
        for j in 0..<c { sum += fastExp(logits[j] - maxValue) }
        return (fastLog(sum) - (logits[label] - maxValue), argmax)
    }

    /// Mean loss over the batch; writes dLogits = (softmax - onehot) / B into `dLogits` [B, C].
    @inlinable
    public static func forwardBackward(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int, classCount c: Int,
        dLogits: UnsafeMutablePointer<Float>
    ) -> Float {
        var total: Float = 0
        let inverseBatch = 1 / Float(b)
        for row in 0..<b {
            total += rowLossAndGradient(logits + row * c, dLogits + row * c, classCount: c, label: Int(labels[row]),
                                        weight: inverseBatch)
        }
        return total * inverseBatch
    }

    /// One row: returns its loss and writes weight · (softmax − onehot) into `dz` [C].
    @inlinable
    static func rowLossAndGradient(
        _ z: UnsafePointer<Float>, _ dz: UnsafeMutablePointer<Float>, classCount c: Int, label: Int, weight: Float
    ) -> Float {
        var maxValue = z[0]
        for j in 1..<c where z[j] > maxValue { maxValue = z[j] }
        var sum: Float = 0
        for j in 0..<c {
            let e = fastExp(z[j] - maxValue)
            dz[j] = e
            sum += e
        }
        let scale = weight / sum
        for j in 0..<c { dz[j] *= scale }
        dz[label] -= weight
        return fastLog(sum) - (z[label] - maxValue)
    }
}

extension SoftmaxCrossEntropy {
    /// As `forwardBackward`, but rows whose label is negative are ignored: their loss is not counted
    /// and their dLogits row is zero. The mean is over the counted rows (0 loss if there are none).
    ///
    /// Domain adaptation uses it for the label classifier, which sees labelled source rows and
    /// unlabelled target rows (label −1) in one batch.
    public static func maskedForwardBackward(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch b: Int, classCount c: Int,
        dLogits: UnsafeMutablePointer<Float>
    ) -> (loss: Float, counted: Int) {
        var counted = 0
        for row in 0..<b where labels[row] >= 0 { counted += 1 }
        dLogits.update(repeating: 0, count: b * c)
        guard counted > 0 else { return (0, 0) }
        var total: Float = 0
        let inverse = 1 / Float(counted)
        for row in 0..<b where labels[row] >= 0 {
            total += rowLossAndGradient(logits + row * c, dLogits + row * c, classCount: c, label: Int(labels[row]),
                                        weight: inverse)
        }
        return (total * inverse, counted)
    }
}
