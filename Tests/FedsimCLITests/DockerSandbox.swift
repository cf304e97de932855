import FedTestSupport
import Foundation

/// A private Docker engine (scripts/docker-engine.sh: own socket, state, containerd namespace; no
/// iptables rules, no default bridge) holding the fedsim image built offline from the binary under
/// test (scripts/docker-image.sh). `stop()` removes the engine and everything it made.
final class DockerSandbox {
    static let engineScript = Fixtures.path("scripts/docker-engine.sh")
    static let imageScript = Fixtures.path("scripts/docker-image.sh")
    static let image = "fedsim:test"

    /// Whether an engine can run here, or why not (printed as the skip reason).
    static let availability: (ok: Bool, reason: String) = {
        guard getuid() == 0 else { return (false, "the Docker engine needs root") }
        for tool in ["dockerd", "docker", "docker-compose", "containerd", "runc"] {
            guard (try? ShellCommand.run(["which", tool]).status) == 0 else {
                return (false, "\(tool) is not installed (apt-get install docker.io containerd runc docker-compose)")
            }
        }
        do {
            let probe = try DockerSandbox(buildImage: false)
            probe.stop()
            return (true, "")
        } catch {
            return (false, "the Docker engine did not start: \(error)")
        }
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: String
    let host: String

    /// Starts the engine and (unless `buildImage` is false) builds the image from the test build's fedsim.
    init(buildImage: Bool = true) throws {
        // Unix socket paths are short (108 bytes): keep the state directory near the root.
        var template = Array("/tmp/fsd.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "mkdtemp failed") }
        directory = String(cString: made)
        let started = try ShellCommand.run(["bash", Self.engineScript, "start", directory], timeout: 60)
        guard started.status == 0 else {
            _ = try? ShellCommand.run(["bash", Self.engineScript, "stop", directory], timeout: 60)
            throw Failure(description: started.text)
        }
        host = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if buildImage {
            let built = try ShellCommand.run(["bash", Self.imageScript, "--binary", CLIHarness.executable, "--tag", Self.image],
                                             environment: ["DOCKER_HOST": host], timeout: 120)
            guard built.status == 0 else {
                stop()
                throw Failure(description: "image build failed: \(built.text)")
            }
        }
    }

    /// Stops the engine and removes its containers, networks, mounts and state.
    func stop() {
        _ = try? ShellCommand.run(["bash", Self.engineScript, "stop", directory], timeout: 90)
    }

    func docker(_ arguments: [String], timeout: Double = 60) throws -> ShellCommand.Output {
        try ShellCommand.run(["docker"] + arguments, environment: ["DOCKER_HOST": host], timeout: timeout)
    }

    /// `docker-compose -p project -f docker-compose.yml arguments...` from the repository root, with
    /// the compose file's settings in `settings` (FEDSIM_TOPOLOGY, FEDSIM_WORKERS, ...).
    func compose(project: String, _ arguments: [String], settings: [String: String], timeout: Double = 120) throws
        -> ShellCommand.Output {
        var environment = settings
        environment["DOCKER_HOST"] = host
        environment["FEDSIM_IMAGE"] = Self.image
        return try ShellCommand.run(["docker-compose", "-p", project, "-f", Fixtures.path("docker-compose.yml")] + arguments,
                                    environment: environment, directory: Fixtures.repositoryRoot.path, timeout: timeout)
    }

    /// Waits for a container to exit; returns its exit code (nil if it did not exit in time).
    func waitForExit(_ container: String, timeout: Double) throws -> Int32? {
        let waited = try docker(["wait", container], timeout: timeout)
        return waited.status == 0 ? Int32(waited.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }

    /// The host pid of the fedsim process inside a container (the child of its init process).
    func fedsimPID(in container: String) throws -> Int32? {
        let initPID = try docker(["inspect", "-f", "{{.State.Pid}}", container]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try ShellCommand.run(["pgrep", "-P", initPID]).stdout
        return children.split(separator: "\n").first.flatMap { Int32($0) }
    }
}
