import FedTestSupport
import Foundation
import Testing

/// docker-compose.yml and deploy/kubernetes/ checked offline (scripts/validate-deploy.sh): against
/// docker-compose 1.x, the Compose-spec schema, the Kubernetes schemas, and the fedsim command line
/// they call. Altered copies must fail with the reason. Needs PyPI once for the validators.
enum DeploymentValidation {
    static let script = Fixtures.path("scripts/validate-deploy.sh")

    static func validate(root: String? = nil) throws -> ShellCommand.Output {
        try ShellCommand.run(["bash", script, CLIHarness.executable] + (root.map { [$0] } ?? []), timeout: 300)
    }

    /// The shipped files' result, or nil with the reason when the validators cannot be installed.
    static let shipped: (output: ShellCommand.Output?, reason: String) = {
        guard let output = try? validate() else { return (nil, "cannot run \(script)") }
        if output.status == 3 { return (nil, "validators unavailable: \(output.stderr)") }
        return (output, "")
    }()
}

@Suite(.enabled(if: DeploymentValidation.shipped.output != nil, Comment(rawValue: DeploymentValidation.shipped.reason)))
struct DeploymentFilesTests {
    @Test func shippedComposeAndKubernetesFiles_validate() throws {
        let output = try #require(DeploymentValidation.shipped.output)
        #expect(output.status == 0, "\(output.text)")
        #expect(output.stdout.contains("kubernetes schemas: ok"))
        #expect(output.stdout.contains("commands, ports, topology and replicas: ok"))
    }

    struct Alteration: CustomTestStringConvertible, Sendable {
        let file: String
        let from: String
        let to: String
        let expected: String
        var testDescription: String { "\(file): \(from) → \(to)" }
    }

    @Test(arguments: [
        Alteration(file: "deploy/kubernetes/workers.yaml", from: "--coordinator-timeout", to: "--coordinator-timout",
                   expected: "fedsim worker has no option --coordinator-timout"),
        Alteration(file: "deploy/kubernetes/workers.yaml", from: "replicas: 2", to: "replicas: 3",
                   expected: "the StatefulSet has 3 replicas"),
        Alteration(file: "deploy/kubernetes/coordinator.yaml", from: "replicas: 1", to: "replicas: one",
                   expected: "is not of type"),
        Alteration(file: "deploy/kubernetes/coordinator.yaml", from: "targetPort: 5555", to: "targetPort: 5556",
                   expected: "the coordinator Service targets port 5556"),
        Alteration(file: "deploy/kubernetes/topology-configmap.yaml", from: "rounds: 60", to: "rounds: -3",
                   expected: "the topology does not validate"),
        Alteration(file: "docker-compose.yml", from: "  init: true\n", to: "  init: true\n  bogus_key: 1\n",
                   expected: "bogus_key"),
        Alteration(file: "docker-compose.yml", from: "tcp://coordinator:5555", to: "tcp://coordinator:5556",
                   expected: "workers connect to tcp://coordinator:5556"),
    ])
    func alteredDeploymentFile_isRejectedWithTheReason(_ alteration: Alteration) throws {
        let root = Fixtures.temporaryDirectory("deploy-copy")
        try FileManager.default.createDirectory(atPath: root + "/deploy", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("deploy/kubernetes"), toPath: root + "/deploy/kubernetes")
        try FileManager.default.copyItem(atPath: Fixtures.path("docker-compose.yml"), toPath: root + "/docker-compose.yml")
        let path = root + "/" + alteration.file
        let original = try String(contentsOfFile: path, encoding: .utf8)
        try #require(original.contains(alteration.from), "the fixture no longer contains \(alteration.from)")
        try original.replacingOccurrences(of: alteration.from, with: alteration.to).write(toFile: path, atomically: true, encoding: .utf8)
        let output = try DeploymentValidation.validate(root: root)
        #expect(output.status != 0)
        #expect(output.text.contains(alteration.expected), "\(output.text)")
    }
}
