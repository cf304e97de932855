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

/// The part of a model that moves in a federated run: everything but its frozen tensors, which every
/// process rebuilds from the seed (DESIGN §10). For a layout without frozen tensors it is the
/// layout itself, names, shapes and order unchanged.
extension ParameterLayout {
    public var hasFrozen: Bool { entries.contains { $0.role == .frozen } }

    /// The tensors that are not frozen, back to back in model order, roles and row flags kept.
    public var unfrozenPart: ParameterLayout {
        guard hasFrozen else { return self }
        let kept = entries.filter { $0.role != .frozen }
        let roles = Dictionary(uniqueKeysWithValues: kept.map { ($0.name, $0.role) })
        return ParameterLayout(kept.map { (name: $0.name, shape: $0.shape) }).assigningRoles { roles[$0.name] ?? .shared }
            .allowingRows(Set(kept.filter(\.travelsAsRows).map(\.name)))
    }

    /// The values of the tensors that are not frozen (the layout of `unfrozenPart`).
    public func gatherUnfrozen(from flat: [Float]) -> [Float] {
        guard hasFrozen else { return flat }
        var out = [Float]()
        out.reserveCapacity(totalCount - count(of: .frozen))
        for entry in entries where entry.role != .frozen { out += flat[entry.offset..<(entry.offset + entry.count)] }
        return out
    }

    /// Writes `values` (the layout of `unfrozenPart`) into the tensors of `flat` that are not frozen.
    public func scatterUnfrozen(_ values: [Float], into flat: inout [Float]) {
        guard hasFrozen else { flat = values; return }
        precondition(values.count == totalCount - count(of: .frozen), "\(values.count) values for \(totalCount - count(of: .frozen)) unfrozen scalars")
        var position = 0
        for entry in entries where entry.role != .frozen {
            for i in 0..<entry.count { flat[entry.offset + i] = values[position + i] }
            position += entry.count
        }
    }
}
