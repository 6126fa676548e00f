import ArgumentParser
import Foundation
import Scheduler

/// `--state-dir`, shared by the commands that use the daemon's state folder (its ledger and its
/// control socket), so that two daemons with different state folders never mix.
struct StateOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: "The daemon's state folder (default: $FARGATE_CRON_STATE_DIR, else $STATE_DIRECTORY, else ./state).")
    var stateDirectory: String?

    /// The state folder: the option, else the environment as the unit file passes it, else `./state`.
    func resolved(in environment: [String: String]) -> String {
        if let stateDirectory { return stateDirectory }
        if let configured = environment["FARGATE_CRON_STATE_DIR"], !configured.isEmpty { return configured }
        // systemd may list several directories, separated by ':'; the first is ours.
        if let systemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return String(systemd) }
        return "./state"
    }

    /// The state folder when one was named (the option or `FARGATE_CRON_STATE_DIR`), else `nil`:
    /// `logs` then reads every daemon's entries, and mails quote no `--state-dir`.
    func explicit(in environment: [String: String]) -> String? {
        if let stateDirectory { return stateDirectory }
        if let configured = environment["FARGATE_CRON_STATE_DIR"], !configured.isEmpty { return configured }
        return nil
    }

    /// The control socket of the daemon using this state folder.
    func controlSocket(in environment: [String: String]) -> String {
        ControlSocket.path(in: URL(fileURLWithPath: resolved(in: environment)))
    }
}

