import FedAlgorithms
import FedCore
import FedWire
import Foundation

extension Coordinator {
    /// One round: sample, send tasks, collect until all answered or the deadline, then aggregate if
    /// the quorum answered, otherwise retry with a fresh sample.
    ///
    /// - Returns: the aggregation result, participants, failures, and seconds spent waiting for clients.
    func runRound(state: ServerState) throws -> (RoundResult, Int, Int, Double) {
        let federation = topology.federation
        var waited = 0.0
        for currentAttempt in 0...federation.maxRetries {
            attempt = currentAttempt
            promoteStandbyWorkers()
            let available = registry.availableClients
            guard !available.isEmpty else { throw RuntimeError.noWorkersLeft(round: round) }
            let sampleSize = min(federation.perRound, available.count)
            // The sample depends only on (seed, round, attempt) and the set of available clients; an
            // algorithm may ask for the sample of an earlier round of its cycle (first attempts only).
            let samplingRound = currentAttempt == 0 ? algorithm.samplingRound(for: round) : round
            var rng = RNGStream(seed: topology.seed, purpose: .sampling, round: UInt64(samplingRound) << 16 | UInt64(attempt))
            let sampled = rng.sample(sampleSize, from: available.count).map { available[$0] }
            let plan = algorithm.configureRound(round: round, clients: sampled, state: state)
            events.record("round_start", ["round": round, "attempt": attempt, "sampled": sampled.map { $0 }, "phase": plan.phase])
            let waitStart = ContinuousClock.now
            exchange(plan, awaiting: sampled)
            waited += seconds(since: waitStart)

            let needed = Self.quorumCount(quorum: federation.quorum, sampled: sampleSize)
            let failures = sampled.filter { received[$0] == nil }
            for client in failures {
                events.record("client_failed", ["round": round, "attempt": attempt, "client": client])
                stateHolder[client] = nil  // its worker may have trained and moved its state on: resend ours
            }
            if received.count >= needed {
                let updates = received.keys.sorted().compactMap { received[$0] }
                let result = algorithm.aggregate(round: round, state: state, updates: updates, failures: failures)
                for update in updates { privateStateRounds[update.clientID] = round }
                return (result, updates.count, failures.count, waited)
            }
            events.record("round_retry", ["round": round, "attempt": attempt, "answered": received.count, "needed": needed])
            if currentAttempt == federation.maxRetries {
                throw RuntimeError.quorumNotReached(round: round, attempts: currentAttempt + 1, answered: received.count, needed: needed)
            }
        }
        preconditionFailure("round loop ended without returning or throwing (round \(round))")
    }

    /// Sends a plan's tasks and receives until every client in `awaiting` answered or the round's
    /// time-out passed; the accepted updates are then in `received`.
    func exchange(_ plan: RoundPlan, awaiting clients: [Int]) {
        phase = plan.phase
        updateLayout = algorithm.updateLayout(modelLayout: workload.model.layout, phase: plan.phase)
        pending = Set(clients)
        received = [:]
        unsentTasks = plan.tasks
        taskBytes = [:]
        sendQueuedTasks()
        collectUpdates()
    }

    /// Bytes of tasks a worker may hold unanswered at once. Small tasks all go out at the start of a
    /// round as before; large ones (whole item tables to every user of an evaluation) go out as the
    /// worker answers, so neither the coordinator's queues nor the worker's hold every task at once.
    static let taskWindowBytes = 32 << 20

    /// Sends queued tasks in plan order to every worker with room in its window (at least one task
    /// each); tasks of clients no longer pending (their worker was dropped) are dropped.
    func sendQueuedTasks() {
        guard !unsentTasks.isEmpty else { return }
        var outstanding = [Int: Int]()
        for client in pending { if let bytes = taskBytes[client], let host = registry.hostOf[client] { outstanding[host, default: 0] += bytes } }
        var held = [ClientTask]()
        for task in unsentTasks {
            guard pending.contains(task.clientID), let host = registry.hostOf[task.clientID] else { continue }
            let inFlight = outstanding[host] ?? 0
            guard inFlight == 0 || inFlight < Self.taskWindowBytes else {
                held.append(task)
                continue
            }
            let before = bytesDown + bytesState
            sendTask(task, host: host)
            taskBytes[task.clientID] = max(bytesDown + bytesState - before, 1)
            outstanding[host] = inFlight + (taskBytes[task.clientID] ?? 1)
        }
        unsentTasks = held
    }

    /// Clients that must answer: ⌈quorum · sampled⌉, at least 1. The small slack keeps decimal
    /// quorums exact (0.55 · 100 is 55.000000000000007 in binary and must need 55, not 56).
    public static func quorumCount(quorum: Double, sampled: Int) -> Int {
        max(1, min(sampled, Int((quorum * Double(sampled) - 1e-9).rounded(.up))))
    }

    /// Receives until every sampled client answered or the round's time-out passed. Workers silent
    /// for a whole time-out while holding pending clients are dropped and their clients reassigned.
    func collectUpdates() {
        let timeout = Duration.milliseconds(Int(topology.federation.timeoutSeconds * 1000))
        let attemptStart = ContinuousClock.now
        let deadline = attemptStart + timeout
        while !pending.isEmpty {
            let now = ContinuousClock.now
            if now >= deadline { break }
            dropSilentWorkers(now: now, since: attemptStart, silence: timeout)
            if pending.isEmpty { break }
            let remaining = deadline - now
            let waitMs = Int32(clamping: min(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1, 100))
            do {
                try pump(timeoutMilliseconds: waitMs)
            } catch {
                events.record("receive_failed", ["reason": error.description])
            }
            sendQueuedTasks()
        }
        dropSilentWorkers(now: .now, since: attemptStart, silence: timeout)
        drainQueuedMessages()
    }

    /// Handles what is already queued before the attempt closes, so a message sent within it (a
    /// second copy of an update, say) is judged against this attempt, not the next one. Bounded, so a
    /// flood cannot hold the round open.
    func drainQueuedMessages() {
        for _ in 0..<1_000 {
            guard let frames = try? socket.receive(timeoutMilliseconds: 0) else { return }
            handle(frames)
        }
    }

    /// Drops workers that hold pending clients and have sent nothing for `silence` since this
    /// attempt's tasks went out. A slow worker that keeps answering or sending heartbeats stays.
    func dropSilentWorkers(now: ContinuousClock.Instant, since attemptStart: ContinuousClock.Instant, silence: Duration) {
        for record in registry.records where record.alive && now - max(record.lastSeen, attemptStart) >= silence {
            let waiting = record.clients.filter { pending.contains($0) }
            guard !waiting.isEmpty else { continue }
            for client in waiting { pending.remove(client) }
            for client in record.clients { stateHolder[client] = nil }
            let moves = registry.drop(record.index)
            events.record("worker_dropped", ["worker": record.name, "round": round, "silent_s": topology.federation.timeoutSeconds,
                                             "clients_moved": record.clients.count,
                                             "moved_to": moves.map { registry.records[$0.worker].name }.joined(separator: ",")])
            for move in moves {
                var assign = Fedsim_V1_AssignClients()
                assign.clientIds = move.clients.map(UInt32.init)
                send(.assign(assign), to: registry.records[move.worker].identity, receiver: registry.records[move.worker].name)
            }
        }
    }
}
