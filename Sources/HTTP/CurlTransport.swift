internal import CCurl
import Foundation
import Synchronization

/// The real ``Transport``: HTTP/1.1 or HTTP/2 (when the server offers it over TLS) through libcurl.
///
/// Each transfer runs `curl_easy_perform` on a thread of its own, never on Swift's cooperative
/// pool. Easy handles go back to a pool after use, so sequential requests reuse connections and TLS
/// sessions. Cancelling the calling task, or dropping a streamed body, aborts the transfer through
/// libcurl's progress callback within about a second.
public final class CurlTransport: Transport {
    /// Timeouts and TLS settings.
    public struct Configuration: Sendable {
        /// TLS trust and client identity. Verification itself cannot be turned off.
        public var tls: TLSConfiguration
        /// How long to wait for the TCP and TLS handshake (`CURLOPT_CONNECTTIMEOUT_MS`).
        public var connectTimeout: Duration
        /// The whole-request limit for ordinary requests (`CURLOPT_TIMEOUT_MS`).
        public var requestTimeout: Duration
        /// A streamed body (watch, followed log) that stays silent this long is dropped
        /// (`CURLOPT_LOW_SPEED_TIME` with a limit of 1 byte/s), so a stalled connection is noticed.
        public var streamIdleTimeout: Duration

        /// Creates a configuration. The defaults suit an API server on the other side of the world.
        public init(
            tls: TLSConfiguration = TLSConfiguration(), connectTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(60), streamIdleTimeout: Duration = .seconds(120)
        ) {
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.streamIdleTimeout = streamIdleTimeout
        }
    }

    private let configuration: Configuration
    private let pool = HandlePool()

    /// Creates a transport; libcurl is set up for the process at its first transfer.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                let pool = self.pool, configuration = self.configuration
                runOnOwnThread {
                    let state = TransferState(cancellation: flag, delivery: .buffered)
                    do {
                        try pool.perform(request, configuration: configuration, streaming: false, state: state)
                        continuation.resume(returning: HTTPResponse(
                            status: state.status, headers: state.headers, body: state.body, httpVersion: state.httpVersion))
                    } catch {
                        continuation.resume(throwing: error.isCancellation ? CancellationError() : error)
                    }
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        let flag = CancellationFlag()
        let (lines, linesContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        // Dropping the body (the consumer stops iterating or its task is cancelled) ends the transfer.
        linesContinuation.onTermination = { _ in flag.cancel() }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int, [String: String]), any Error>) in
                let pool = self.pool, configuration = self.configuration
                runOnOwnThread {
                    let state = TransferState(cancellation: flag, delivery: .lines(linesContinuation))
                    state.onHead = { status, headers in continuation.resume(returning: (status, headers)) }
                    do {
                        try pool.perform(request, configuration: configuration, streaming: true, state: state)
                        state.finishLines()
                        if !state.headDelivered { continuation.resume(returning: (state.status, state.headers)) }
                        linesContinuation.finish()
                    } catch {
                        let failure: any Error = error.isCancellation ? CancellationError() : error
                        if state.headDelivered {
                            linesContinuation.finish(throwing: failure)
                        } else {
                            linesContinuation.finish()
                            continuation.resume(throwing: failure)
                        }
                    }
                }
            }
        } onCancel: {
            flag.cancel()
        }
        return HTTPStreamResponse(status: head.0, headers: head.1, lines: lines)
    }
}

/// Starts a thread for one blocking transfer. A thread per transfer keeps `curl_easy_perform` off the
/// cooperative pool; 1 MiB of stack is plenty for libcurl and OpenSSL (somewhat arbitrarily picked).
private func runOnOwnThread(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.stackSize = 1 << 20
    thread.start()
}

extension Error {
    fileprivate var isCancellation: Bool { (self as? CurlError)?.isCancellation ?? false }
}

/// Set from any thread when the Swift side gives up on a transfer; read by libcurl's progress callback.
final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)
    func cancel() { state.store(true, ordering: .relaxed) }
    var isCancelled: Bool { state.load(ordering: .relaxed) }
}
