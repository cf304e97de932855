import FedAlgorithms
import FedCore
import Foundation

/// The private state of the clients a worker hosts (DESIGN §10): tensors that never appear in any
/// message. After every task the worker keeps the client's new state under the task's round, in
/// memory and (with a directory) in a file of its own; the next task names the round of the
/// client's last accepted update, and the client continues from the state saved then.
///
/// So a retried round restarts from the same state, a resumed run continues from the files, and a
/// client moved to another worker continues when the workers share the directory (every local run
/// does; across hosts, mount one volume). Files: `<dir>/client-<id>/round-<r>.state`, written
/// atomically; older rounds are deleted once a task names a newer one (the coordinator has then
/// checkpointed past them).
final class PrivateStateStore {
    let directory: String?
    private var saved = [Int: [Int: ClientState]]()

    init(directory: String?) { self.directory = directory }

    /// The state `client` had after `round` (empty for round 0, before its first accepted update).
    func load(client: Int, round: Int) throws(RuntimeError) -> ClientState {
        if round == 0 { return [:] }
        if let state = saved[client]?[round] { return state }
        guard let path = path(client: client, round: round), let data = FileManager.default.contents(atPath: path) else {
            throw .privateStateMissing(client: client, round: round, directory: directory)
        }
        do {
            let contents = try ModelFile.decode(data)
            var state = ClientState()
            for entry in contents.layout.entries { state[entry.name] = Array(contents.parameters[entry.offset..<(entry.offset + entry.count)]) }
            saved[client, default: [:]][round] = state
            return state
        } catch {
            throw .privateStateMissing(client: client, round: round, directory: "\(path) is unreadable (\(error))")
        }
    }

    /// Keeps `state` as the client's state after `round`, and forgets rounds before `keptFrom`.
    func save(_ state: ClientState, client: Int, round: Int, keptFrom: Int) throws {
        saved[client, default: [:]][round] = state
        for old in (saved[client] ?? [:]).keys where old < keptFrom && old != round { saved[client]?[old] = nil }
        guard let directory, let target = path(client: client, round: round) else { return }
        let folder = "\(directory)/client-\(client)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let keys = state.keys.sorted().filter { !(state[$0] ?? []).isEmpty }
        let layout = ParameterLayout(keys.map { (name: $0, shape: [state[$0]?.count ?? 0]) })
        let data = ModelFile.encode(parameters: keys.flatMap { state[$0] ?? [] }, layout: layout, round: round, algorithm: "private-state")
        let temporary = "\(folder)/.round-\(round).tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, target) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target]) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            guard name.hasPrefix("round-"), name.hasSuffix(".state"),
                  let old = Int(name.dropFirst(6).dropLast(6)), old < keptFrom, old != round else { continue }
            try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
        }
    }

    private func path(client: Int, round: Int) -> String? {
        directory.map { "\($0)/client-\(client)/round-\(round).state" }
    }
}
