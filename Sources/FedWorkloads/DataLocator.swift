import Foundation

/// Finds the bundled data files (`data/<name>/...`) wherever FedSim is run from.
///
/// Looks, in order, in `$FEDSIM_DATA_DIR`, `./data`, and a `data/` folder beside or above the
/// topology file and the running executable (so `.build/release/fedsim` finds the repository's copy).
public enum DataLocator {
    /// The absolute path of `relative` (e.g. `digits/digits.csv`), or nil with the places searched.
    public static func locate(_ relative: String, topologyFile: String?) -> (path: String?, searched: [String]) {
        var roots = [String]()
        if let override = ProcessInfo.processInfo.environment["FEDSIM_DATA_DIR"] { roots.append(override) }
        roots.append(FileManager.default.currentDirectoryPath + "/data")
        var starts = [String]()
        if let topologyFile { starts.append(URL(fileURLWithPath: topologyFile).deletingLastPathComponent().path) }
        if let executable = executablePath() { starts.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path) }
        for start in starts {
            var directory = URL(fileURLWithPath: start)
            for _ in 0..<6 {
                roots.append(directory.appendingPathComponent("data").path)
                directory.deleteLastPathComponent()
            }
        }
        for root in roots {
            let candidate = root + "/" + relative
            if FileManager.default.isReadableFile(atPath: candidate) { return (candidate, roots) }
        }
        return (nil, roots)
    }

    /// The running executable's path (`/proc/self/exe` on Linux).
    public static func executablePath() -> String? {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return CommandLine.arguments.first.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
}
