import Logging
import ServiceLifecycle
import Systemd

/// Sends `STOPPING=1` as soon as a graceful shutdown begins (services hear it last to first: only
/// `StatusNotice`, which stops at once, hears it before).
struct StoppingNotice: Service {
    let notifier: Notifier
    let logger: Logger

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        do { _ = try notifier.stopping(status: "stopping") } catch {
            logger.error("cannot notify systemd that the daemon is stopping: \(error)")
        }
    }
}
