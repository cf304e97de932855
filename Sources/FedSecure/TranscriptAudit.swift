/// The leakage audit (spec §2.4.9, §2.6 test 6) over both parties' transcripts: which values left
/// which party, checked against what the protocol allows to be opened.
///
/// - Masked openings (Beaver, AND, comparison, bit conversion, bucket sums, bucket map, input
///   shares) must look uniform: about half their bits set. A plain value (a gradient, a bucket
///   index, a mask bit) sent by mistake has mostly zero high bits and fails this.
/// - Owner bits: one per internal node, each 0/1, sent by both parties.
/// - Split indices go to the owner only: each party sends exactly as many as the other owns.
/// - Predictions go to the label holder only: party 0 never sends its share of them.
public enum TranscriptAudit {
    /// Purposes whose words are uniformly masked.
    public static let masked: Set<OpenPurpose> = [.beaverMasked, .andMasked, .comparisonMasked, .bitConversionMasked,
                                                  .bucketSumMasked, .bucketMapMasked, .inputShare]

    /// Violations found in the two transcripts (empty: the run opened only what the spec allows).
    /// `ownerCounts[p]`: nodes owned by party p over the whole run; `internalNodes`: trees × (2^D − 1).
    public static func violations(_ transcripts: [Transcript], ownerCounts: [Int], internalNodes: Int) -> [String] {
        precondition(transcripts.count == 2 && ownerCounts.count == 2, "two parties' transcripts")
        var problems = [String]()
        for purpose in masked {
            var ones = 0, words = 0
            for transcript in transcripts {
                for entry in transcript.entries where entry.sent && entry.purpose == purpose {
                    ones += entry.onesCount
                    words += entry.count
                }
            }
            if words >= 64 {
                let fraction = Double(ones) / Double(64 * words)
                if abs(fraction - 0.5) > 0.02 { problems.append("\(purpose.rawValue): \(words) words with \(fraction) of bits set, not uniform") }
            }
        }
        for (party, transcript) in transcripts.enumerated() {
            let sent = transcript.entries.filter(\.sent)
            let owners = sent.filter { $0.purpose == .ownerBit }.reduce(0) { $0 + $1.count }
            if owners != internalNodes { problems.append("party \(party) sent \(owners) owner bits for \(internalNodes) nodes") }
            let indices = sent.filter { $0.purpose == .splitIndexToOwner }.reduce(0) { $0 + $1.count }
            if indices != ownerCounts[1 - party] {
                problems.append("party \(party) sent \(indices) split-index shares, but party \(1 - party) owns \(ownerCounts[1 - party]) nodes")
            }
            if party == 0, sent.contains(where: { $0.purpose == .predictionToLabelHolder }) {
                problems.append("party 0 sent its share of the predictions")
            }
        }
        return problems
    }
}
