public import Foundation

/// A request on the daemon's control socket: one JSON object on one line.
public struct ControlRequest: Hashable, Sendable, Codable {
    /// What is asked.
    public enum Command: String, Hashable, Sendable, Codable {
        case status, trigger
        /// A garbage-collection sweep of the cluster (`fargate-cron gc`).
        case gc
    }
    public var command: Command
    /// The job, for `trigger`.
    public var job: String?
    /// For `gc`: only say what would be deleted.
    public var dryRun: Bool?

    public init(command: Command, job: String? = nil, dryRun: Bool? = nil) {
        self.command = command
        self.job = job
        self.dryRun = dryRun
    }
    /// Every job's status.
    public static let status = ControlRequest(command: .status)
    /// A run of `job` now.
    public static func trigger(_ job: String) -> ControlRequest { ControlRequest(command: .trigger, job: job) }
    /// A sweep, or with `dryRun` the list of what a sweep would delete.
    public static func gc(dryRun: Bool) -> ControlRequest { ControlRequest(command: .gc, dryRun: dryRun) }
}

/// The daemon's answer: one JSON object on one line.
public struct ControlResponse: Hashable, Sendable, Codable {
    /// Whether the request was understood and carried out.
    public var ok: Bool
    /// Why not, when `ok` is false.
    public var error: String?
    /// For `status`.
    public var jobs: [JobStatus]?
    /// For `trigger`.
    public var trigger: TriggerResult?
    /// For `gc`: what was deleted (or would be), one object a line (`pod NAMESPACE/NAME: why`).
    public var deleted: [String]?
    /// For `gc`: what went wrong, one error a line.
    public var errors: [String]?
    /// For `status`: pods of ours that finished but still exist (Fargate bills them), one a line.
    public var finishedPods: [String]?
    /// For `status`, with several hosts (`--lease`): `leader`, or `standby, leader HOST`.
    public var leadership: String?

    public init(
        ok: Bool, error: String? = nil, jobs: [JobStatus]? = nil, trigger: TriggerResult? = nil, deleted: [String]? = nil,
        errors: [String]? = nil, finishedPods: [String]? = nil, leadership: String? = nil
    ) {
        self.ok = ok
        self.error = error
        self.jobs = jobs
        self.trigger = trigger
        self.deleted = deleted
        self.errors = errors
        self.finishedPods = finishedPods
        self.leadership = leadership
    }

    /// A refusal with its reason.
    public static func failure(_ message: String) -> ControlResponse { ControlResponse(ok: false, error: message) }
}

/// Why the control socket could not be used: the C call, its errno, and the socket's path.
public struct ControlSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    public var call: String
    public var code: Int32
    public var path: String
    public init(call: String, code: Int32, path: String) {
        self.call = call
        self.code = code
        self.path = path
    }
    public var description: String {
        "\(call) on \(path) failed: \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Where the control socket of a state directory is.
public enum ControlSocket {
    /// The socket's file name inside the state directory.
    public static let fileName = "control.sock"
    /// The socket of the daemon that uses `stateDirectory`.
    public static func path(in stateDirectory: URL) -> String {
        stateDirectory.appendingPathComponent(fileName).path
    }
    /// Longest request or response line accepted (somewhat arbitrarily 16 MiB: status of 10,000 jobs fits).
    static let longestMessage = 16 << 20
}
