import Foundation

/// Runs a command line with a time limit and captures its output.
enum ShellCommand {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var text: String { stdout + stderr }
    }

    /// Runs `arguments` (looked up on PATH) in `directory` with extra `environment`; killed after `timeout` seconds.
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                    timeout: Double = 120) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return collect(process, out: out, err: err, timeout: timeout)
    }

    /// Reads a started process's output until it exits or `timeout` seconds pass (then it is killed,
    /// after a SIGINT and half a second if `interruptFirst`).
    static func collect(_ process: Process, out: Pipe, err: Pipe, timeout: Double, interruptFirst: Bool = false) -> Output {
        let outData = ReadBox(), errData = ReadBox()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning && interruptFirst { process.interrupt(); usleep(500_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // A background process it started may keep the pipes open; its output so far is enough.
        _ = group.wait(timeout: .now() + 5)
        return Output(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }
}
