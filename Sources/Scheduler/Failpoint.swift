#if FARGATE_CRON_FAILPOINTS
    import Foundation
    import Glibc
    import Synchronization
#endif

#if FARGATE_CRON_FAILPOINTS
/// Crash injection for the crash tests: with `FARGATE_CRON_FAILPOINT=NAME[:N]` in its environment
/// the daemon kills itself with SIGKILL the `N`th time (default the first) it reaches the point
/// called `NAME` — so a test can stop it at an exact step of a run (before the Job's POST, after it,
/// while the pod runs, after it finished, during garbage collection) rather than at a random instant.
///
/// Compiled in only where `FARGATE_CRON_FAILPOINTS` is defined: Package.swift defines it for debug
/// builds, which the tests run. The release build (`scripts/release-build`), the one users install,
/// has no failpoint and ignores the variable: there `Failpoint` names an empty type whose `reach` is
/// inlined away, so not even the name is left in the binary. The points are listed in the README's
/// "Crash tests" section.
public enum Failpoint {
    private struct Armed: Sendable {
        var name: String
        var remaining: Int
    }

    private static let armed: Mutex<Armed?> = {
        guard let text = ProcessInfo.processInfo.environment["FARGATE_CRON_FAILPOINT"], !text.isEmpty else {
            return Mutex(nil)
        }
        let parts = text.split(separator: ":", maxSplits: 1)
        let count = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
        return Mutex(Armed(name: String(parts[0]), remaining: max(1, count)))
    }()

    /// Passes the point called `name`: kills the process if the armed point is due here.
    public static func reach(_ name: StaticString) {
        let due = armed.withLock { armed -> Bool in
            guard var current = armed, current.name == name.description else { return false }
            current.remaining -= 1
            armed = current
            return current.remaining == 0
        }
        guard due else { return }
        FileHandle.standardError.write(Data("fargate-cron: failpoint \(name) reached: killing the process\n".utf8))
        raise(SIGKILL)
    }
}
#else
/// A release build has no crash injection: see the debug build's `Failpoint`.
public typealias Failpoint = NoCrashInjection

/// What `Failpoint` is in a release build: nothing.
public enum NoCrashInjection {
    /// Nothing: this build has no crash injection.
    @inlinable @inline(__always)
    public static func reach(_ name: StaticString) {}
}
#endif
