import Foundation

/// A kubeconfig `exec` credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`), such as
/// `aws eks get-token` or `fargate-cron token`. Its token is cached until its `expirationTimestamp`
/// (less a minute), or until a 401 when it gives none.
public actor ExecPlugin: CredentialSource {
    private let config: Kubeconfig.ExecConfig
    private let environment: [String: String]
    private let directory: String
    private var cached: (token: String, expiration: Date?)?
    public nonisolated let identity: String

    static let supportedVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    /// Creates a plugin runner.
    /// - Throws: ``KubernetesError/configuration(_:)`` for an unsupported `apiVersion`.
    public init(config: Kubeconfig.ExecConfig, environment: [String: String], identity: String, directory: String) throws(KubernetesError) {
        guard Self.supportedVersions.contains(config.apiVersion) else {
            throw .configuration("exec plugin \(config.command): apiVersion \(config.apiVersion) is not supported (use \(Self.supportedVersions.joined(separator: " or ")))")
        }
        self.config = config
        self.environment = environment
        self.directory = directory
        self.identity = "\(identity) via exec plugin \(config.command)"
    }

    private struct ExecCredential: Decodable {
        struct Status: Decodable {
            var token: String?
            var expirationTimestamp: Date?
        }
        var apiVersion: String?
        var status: Status?
    }

    public func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String? {
        if !refreshing, let cached, cached.expiration.map({ $0.timeIntervalSinceNow > 60 }) ?? true {
            return "Bearer \(cached.token)"
        }
        let output = try await run()
        let credential: ExecCredential
        do {
            credential = try KubernetesJSON.decoder.decode(ExecCredential.self, from: output)
        } catch {
            throw .credentials("exec plugin \(config.command) printed no ExecCredential: \(error)")
        }
        guard let token = credential.status?.token, !token.isEmpty else {
            throw .credentials("exec plugin \(config.command) gave no token (client certificates from plugins are not supported)")
        }
        cached = (token, credential.status?.expirationTimestamp)
        return "Bearer \(token)"
    }

    private func run() async throws(KubernetesError) -> Data {
        let process = Process()
        let command = config.command
        if command.contains("/") {
            process.executableURL = URL(fileURLWithPath: command.hasPrefix("/") ? command : "\(directory)/\(command)")
            process.arguments = config.args ?? []
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + (config.args ?? [])
        }
        var env = environment
        for entry in config.env ?? [] { env[entry.name] = entry.value }
        env["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(config.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let outcome: (status: Int32, output: Data, errors: Data)
        do {
            outcome = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in
                    let output = stdout.fileHandleForReading.readDataToEndOfFile()
                    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
                    continuation.resume(returning: (finished.terminationStatus, output, errors))
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } catch {
            throw .credentials("cannot run exec plugin \(command): \(error.localizedDescription)")
        }
        guard outcome.status == 0 else {
            let message = String(decoding: outcome.errors.prefix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .credentials("exec plugin \(command) exited with status \(outcome.status): \(message)")
        }
        return outcome.output
    }
}
