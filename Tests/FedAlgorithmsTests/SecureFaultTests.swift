import FedAlgorithms
import FedSecure
import FedCore
import FedModels
import Testing

/// A party that goes silent, or sends a frame of the wrong length or for the wrong step, stops both
/// parties with a clear reason within the time-out (spec item 5).
@Suite struct SecureFaultTests {
    static let settings: BinnedBoosting.Settings = {
        var s = BinnedBoosting.Settings()
        s.trees = 2; s.depth = 2
        return s
    }()

    /// Trains a small model with party 1's outgoing frames passed through `tamper`; returns both errors.
    func train(timeoutSeconds: Double = 2, stopPartyOneAfter phases: Int? = nil,
               tamper: (@Sendable (ShareFrame) -> ShareFrame?)? = nil) -> [Error?] {
        let data = SecureBoostingTests.regression(rows: 200, seed: 12)
        let c = SecureBoostingTests.makeCase(features: data.features, dimension: 10, labels: data.labels, split: 5, buckets: 4,
                                             settings: Self.settings)
        let links = InMemoryPartyLink.pair(timeoutSeconds: timeoutSeconds)
        links.1.tamper = tamper
        let engines = Box(SecureFixtures.engines(seed: 3, links: links))
        let results = runBothParties(links: links) { party, _ in
            let protocolParty = try SecureBoostingParty(engine: engines.value[party], input: c.inputs[party], shape: c.shape, settings: Self.settings)
            var done = 0
            while protocolParty.phase != .finished {
                if party == 1, let phases, done >= phases { return false }  // silent: no frame, no close
                try protocolParty.advance()
                done += 1
            }
            return true
        }
        return results.map { if case let .failure(error) = $0 { return error } else { return nil } }
    }

    @Test func silentParty_stopsTheOtherAtTheTimeout() {
        let errors = train(timeoutSeconds: 1, stopPartyOneAfter: 2)
        guard case let .silent(party, seconds, _)? = errors[0] as? PartyProtocolError else {
            Issue.record("party 0 should report party 1 silent, got \(String(describing: errors[0]))"); return
        }
        #expect(party == 1 && seconds == 1)
        #expect(errors[1] == nil)
    }

    @Test func shortFrame_isRefusedWithTheStep_andStopsTheSender() {
        let errors = train { frame in
            guard frame.tag == ShareTag(tree: 0, level: 1, step: 3) else { return frame }
            var short = frame
            short.words.removeLast()
            return short
        }
        let message = String(describing: errors[0].map { "\($0)" } ?? "")
        #expect(message.contains("tree 0 level 1 step 3") && message.contains("expected"), "\(message)")
        guard case .stopped? = errors[1] as? PartyProtocolError else {
            Issue.record("party 1 should be stopped by party 0's failure, got \(String(describing: errors[1]))"); return
        }
    }

    @Test(arguments: [ShareTag(tree: 1, level: 0, step: 0), ShareTag(tree: 0, level: 0, step: 5), ShareTag(tree: 0, level: 1, step: 0)])
    func frameForAnotherStep_isRefused(wrong: ShareTag) {
        let errors = train { frame in
            guard frame.tag == ShareTag(tree: 0, level: 0, step: 4) else { return frame }
            var moved = frame
            moved.tag = wrong
            return moved
        }
        let message = errors[0].map { "\($0)" } ?? ""
        #expect(message.contains("frame is for \(wrong)"), "\(message)")
    }

    @Test func chacha20_matchesTheRFC8439BlockVector() {
        // Key bytes 00 01 … 1f as little-endian words.
        let keyWords: [UInt32] = [0x0302_0100, 0x0706_0504, 0x0B0A_0908, 0x0F0E_0D0C, 0x1312_1110, 0x1716_1514, 0x1B1A_1918, 0x1F1E_1D1C]
        let key = ChaCha20Stream.Key(words: keyWords)
        let block = ChaCha20Stream.keystreamBlock(key: key, counter: 1, nonce: (0x0900_0000, 0x4A00_0000, 0))
        let expected: [UInt32] = [0xE4E7_F110, 0x1559_3BD1, 0x1FDD_0F50, 0xC471_20A3, 0xC7F4_D1C7, 0x0368_C033, 0x9AAA_2204, 0x4E6C_D4C3,
                                  0x4664_82D2, 0x09AA_9F07, 0x05D7_C214, 0xA202_8BD9, 0xD19C_12B5, 0xB94E_16DE, 0xE883_D0CB, 0x4E3C_50A2]
        #expect(block == expected)
        var stream = ChaCha20Stream(key: key, nonce: (0x0900_0000, 0x4A00_0000, 0))
        var bulk = ChaCha20Stream(key: key, nonce: (0x0900_0000, 0x4A00_0000, 0))
        let single = (0..<37).map { _ in stream.next() }
        #expect(bulk.words(3) + bulk.words(34) == single, "bulk and word-by-word draws agree")
    }
}
