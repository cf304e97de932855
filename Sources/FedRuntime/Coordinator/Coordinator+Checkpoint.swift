import FedAlgorithms
import FedCore
import FedReport
import Foundation

extension Coordinator {
    /// Prefix of the extra server buffers stored in a checkpoint beside the model tensors.
    static let extraPrefix = "extra:"
    /// Prefix of client state buffers in a checkpoint: `client:<id>:<key>`.
    static let clientPrefix = "client:"
    /// Prefix of each client's last accepted round (where its private state continues from).
    static let privateRoundPrefix = "private_round:"

    /// Whether a checkpoint entry is one of the model's tensors (not server, client or round bookkeeping).
    static func isModelEntry(_ name: String) -> Bool {
        !name.hasPrefix(extraPrefix) && !name.hasPrefix(clientPrefix) && !name.hasPrefix(privateRoundPrefix)
    }

    /// Where the run starts: round 0 with the initial model, or the checkpoint's round and state.
    ///
    /// Every draw of round r depends only on (seed, r, client), so a run resumed after round r
    /// continues exactly as the uninterrupted run would have.
    /// Whether two layouts hold the same tensors at the same places (roles are the algorithm's view,
    /// not part of the file).
    static func sameTensors(_ a: [ParameterLayout.Entry], _ b: [ParameterLayout.Entry]) -> Bool {
        a.map(\.name) == b.map(\.name) && a.map(\.shape) == b.map(\.shape) && a.map(\.offset) == b.map(\.offset)
    }

    func resumePoint() throws -> ResumePoint {
        let initial = algorithm.initialState(parameters: workload.initialParameters(seed: topology.seed))
        guard options.resume else { return ResumePoint(round: 0, state: initial, keptRows: 0, unwrittenRow: nil) }
        let path = runDirectory.path(RunDirectory.File.checkpoint)
        guard FileManager.default.fileExists(atPath: path) else {
            events.record("resume_without_checkpoint", ["path": path])
            return ResumePoint(round: 0, state: initial, keptRows: 0, unwrittenRow: nil)
        }
        let contents = try ModelFile.decode(Data(contentsOf: URL(fileURLWithPath: path)))
        let modelLayout = workload.model.layout
        let modelEntries = contents.layout.entries.filter { Self.isModelEntry($0.name) }
        guard contents.algorithm == algorithm.name, Self.sameTensors(modelEntries, modelLayout.entries) else {
            throw RuntimeError.setupFailed(reason: "the checkpoint in \(runDirectory.url.path) was written by '\(contents.algorithm)' "
                                            + "for another model; it does not match this topology")
        }
        var state = initial
        state.parameters = Array(contents.parameters[0..<modelLayout.totalCount])
        for entry in contents.layout.entries where entry.name.hasPrefix(Self.extraPrefix) {
            state.extras[String(entry.name.dropFirst(Self.extraPrefix.count))] =
                Array(contents.parameters[entry.offset..<(entry.offset + entry.count)])
        }
        try restoreClientStates(from: contents)
        for entry in contents.layout.entries where entry.name.hasPrefix(Self.privateRoundPrefix) {
            guard let client = Int(entry.name.dropFirst(Self.privateRoundPrefix.count)), client >= 0,
                  client < topology.federation.clients, entry.count == 1 else {
                throw ModelFile.FormatError(reason: "bad private round entry '\(entry.name)'")
            }
            privateStateRounds[client] = Int(contents.parameters[entry.offset])
        }
        events.record("resumed", ["round": contents.round])
        // Rows are written one round late (evaluation overlaps the next round), so the checkpoint's
        // round may have no row yet; the checkpoint carries that row's metrics for this case.
        let written = RoundRecorder.rows(of: runDirectory.path(RunDirectory.File.metrics), through: contents.round)
        let hasRow = written.contains { $0.split(separator: ",").first.flatMap { Int($0) } == contents.round }
        let row = hasRow || contents.rowMetrics.isEmpty ? nil
            : RoundRecorder.Row(metrics: contents.rowMetrics, roundSeconds: contents.rowMetrics["round_s"] ?? .nan,
                                coordinatorSeconds: contents.rowMetrics["coordinator_s"] ?? .nan)
        return ResumePoint(round: contents.round, state: state, keptRows: contents.round, unwrittenRow: row)
    }

