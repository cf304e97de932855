import Foundation

/// The one-line live progress display: round, percent, ETA and the latest metric.
///
/// On a terminal the line is redrawn in place; otherwise a line is printed about every tenth
/// of the run, so logs stay short.
public struct ProgressLine: Sendable {
    public let total: Int
    private let interactive: Bool
    private let start = Date()

    public init(total: Int) {
        self.total = total
        interactive = isatty(STDERR_FILENO) == 1
    }

    /// Shows progress after `round` of `total`.
    public func update(round: Int, metricName: String, metric: Double) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = round > 0 ? elapsed / Double(round) * Double(total - round) : 0
        let text = String(
            format: "[round %d/%d] %3.0f%%  elapsed %@  ETA %@  %@ %.4f",
            round, total, 100 * Double(round) / Double(max(total, 1)), Self.clock(elapsed), Self.clock(eta),
            metricName, metric)
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + (round == total ? "\n" : "")).utf8))
        } else if round == total || round == 1 || round % max(total / 10, 1) == 0 {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : String(format: "%.1fs", seconds)
    }
}
