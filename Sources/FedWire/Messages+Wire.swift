import FedAlgorithms
import FedCore

extension ClientTask {
    /// The task as its protobuf body.
    public func wireTask() -> Fedsim_V1_ClientTask {
        var task = Fedsim_V1_ClientTask()
        task.clientID = UInt32(clientID)
        task.tensors = tensors.map { $0.wireTensor() }
        task.config = config
        return task
    }

    /// Decodes a task body (tensors must be finite: the coordinator never sends NaN).
    public init(wire task: Fedsim_V1_ClientTask) throws(WireError) {
        var tensors = [NamedTensor]()
        for tensor in task.tensors { tensors.append(try NamedTensor(wire: tensor, requireFinite: true)) }
        self.init(clientID: Int(task.clientID), tensors: tensors, config: task.config)
    }
}

extension ClientUpdate {
    /// The update as its protobuf body.
    public func wireUpdate() -> Fedsim_V1_ClientUpdate {
        var update = Fedsim_V1_ClientUpdate()
        update.clientID = UInt32(clientID)
        update.numSamples = UInt64(numSamples)
        update.tensors = tensors.map { $0.wireTensor() }
        update.metrics = metrics
        return update
    }

    /// Decodes and checks an update body: finite tensors, positive sample count, finite metrics.
    public init(wire update: Fedsim_V1_ClientUpdate) throws(WireError) {
        guard update.numSamples > 0, update.numSamples < 1 << 40 else {
            throw .missingField("num_samples (must be positive, got \(update.numSamples))")
        }
        var tensors = [NamedTensor]()
        for tensor in update.tensors { tensors.append(try NamedTensor(wire: tensor, requireFinite: true)) }
        for (key, value) in update.metrics where value.isNaN == false && !value.isFinite {
            throw .nonFinite(name: "metric \(key)", index: 0)
        }
        self.init(clientID: Int(update.clientID), numSamples: Int(update.numSamples), tensors: tensors, metrics: update.metrics)
    }
}

/// Persistent client state on the wire: one Float32 tensor per key, keys in sorted order.
public enum ClientStateWire {
    public static func encode(_ state: ClientState) -> [Fedsim_V1_Tensor] {
        // Empty buffers carry nothing and a zero dimension is not a valid wire shape: they are left out.
        state.keys.sorted().compactMap { key in
            guard let values = state[key], !values.isEmpty else { return nil }
            return NamedTensor(name: key, shape: [values.count], values: values).wireTensor()
        }
    }

    public static func decode(_ tensors: [Fedsim_V1_Tensor]) throws(WireError) -> ClientState {
        var state = ClientState()
        for tensor in tensors {
            let decoded = try NamedTensor(wire: tensor, requireFinite: true)
            guard state[decoded.name] == nil else { throw .badTensor(name: decoded.name, reason: "appears twice in the client state") }
            state[decoded.name] = decoded.values
        }
        return state
    }
}