    /// Fills `clientStates` from a checkpoint's `client:<id>:<key>` entries.
    func restoreClientStates(from contents: ModelFile.Contents) throws {
        for entry in contents.layout.entries where entry.name.hasPrefix(Self.clientPrefix) {
            let parts = entry.name.dropFirst(Self.clientPrefix.count).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let client = Int(parts[0]), client >= 0, client < topology.federation.clients else {
                throw ModelFile.FormatError(reason: "bad client state entry '\(entry.name)'")
            }
            clientStates[client, default: [:]][String(parts[1])] = Array(contents.parameters[entry.offset..<(entry.offset + entry.count)])
        }
    }

    /// Where a decentralized run starts: iteration 0, or the checkpoint's iteration with every peer's
    /// state restored into `clientStates` (and the network average of that iteration).
    func peerResumePoint() throws -> (iteration: Int, average: [Float]) {
        let initial = workload.initialParameters(seed: topology.seed)
        guard options.resume else { return (0, initial) }
        let path = runDirectory.path(RunDirectory.File.checkpoint)
        guard FileManager.default.fileExists(atPath: path) else {
            events.record("resume_without_checkpoint", ["path": path])
            return (0, initial)
        }
        let contents = try ModelFile.decode(Data(contentsOf: URL(fileURLWithPath: path)))
        let modelLayout = workload.model.layout
        let modelEntries = contents.layout.entries.filter { Self.isModelEntry($0.name) }
        guard contents.algorithm == peerAlgorithm?.name, Self.sameTensors(modelEntries, modelLayout.entries) else {
            throw RuntimeError.setupFailed(reason: "the checkpoint in \(runDirectory.url.path) was written by '\(contents.algorithm)' "
                                            + "for another model; it does not match this topology")
        }
        try restoreClientStates(from: contents)
        guard clientStates.count == topology.federation.clients else {
            throw RuntimeError.setupFailed(reason: "the checkpoint holds \(clientStates.count) peer states, the graph has "
                                            + "\(topology.federation.clients) peers")
        }
        events.record("resumed", ["round": contents.round])
        return (contents.round, Array(contents.parameters[0..<modelLayout.totalCount]))
    }

    /// Where a (possibly resumed) run starts.
    struct ResumePoint {
        var round: Int
        var state: ServerState
        /// Metrics rows up to this round are kept from the earlier run.
        var keptRows: Int
        /// The checkpoint round's row, when the earlier run never wrote it.
        var unwrittenRow: RoundRecorder.Row?
    }

    /// Writes the server state (model plus extra buffers) and the round's metrics row, atomically.
    func writeCheckpoint(_ state: ServerState, row: RoundRecorder.Row?) throws {
        var specs = workload.model.layout.entries.map { (name: $0.name, shape: $0.shape) }
        var values = state.parameters
        for key in state.extras.keys.sorted() {
            guard let buffer = state.extras[key], !buffer.isEmpty else { continue }
            specs.append((Self.extraPrefix + key, [buffer.count]))
            values += buffer
        }
        for client in clientStates.keys.sorted() {
            guard let buffers = clientStates[client] else { continue }
            for key in buffers.keys.sorted() {
                guard let buffer = buffers[key], !buffer.isEmpty else { continue }
                specs.append(("\(Self.clientPrefix)\(client):\(key)", [buffer.count]))
                values += buffer
            }
        }
        for client in privateStateRounds.keys.sorted() {
            // Round numbers are exact in Float32 up to 2^24.
            specs.append(("\(Self.privateRoundPrefix)\(client)", [1]))
            values.append(Float(privateStateRounds[client] ?? 0))
        }
        var rowMetrics = row?.metrics ?? [:]
        rowMetrics["round_s"] = row?.roundSeconds
        rowMetrics["coordinator_s"] = row?.coordinatorSeconds
        let data = ModelFile.encode(parameters: values, layout: ParameterLayout(specs), round: round,
                                    algorithm: starAlgorithm?.name ?? peerAlgorithm?.name ?? "", rowMetrics: rowMetrics)
        try runDirectory.writeAtomically(RunDirectory.File.checkpoint, data)
    }
}
