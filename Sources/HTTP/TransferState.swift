import Foundation

/// What one transfer has received so far. libcurl's callbacks reach it through an unretained pointer.
///
/// `@unchecked Sendable`: made by the submitting task, then touched only on the ``CurlEventLoop``'s
/// thread (the loop's locked inbox orders the two), except ``cancellation``, which is atomic.
final class TransferState: @unchecked Sendable {
    enum Delivery {
        case buffered
        case lines(AsyncThrowingStream<Data, any Error>.Continuation)
    }

    let cancellation: CancellationFlag
    private let delivery: Delivery
    var status = 0
    var httpVersion = "1.1"
    var headers: [String: String] = [:]
    var body = Data()
    /// Called once, when the final response's header block is complete.
    var onHead: ((Int, [String: String]) -> Void)?
    private(set) var headDelivered = false
    private var pendingLine = Data()
    /// A line longer than this is a broken server, not a log line; somewhat arbitrarily picked.
    private let longestLine = 16 << 20

    init(cancellation: CancellationFlag, delivery: Delivery) {
        self.cancellation = cancellation
        self.delivery = delivery
    }

    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new status line (after a 100 Continue, or an informational response) starts a new head.
            let parts = line.split(separator: " ", maxSplits: 2)
            httpVersion = String(parts[0].dropFirst("HTTP/".count))
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = [:]
        } else if line.isEmpty {
            if status >= 200 && !headDelivered, let onHead {
                headDelivered = true
                onHead(status, headers)
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    /// - Returns: false to abort the transfer (the consumer went away, or a line is absurdly long).
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch delivery {
        case .buffered:
            body.append(contentsOf: bytes)
            return true
        case .lines(let continuation):
            if cancellation.isCancelled { return false }
            var start = 0
            while let newline = bytes[start...].firstIndex(of: 0x0A) {
                pendingLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                if case .terminated = continuation.yield(pendingLine) { return false }
                pendingLine = Data()
                start = newline + 1
            }
            pendingLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
            return pendingLine.count <= longestLine
        }
    }

    /// Forgets a failed try's partial answer before the request is sent again (never after the head
    /// of a streamed answer was delivered).
    func restart() {
        precondition(!headDelivered, "a streamed answer whose head was delivered cannot start again")
        status = 0
        headers = [:]
        body = Data()
        pendingLine = Data()
    }

    /// Delivers a last line that had no `\n`.
    func finishLines() {
        guard case .lines(let continuation) = delivery, !pendingLine.isEmpty else { return }
        continuation.yield(pendingLine)
        pendingLine = Data()
    }
}
