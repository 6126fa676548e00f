import Foundation

/// `CRON_RETRIES` on a `local` job, as a Kubernetes Job's `backoffLimit` retries its pods: after a
/// failed attempt the command runs again, up to `retries` more times, within the same run (one
/// slot, one ledger row), with Kubernetes' back-off between attempts (10 s, doubling, at most 6 min).
///
/// The attempts run under one small `/bin/sh` supervisor rather than as separate children of the
/// daemon, because a local run is found again after a daemon crash by one process identity (pid and
/// start time, recorded in the ledger when the run starts). Separate children would leave a second
/// attempt that no ledger row names, running on beside the next slot's run: an overlap `forbid`
/// promises never to allow. The supervisor is that one process for the whole run, so an adopted run
/// keeps its attempts, a timeout or a cancel (SIGTERM to the process group) stops the attempt and the
/// retries together, and the last attempt is `exec`ed in its place, so that its exit status or signal
/// reaches the daemon exactly as a run without retries does. Between attempts the supervisor writes
/// one line on standard error (it goes to the journal with the run's output), so each attempt's
/// output can be told apart.
enum LocalRetries {
    /// Kubernetes caps its back-off at six minutes.
    static let longestPause = Duration.seconds(360)

    /// The pauses before attempts 2 to `retries + 1`: `first`, doubling, at most `longestPause`.
    static func pauses(retries: Int, first: Duration) -> [Duration] {
        var pauses: [Duration] = []
        var pause = first
        for _ in 0..<max(retries, 0) {
            pauses.append(min(pause, longestPause))
            pause = min(pause * 2, longestPause)
        }
        return pauses
    }

    /// The text for `/bin/sh -c` that runs `command` up to `retries + 1` times; `command` itself
    /// when `retries` is 0, so a job without retries runs exactly as before.
    static func command(_ command: String, retries: Int, firstPause: Duration) -> String {
        guard retries > 0 else { return command }
        let schedule = pauses(retries: retries, first: firstPause)
        let attempts = retries + 1
        // Positional parameters hold the pauses still to come; one variable (a name no job uses)
        // holds the command, quoted so that every byte of it reaches the inner shell unchanged.
        return """
            _fargate_cron_command=\(quoted(command))
            set -- \(schedule.map(seconds).joined(separator: " "))
            while [ "$#" -gt 0 ]; do
                /bin/sh -c "$_fargate_cron_command" && exit 0
                _fargate_cron_status=$?
                echo "fargate-cron: attempt $((\(attempts) - $#)) of \(attempts) failed with exit status $_fargate_cron_status; attempt $((\(attempts + 1) - $#)) starts in $1 s" >&2
                sleep "$1"
                shift
            done
            exec /bin/sh -c "$_fargate_cron_command"
            """
    }

    /// `'text'`, with each `'` written as `'\''`: the shell reads it back byte for byte.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Seconds as `sleep` takes them: `10`, or `0.25` for a test's short pause.
    private static func seconds(_ pause: Duration) -> String {
        let (whole, attoseconds) = pause.components
        guard attoseconds != 0 else { return String(whole) }
        let milliseconds = Int64(whole) * 1000 + attoseconds / 1_000_000_000_000_000
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
