@testable import FedRuntime
import Testing

/// Client placement: initial deal, moves after a death, and standby workers taking over.
@Suite struct WorkerRegistryTests {
    /// A registry of `names` (joined in that order), all ready, with `clients` dealt.
    func registry(_ names: [String], clients: Int) -> WorkerRegistry {
        var registry = WorkerRegistry()
        for name in names { _ = registry.add(identity: Array(name.utf8), name: name, now: .now) }
        for index in 0..<names.count { registry.markReady(index) }
        registry.assignClients(count: clients)
        return registry
    }

    /// Adds a worker after the deal (a restarted process) and marks it ready.
    func addStandby(_ registry: inout WorkerRegistry, _ name: String) -> Int {
        let index = registry.add(identity: Array(name.utf8), name: name, now: .now)!
        registry.markReady(index)
        return index
    }

    func invariantsHold(_ registry: WorkerRegistry, clients: Int) -> Bool {
        let hosted = registry.records.filter(\.alive).flatMap(\.clients)
        return hosted.count == Set(hosted).count && Set(hosted) == Set(0..<clients)
            && registry.availableClients == Array(0..<clients)
            && registry.records.allSatisfy { record in record.clients.allSatisfy { registry.hostOf[$0] == record.index } }
    }

    @Test func initialDeal_followsNameOrder_notJoinOrder() {
        let joinedAB = registry(["b", "a"], clients: 5)
        #expect(joinedAB.records[1].clients == [0, 2, 4])  // "a" joined second but deals first
        #expect(joinedAB.records[0].clients == [1, 3])
    }

    @Test func drop_withoutStandby_dealsTheClientsOverTheSurvivors() {
        var registry = registry(["a", "b", "c"], clients: 9)
        let moves = registry.drop(1)
        #expect(moves.map(\.worker) == [0, 2])
        #expect(moves.flatMap(\.clients).sorted() == [1, 4, 7])
        #expect(invariantsHold(registry, clients: 9))
    }

    @Test func drop_withAStandby_givesItEveryClientOfTheDeadWorker() {
        var registry = registry(["a", "b"], clients: 8)
        let standby = addStandby(&registry, "b-restarted")
        #expect(registry.standbyWorkers == [standby])
        let moves = registry.drop(1)
        #expect(moves.count == 1 && moves[0].worker == standby && moves[0].clients == [1, 3, 5, 7])
        #expect(registry.standbyWorkers.isEmpty)
        #expect(invariantsHold(registry, clients: 8))
    }

    @Test func promote_takesAFairShare_fromTheBusiestWorkers() {
        var registry = registry(["a", "b"], clients: 10)
        _ = registry.drop(1)  // "a" now hosts all ten
        let standby = addStandby(&registry, "c")
        let taken = registry.promote(standby)
        #expect(taken == [5, 6, 7, 8, 9])  // ⌊10 / 2⌋ of a's highest ids
        #expect(registry.records[0].clients.count == 5)
        #expect(invariantsHold(registry, clients: 10))
    }

    @Test func promote_afterEveryWorkerDied_restoresTheClientsWithoutAHost() {
        var registry = registry(["a"], clients: 4)
        _ = registry.drop(0)
        #expect(registry.availableClients.isEmpty)
        let standby = addStandby(&registry, "a-restarted")
        #expect(registry.promote(standby) == [0, 1, 2, 3])
        #expect(invariantsHold(registry, clients: 4))
    }

    @Test func workerStillSettingUp_takesNoClientsWhenAnotherDies() {
        var registry = registry(["a", "b"], clients: 6)
        _ = registry.add(identity: Array("late".utf8), name: "late", now: .now)  // not ready yet
        let moves = registry.drop(0)
        #expect(moves.map(\.worker) == [1])
        #expect(invariantsHold(registry, clients: 6))
    }
}
