import HTTP
public import Foundation

/// One line of a container's output.
public struct LogLine: Hashable, Sendable {
    /// When the container wrote it (only when asked for `timestamps`).
    public var timestamp: Date?
    /// The text, without the line break.
    public var text: String

    /// Creates a line (the client makes them from a stream; tests and replays make their own).
    public init(timestamp: Date?, text: String) {
        self.timestamp = timestamp
        self.text = text
    }
}

/// A pod's log lines as they arrive. Stopping the iteration closes the connection.
public struct LogLines: AsyncSequence, Sendable {
    public typealias Element = LogLine
    let lines: AsyncThrowingStream<Data, any Error>
    let timestamps: Bool
    let stopTransfer: @Sendable () -> Void

    /// Ends the stream from outside the task that reads it: the iteration ends after the lines that
    /// already arrived, as if the server had closed the stream, and the connection's transfer ends.
    public func stop() { stopTransfer() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var lines: AsyncThrowingStream<Data, any Error>.AsyncIterator
        let timestamps: Bool

        public mutating func next() async throws -> LogLine? {
            guard let data = try await lines.next() else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            guard timestamps, let space = text.firstIndex(of: " "), let date = RFC3339.parse(String(text[..<space]))
            else { return LogLine(timestamp: nil, text: text) }
            return LogLine(timestamp: date, text: String(text[text.index(after: space)...]))
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lines: lines.makeAsyncIterator(), timestamps: timestamps)
    }
}

/// The events of one watch connection, as they arrive. Ends when the server ends the watch.
public struct WatchEvents<T: KubernetesResource>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<T>
    let lines: AsyncThrowingStream<Data, any Error>
    let keepsUnmodelledFields: Bool

    public struct AsyncIterator: AsyncIteratorProtocol {
        var lines: AsyncThrowingStream<Data, any Error>.AsyncIterator
        /// One for the connection's every line: making a `JSONDecoder` per event costs too.
        let decoder: JSONDecoder

        public mutating func next() async throws -> WatchEvent<T>? {
            while let line = try await lines.next() {
                if line.isEmpty { continue }
                do {
                    return try WatchEvent<T>(line: line, decoder: decoder)
                } catch {
                    throw KubernetesError.invalidResponse("bad watch event: \(error)")
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            lines: lines.makeAsyncIterator(),
            decoder: KubernetesJSON.decoder(keepingUnmodelledFields: keepsUnmodelledFields))
    }
}

extension KubeClient {
    /// A pod's output.
    /// - Parameters:
    ///   - follow: keep the connection and deliver lines as the container writes them, until it ends.
    ///   - timestamps: ask the server to prefix each line with its time (parsed into ``LogLine/timestamp``).
    ///   - since: only lines written at or after this instant (`sinceTime`), to resume after a drop.
    public func logs(
        ofPod name: String, in namespace: String, container: String? = nil, follow: Bool = false,
        timestamps: Bool = false, since: Date? = nil
    ) async throws(KubernetesError) -> LogLines {
        let path = ResourcePath<Pod>(namespace: namespace)
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if timestamps { query.append(("timestamps", "true")) }
        if let since { query.append(("sinceTime", RFC3339.formatSeconds(since))) }
        let call = Call(method: .get, path: path.object(name) + "/log", query: query, verb: "get",
                        resource: "pods/log \"\(name)\" in namespace \"\(namespace)\"")
        let opened = try await openStream(call)
        return LogLines(lines: opened.lines, timestamps: timestamps, stopTransfer: opened.stop)
    }

    /// One watch connection: the changes after `resourceVersion` (or, without one, every current
    /// object as `ADDED`, then the changes). See ``Watcher`` for a watch that survives drops.
    /// - Parameter keepingUnmodelledFields: false decodes ``Job``s and ``Pod``s without their
    ///   `decodedJSON` (see ``KubernetesJSON/decoder(keepingUnmodelledFields:)``).
    public func watch<T: KubernetesResource>(
        _ type: T.Type, in namespace: String?, labelSelector: String? = nil, resourceVersion: String? = nil,
        timeout: Duration? = nil, keepingUnmodelledFields: Bool = true
    ) async throws(KubernetesError) -> WatchEvents<T> {
        let path = ResourcePath<T>(namespace: namespace)
        var query: [(String, String)] = [("watch", "true"), ("allowWatchBookmarks", "true")]
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let timeout { query.append(("timeoutSeconds", String(Int(timeout / .seconds(1))))) }
        let call = Call(method: .get, path: path.collection, query: query, verb: "watch", resource: path.describe())
        return WatchEvents(lines: try await openStream(call).lines, keepsUnmodelledFields: keepingUnmodelledFields)
    }

    /// Opens a streamed GET, retrying the opening like any read; a non-2xx answer becomes an error.
    func openStream(_ call: Call) async throws(KubernetesError) -> HTTPStreamResponse {
        var attempt = 1
        var refreshed = false
        while true {
            let request = try await httpRequest(for: call, refreshing: refreshed && attempt == 1, retrySafe: true)
            let response: HTTPStreamResponse
            do {
                response = try await transport.stream(request)
            } catch let error as CurlError {
                guard error.isConnectionFailure, attempt < retry.maximumAttempts else {
                    throw .transport(error, request: call.description)
                }
                try await pause(beforeRetry: attempt, retryAfter: nil)
                attempt += 1
                continue
            } catch is CancellationError {
                throw .cancelled
            } catch {
                throw .invalidResponse("\(call.description): \(error)")
            }
            if (200..<300).contains(response.status) { return response }
            var body = Data()
            do {
                for try await line in response.lines { body.append(line) }
            } catch {
                // The error body is a courtesy; the status code alone still says what happened.
                body.append(contentsOf: Array("(body cut: \(error))".utf8))
            }
            let whole = HTTPResponse(status: response.status, headers: response.headers, body: body)
            if response.status == 401 && !refreshed {
                refreshed = true
                attempt = 1
                continue
            }
            if Self.isRetryable(response.status), attempt < retry.maximumAttempts {
                try await pause(beforeRetry: attempt, retryAfter: response.headers["retry-after"])
                attempt += 1
                continue
            }
            throw error(from: whole, call: call)
        }
    }
}
