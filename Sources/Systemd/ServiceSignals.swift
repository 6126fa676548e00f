import Glibc

/// The signals a service takes from its manager: SIGTERM (stop), SIGINT, SIGHUP (reload).
public enum ServiceSignals {
    /// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; called in `main` before any other
    /// thread exists, so that every thread inherits the block.
    ///
    /// On Linux a dispatch signal source (what `UnixSignalsSequence` and ServiceLifecycle use) reads
    /// a `signalfd`, which only sees a signal that no thread takes first; a thread that does not
    /// block it takes it and, under the `SIG_IGN` the source asks for, drops it. A lost SIGTERM was
    /// seen in CI (the probe never stopped). Children are unaffected: the local executor spawns them
    /// with an empty mask and default handlers.
    ///
    /// The main thread itself does not keep the block: an async `main` ends in `dispatch_main`, which
    /// sleeps in `sigsuspend` with an empty mask. So a signal source must be registered before the
    /// service says READY=1: until then the signal is `SIG_IGN`, and an ignored signal the main thread
    /// does not block is dropped, not left pending. ServiceLifecycle's `UnixSignalsSequence` (the
    /// daemon's) waits for the registration; `notify-probe` does the same.
    /// The corresponding C function is pthread_sigmask.
    public static func blockInEveryThread() {
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        let result = pthread_sigmask(SIG_BLOCK, &handled, nil)
        if result != 0 {
            // Not fatal: the sources still work as long as the kernel picks a blocking thread.
            let message = Array("fargate-cron: pthread_sigmask failed: \(String(cString: strerror(result)))\n".utf8)
            _ = message.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }
}
