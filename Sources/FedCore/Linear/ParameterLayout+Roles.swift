/// Who holds a parameter tensor's values in a federated run.
public enum ParameterRole: String, Sendable, CaseIterable {
    /// Travels between clients and server and is aggregated.
    case shared
    /// Stays with its client: never in a message, kept by the worker that hosts the client.
    case `private`
    /// Identical everywhere, never trained and never sent.
    case frozen
}

/// Parameter roles: one model layout, marked per tensor, gives the shared part algorithms aggregate,
/// the private part clients keep, and which tensors an optimiser trains.
extension ParameterLayout {
    /// The same layout with each tensor's role chosen by `role` (offsets unchanged).
    public func assigningRoles(_ role: (Entry) -> ParameterRole) -> ParameterLayout {
        var copy = self
        copy.replaceEntries(entries.map { entry in
            var marked = entry
            marked.role = role(entry)
            return marked
        })
        return copy
    }

    /// The tensors of `role`, laid out back to back in their model order (offsets into the part).
    public func part(_ role: ParameterRole) -> ParameterLayout {
        let kept = entries.filter { $0.role == role }
        let rows = Set(kept.filter(\.travelsAsRows).map(\.name))
        return ParameterLayout(kept.map { (name: $0.name, shape: $0.shape) }).assigningRoles { _ in role }.allowingRows(rows)
    }

    /// The same layout where the tables named in `tables` may travel as sparse rows (DESIGN §10).
    public func allowingRows(_ tables: Set<String>) -> ParameterLayout {
        var copy = self
        copy.replaceEntries(entries.map { entry in
            var marked = entry
            marked.travelsAsRows = tables.contains(entry.name)
            return marked
        })
        return copy
    }

    /// Scalars of the tensors with `role`.
    public func count(of role: ParameterRole) -> Int { entries.lazy.filter { $0.role == role }.map(\.count).reduce(0, +) }

    /// Scalars that are trained (shared and private; frozen tensors have no optimiser state).
    public var trainableCount: Int { totalCount - count(of: .frozen) }

    /// The values of the tensors with `role`, back to back in model order (the layout of `part(role)`).
    public func gather(_ role: ParameterRole, from flat: [Float]) -> [Float] {
        precondition(flat.count == totalCount, "flat buffer has \(flat.count) values, layout needs \(totalCount)")
        var out = [Float]()
        out.reserveCapacity(count(of: role))
        for entry in entries where entry.role == role { out += flat[entry.offset..<(entry.offset + entry.count)] }
        return out
    }

    /// Writes `values` (the layout of `part(role)`) back into the tensors with `role` of `flat`.
    public func scatter(_ role: ParameterRole, _ values: [Float], into flat: inout [Float]) {
        precondition(flat.count == totalCount && values.count == count(of: role),
                     "scatter of \(values.count) \(role) values into \(flat.count); layout needs \(count(of: role)) of \(totalCount)")
        var position = 0
        for entry in entries where entry.role == role {
            for i in 0..<entry.count { flat[entry.offset + i] = values[position + i] }
            position += entry.count
        }
    }
}

/// The part of a model that moves in a federated run: its shared tensors. Frozen tensors are rebuilt
/// from the seed by every process and private ones stay with their client (DESIGN §10). For a layout
/// whose tensors are all shared it is the layout itself, names, shapes and order unchanged.
extension ParameterLayout {
    /// Whether some tensor is frozen or private (so the travelling part is a strict subset).
    public var hasLocalTensors: Bool { entries.contains { $0.role != .shared } }

    /// The shared tensors, back to back in model order, row flags kept.
    public var travellingPart: ParameterLayout { hasLocalTensors ? part(.shared) : self }

    /// The values of the shared tensors (the layout of `travellingPart`).
    public func gatherTravelling(from flat: [Float]) -> [Float] { hasLocalTensors ? gather(.shared, from: flat) : flat }

    /// Writes `values` (the layout of `travellingPart`) into the shared tensors of `flat`.
    public func scatterTravelling(_ values: [Float], into flat: inout [Float]) {
        if hasLocalTensors { scatter(.shared, values, into: &flat) } else { flat = values }
    }

    /// The tensors of `role` as a client state (name → values), for private tensors kept by a worker.
    public func state(of role: ParameterRole, from flat: [Float]) -> [String: [Float]] {
        var state = [String: [Float]]()
        for entry in entries where entry.role == role { state[entry.name] = Array(flat[entry.offset..<(entry.offset + entry.count)]) }
        return state
    }

    /// Writes the tensors of `role` found in `state` into `flat`; returns false when one is missing or
    /// has the wrong size (the caller then keeps its own values and reports the problem).
    public func restore(_ role: ParameterRole, from state: [String: [Float]], into flat: inout [Float]) -> Bool {
        for entry in entries where entry.role == role {
            guard let values = state[entry.name], values.count == entry.count else { return false }
            for i in 0..<entry.count { flat[entry.offset + i] = values[i] }
        }
        return true
    }
}
