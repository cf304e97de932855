import FedCore
import FedModels

/// The server step shared by the local-SGDA family (Local SGDA, Local SGDA+, FESS-GDA) on a model
/// whose flat buffer holds the min player x then the max player y (`maxPlayerRange`).
///
///     x_{t+1} = (1 − η_x) x_t + η_x m_x − smoothing      (m = average of the uploads)
///     y_{t+1} = P_Y((1 − η_y) y_t + η_y m_y)
///
/// which is x_t + η_x · mean Δx_i with Δx_i = x_i − x_t, written so that η = 1 and no smoothing
/// give exactly the plain average (bit for bit, as FedAvg computes it). Single-player models have
/// no y: every scalar belongs to x.
struct MinimaxServerStep: Sendable {
    let model: any DifferentiableModel
    let weighting: FedAvg.ClientWeighting

    /// Number of min-player scalars.
    var minCount: Int { model.maxPlayerRange?.lowerBound ?? model.layout.totalCount }

    /// Uploads flattened (the runtime validated their layout) and their weights.
    func uploads(_ updates: [ClientUpdate]) -> (flats: [[Float]], weights: [Double]) {
        let flats = updates.map { update -> [Float] in
            guard let flat = try? model.layout.flatten(update.tensors) else {
                preconditionFailure("update from client \(update.clientID) passed validation but does not match the layout")
            }
            return flat
        }
        return (flats, updates.map { weighting == .uniform ? 1 : Double($0.numSamples) })
    }

    /// The next global point; `smoothing[i]` (min player only, may be empty) is subtracted from x.
    func step(current: [Float], updates: [ClientUpdate], globalLRX: Double, globalLRY: Double,
              smoothing: [Double] = []) -> [Float] {
        let (flats, weights) = uploads(updates)
        let mean = Aggregation.weightedMean(flats, weights: weights)
        var next = current
        for i in 0..<current.count {
            let rate = i < minCount ? globalLRX : globalLRY
            // With rate 1 the first product is exactly 0 and the second exactly the mean.
            var value = (1 - rate) * Double(current[i]) + rate * Double(mean[i])
            if i < smoothing.count { value -= smoothing[i] }
            next[i] = rate == 1 && (i >= smoothing.count || smoothing[i] == 0) ? mean[i] : Float(value)
        }
        if model.maxPlayerRange != nil { next.withUnsafeMutableBufferPointer { model.projectMaxPlayer($0) } }
        return next
    }

    /// ‖x_{t+1} − x_t‖ over the min player: how far the model moved this round.
    func minPlayerStepNorm(from old: [Float], to new: [Float]) -> Double {
        var sum = 0.0
        for i in 0..<minCount { let d = Double(new[i]) - Double(old[i]); sum += d * d }
        return sum.squareRoot()
    }
}
