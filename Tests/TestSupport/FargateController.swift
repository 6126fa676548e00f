import Foundation
import Glibc
import Kubernetes

/// `scripts/peers/fargate_controller.py` for one namespace, as a child process of the test: it plays
/// the Job controller and Fargate against the emulator. It is killed when this object goes.
public final class FargateController: Sendable {
    private let process: Process

    /// Starts the controller and waits until its watch is open.
    /// - Parameters:
    ///   - server: the emulator's URL; `PeerEnvironment.kubernetesHTTP` when nil.
    ///   - namespace: the only namespace it looks after.
    /// - Throws: `KubernetesError.configuration` if it did not start.
    public init(server: String? = nil, namespace: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", PeerEnvironment.peerScripts.appendingPathComponent("fargate_controller.py").path,
            "--server", server ?? PeerEnvironment.kubernetesHTTP ?? "", "--namespace", namespace,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.process = process
        // It prints "ready" once its watch is open; end of file means it died.
        guard String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).contains("ready") else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw KubernetesError.configuration("the Fargate controller did not start")
        }
    }

    deinit {
        // SIGKILL, not terminate(): a child of the test process inherits its blocked signals, SIGTERM included.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
