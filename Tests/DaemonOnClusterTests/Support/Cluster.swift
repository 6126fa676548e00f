import HTTP
import Foundation
import Kubernetes
import Ledger
import TestSupport

/// The peers `scripts/test` starts: the Kubernetes API emulator (scripts/peers/kmock.sh) and journald.
enum Peers {
    static var isAvailable: Bool { PeerEnvironment.hasKubernetesEmulator && PeerEnvironment.hasJournald }
    static var emulator: String { PeerEnvironment.kubernetesHTTP ?? "" }

    /// A client of the emulator, for the tests' own reading of the cluster.
    static func client() throws -> KubeClient {
        try Curl.ready()
        return KubeClient(
            server: emulator, transport: CurlTransport(configuration: .init(requestTimeout: .seconds(20))),
            credentials: NoCredentials(identity: "test"), retry: RetryPolicy(baseDelay: .milliseconds(20)))
    }

    /// A name of its own for each test.
    static func unique(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(6).lowercased())" }
}

extension DaemonProcess {
    /// The real `fargate-cron daemon` pointed at the emulator through a kubeconfig file, as a user
    /// would; it logs to the journal, as under systemd.
    static func onCluster() throws -> DaemonProcess {
        let daemon = try DaemonProcess(prefix: "fc-k8s")
        let config = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster:
                server: \(Peers.emulator)
            users:
            - name: tester
              user:
                token: test-token
            contexts:
            - name: emulator
              context: {cluster: emulator, user: tester}
            current-context: emulator
            """
        try Data(config.utf8).write(to: daemon.kubeconfig)
        daemon.environmentOverrides["FARGATE_CRON_KUBECONFIG"] = daemon.kubeconfig.path
        daemon.logsToJournal = true
        return daemon
    }

    /// The kubeconfig file `onCluster()` writes.
    var kubeconfig: URL { folder.appendingPathComponent("kubeconfig") }

    /// The ledger's runs of `job`, oldest first, read as `history` reads them (the daemon may hold the writer).
    func runs(of job: String) throws(LedgerError) -> [Run] {
        do {
            let ledger = try RunLedger.openForReading(stateDirectory: state.path)
            return try ledger.history(job: job, limit: 100_000).reversed()
        } catch .noLedger {
            return []  // the daemon has not made it yet
        }
    }
}
