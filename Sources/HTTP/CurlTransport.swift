internal import CCurl
import Foundation

/// The real ``Transport``: HTTP/1.1, or HTTP/2 when the server offers it over TLS, through libcurl.
///
/// Every transfer of every `CurlTransport` runs on the process's one ``CurlEventLoop``: no transfer
/// holds a thread, however long it streams. Connections are reused (HTTP/1.1 keep-alive; HTTP/2
/// streams multiplexed on one connection) and TLS sessions resumed. A request marked
/// ``HTTPRequest/isRetrySafe`` whose connection dies under it is sent once more at once, on a new
/// connection; one that is not is never sent twice by the transport. Cancelling the calling task, or
/// dropping a streamed body, ends the transfer at once.
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

    /// What this transport's transfers have cost so far.
    public struct Statistics: Sendable, Hashable {
        /// Transfers ended (answered, failed or cancelled).
        public var transfers: Int
        /// New connections opened for them (`CURLINFO_NUM_CONNECTS`, summed): a request that reused a
        /// connection, or joined an HTTP/2 connection as a stream, opened none.
        public var connectionsOpened: Int
        /// Requests that went on the wire more than once (retry-safe ones after a lost connection).
        public var resentRequests: Int
    }

    private let configuration: Configuration
    private let counters = TransferCounters()

    /// Creates a transport; libcurl and the event loop are set up at its first transfer.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// What this transport's transfers have cost so far.
    public var statistics: Statistics { counters.statistics }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let loop = try CurlEventLoop.shared()
        let state = TransferState(cancellation: CancellationFlag(), delivery: .buffered)
        let transfer = CurlTransfer(
            request: request, configuration: configuration, streaming: false, state: state, counters: counters)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.onEnd = { transfer, outcome in
                    switch outcome {
                    case .success:
                        continuation.resume(returning: HTTPResponse(
                            status: state.status, headers: state.headers, body: state.body,
                            httpVersion: state.httpVersion, wasResent: transfer.sends > 1))
                    case .failure(let error):
                        continuation.resume(throwing: error)
                    }
                }
                loop.start(transfer)
            }
        } onCancel: {
            transfer.cancellation.cancel()
            loop.cancel(transfer)
        }
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        let loop = try CurlEventLoop.shared()
        let (lines, linesContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let state = TransferState(cancellation: CancellationFlag(), delivery: .lines(linesContinuation))
        let transfer = CurlTransfer(
            request: request, configuration: configuration, streaming: true, state: state, counters: counters)
        // Dropping the body (the consumer stops iterating or its task is cancelled) ends the transfer.
        linesContinuation.onTermination = { termination in
            guard case .cancelled = termination else { return }  // .finished: the transfer ended it
            transfer.cancellation.cancel()
            loop.cancel(transfer)
        }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int, [String: String]), any Error>) in
                state.onHead = { status, headers in continuation.resume(returning: (status, headers)) }
                transfer.onEnd = { _, outcome in
                    switch outcome {
                    case .success:
                        state.finishLines()
                        if !state.headDelivered { continuation.resume(returning: (state.status, state.headers)) }
                        linesContinuation.finish()
                    case .failure(let error):
                        if state.headDelivered {
                            linesContinuation.finish(throwing: error)
                        } else {
                            linesContinuation.finish()
                            continuation.resume(throwing: error)
                        }
                    }
                }
                loop.start(transfer)
            }
        } onCancel: {
            transfer.cancellation.cancel()
            loop.cancel(transfer)
        }
        return HTTPStreamResponse(status: head.0, headers: head.1, lines: lines) {
            linesContinuation.finish()  // first: the transfer's end, cancelled, is then not an error
            transfer.cancellation.cancel()
            loop.cancel(transfer)
        }
    }
}
