import Glibc
import Scheduler

/// The host's `sendmail`-compatible command, which takes a message on its standard input and the
/// recipients from its headers (`-t`), as cron hands its mail over.
public struct Sendmail: Hashable, Sendable {
    /// cronie's command (`/usr/sbin/sendmail … -oi -t`): `-t` reads the recipients from `To:`,
    /// `-oi` keeps a line holding only `.` in a job's output from ending the message early.
    public static let defaultCommand = "/usr/sbin/sendmail -oi -t"

    /// The command line, run by `/bin/sh -c` with the message on its standard input.
    public var command: String
    /// How long it may take (an MTA that cannot connect must not hold the daemon's alerts forever).
    public var timeout: Duration

    /// - Parameters:
    ///   - command: the command line (`--sendmail`, `FARGATE_CRON_SENDMAIL`).
    ///   - timeout: how long it may take before it is stopped (somewhat arbitrarily a minute: an
    ///     MTA handing over to a smarthost may wait for it, one that queues answers at once).
    public init(command: String = Sendmail.defaultCommand, timeout: Duration = .seconds(60)) {
        self.command = command
        self.timeout = timeout
    }

    /// The program the command starts: its first word.
    public var program: String { command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? "" }

    /// Why the command cannot be run on this host, or `nil` if its program is there and executable.
    /// A bare name is looked for in `path` as the shell would.
    /// - Parameter path: the `PATH` the command runs with.
    public func problem(path: String) -> String? {
        let program = self.program
        guard !program.isEmpty else { return "the sendmail command is empty" }
        if program.contains("/") {
            return access(program, X_OK) == 0 ? nil : "\(program) is not there or not executable (\(String(cString: strerror(errno))))"
        }
        let found = path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
        return found ? nil : "no \(program) in PATH (\(path))"
    }

    /// Hands `message` over; returns once the command has taken it.
    /// - Parameter environment: the command's whole environment (`PATH` at least).
    /// - Throws: `MailError` when it cannot be started, fails or is stopped at its bound; its
    ///   message holds the command's own last words.
    public func send(_ message: MailMessage, environment: [String: String]) async throws(MailError) {
        let result: HostCommand.Result
        do {
            result = try await HostCommand(
                command: command, environment: environment, input: Array(message.text.utf8), timeout: timeout
            ).run()
        } catch {
            throw MailError(command: command, reason: error.cause, output: [])
        }
        switch result.outcome {
        case .succeeded: return
        case .failed(_, let reason), .cancelled(let reason):
            throw MailError(command: command, reason: reason, output: result.output.text)
        }
    }
}

/// A mail that was not handed over.
public struct MailError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The sendmail command line.
    public var command: String
    /// How it failed (`exited with status 78`, `timed out after 60 s …`).
    public var reason: String
    /// What the command wrote (its last lines).
    public var output: [String]

    public var description: String {
        let said = output.isEmpty ? "" : ": " + output.joined(separator: " / ")
        return "\(command) \(reason)\(said)"
    }
}
