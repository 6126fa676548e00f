import HTTP
import Foundation

/// `credential_process` in a profile: a command the AWS CLI runs (split like a shell would, but not
/// through one) whose standard output is `{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …,
/// "SessionToken": …, "Expiration": RFC 3339}`.
///
/// - SeeAlso: https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-sourcing-external.html
struct CredentialProcess {
    var command: String
    var environment: [String: String]
    var place: String

    private struct Answer: Decodable {
        var Version: Int
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var SessionToken: String?
        var Expiration: String?
    }

    func run() throws(AWSError) -> AWSCredentials {
        let arguments = Self.split(command)
        guard !arguments.isEmpty else { throw .credentials("credential_process in \(place) is empty") }
        let process = Process()
        // As the CLI does: the first word is found on PATH; no shell is involved.
        process.executableURL = URL(fileURLWithPath: arguments[0].contains("/") ? arguments[0] : "/usr/bin/env")
        process.arguments = arguments[0].contains("/") ? Array(arguments.dropFirst()) : arguments
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .credentials("credential_process in \(place) could not start \(arguments[0]): \(error.localizedDescription)")
        }
        // Read both pipes to their end before waiting, so a chatty process never blocks on a full pipe.
        let errorText = ErrorCollector(errors.fileHandleForReading)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = errorText.text().trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .credentials("credential_process in \(place) failed (exit \(process.terminationStatus))"
                + (stderr.isEmpty ? "" : ": \(stderr.prefix(500))"))
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw .credentials("credential_process in \(place) did not print the expected JSON")
        }
        guard answer.Version == 1 else {
            throw .credentials("credential_process in \(place) printed Version \(answer.Version); only 1 is supported")
        }
        guard let key = answer.AccessKeyId, let secret = answer.SecretAccessKey else {
            throw .credentials("credential_process in \(place) printed no AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = answer.Expiration {
            guard let parsed = RFC3339.parse(text) else {
                throw .credentials("credential_process in \(place) printed Expiration \(text), not an RFC 3339 instant")
            }
            expiration = parsed
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: answer.SessionToken,
                              expiration: expiration, source: "credential_process (\(place))")
    }

    /// Splits a command line as POSIX `shlex.split` does: spaces separate words, single quotes keep
    /// everything, double quotes keep all but `\"` and `\\`, a backslash outside quotes escapes one character.
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch (quote, character) {
            case (nil, "\\"), ("\"", "\\"):
                escaped = true
                inWord = true
            case (nil, "'"), (nil, "\""):
                quote = character
                inWord = true
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case (nil, " "), (nil, "\t"), (nil, "\n"):
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class ErrorCollector: @unchecked Sendable {  // `data` is written once, before `done` is signalled
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
