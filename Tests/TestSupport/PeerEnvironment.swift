public import Foundation

/// Where the peers that `scripts/test` starts can be reached: each peer script appends `KEY=VALUE`
/// lines to `$PEER_ENV`, and `scripts/test` exports them to the test process.
public enum PeerEnvironment {
    /// The test process's environment, read once.
    public static let variables = ProcessInfo.processInfo.environment

    /// The Kubernetes API emulator over plain HTTP (`FARGATE_CRON_TEST_KUBE_HTTP`, from
    /// scripts/peers/kmock.sh), or nil when it does not run.
    public static var kubernetesHTTP: String? { variables["FARGATE_CRON_TEST_KUBE_HTTP"] }

    /// Whether the Kubernetes API emulator runs.
    public static var hasKubernetesEmulator: Bool { kubernetesHTTP != nil }

    /// Whether journald runs (`FARGATE_CRON_TEST_JOURNALD`, from scripts/peers/journald.sh).
    public static var hasJournald: Bool { variables["FARGATE_CRON_TEST_JOURNALD"] != nil }

    /// The repository's root, found from this source file's path (no SwiftPM resources).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `scripts/peers`, where the peers' helper programs (the fault proxy, the Fargate controller) live.
    public static var peerScripts: URL { repository.appendingPathComponent("scripts/peers") }
}
