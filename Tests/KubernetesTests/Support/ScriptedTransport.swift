import HTTP
import Foundation
import Kubernetes
import Synchronization

/// A ``Transport`` that answers from a script, request by request, and records what was asked:
/// the fine-grained fault injection that a TCP proxy cannot do (exact status codes and orders).
final class ScriptedTransport: Transport {
    enum Answer: Sendable {
        case response(status: Int, headers: [String: String] = [:], body: String)
        case failure(CurlError)
        case lines(status: Int, [String], thenFail: CurlError?)
    }

    private let state: Mutex<(answers: [Answer], requests: [String])>
    private let headerLog = Mutex<[[String: String]]>([])

    /// The headers of every request so far (names lower-cased).
    var headers: [[String: String]] { headerLog.withLock { $0 } }

    init(_ answers: [Answer]) {
        state = Mutex((answers, []))
    }

    /// `METHOD URL` of every request so far.
    var requests: [String] { state.withLock { $0.requests } }

    private func next(for request: HTTPRequest) throws -> Answer {
        headerLog.withLock { log in
            log.append(Dictionary(request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 }))
        }
        return try state.withLock { state in
            state.requests.append("\(request.method.rawValue) \(request.url)")
            guard !state.answers.isEmpty else { throw CurlError(code: 7, detail: "script exhausted") }
            return state.answers.removeFirst()
        }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch try next(for: request) {
        case .response(let status, let headers, let body):
            return HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
        case .failure(let error):
            throw error
        case .lines(let status, let lines, _):
            return HTTPResponse(status: status, body: Data(lines.joined(separator: "\n").utf8))
        }
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        switch try next(for: request) {
        case .response(let status, let headers, let body):
            return HTTPStreamResponse(status: status, headers: headers, lines: .init { continuation in
                continuation.yield(Data(body.utf8))
                continuation.finish()
            })
        case .failure(let error):
            throw error
        case .lines(let status, let lines, let failure):
            return HTTPStreamResponse(status: status, headers: [:], lines: .init { continuation in
                for line in lines { continuation.yield(Data(line.utf8)) }
                continuation.finish(throwing: failure)
            })
        }
    }
}

/// Records the delays a ``RetryPolicy`` asks for instead of sleeping.
final class DelayRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }

    func policy(attempts: Int = 5) -> RetryPolicy {
        RetryPolicy(maximumAttempts: attempts, sleep: { [self] delay in delays.withLock { $0.append(delay) } })
    }
}

func jobJSON(_ name: String, resourceVersion: String, uid: String = "uid-1") -> String {
    #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"\#(name)","namespace":"ns","uid":"\#(uid)","resourceVersion":"\#(resourceVersion)"}}"#
}

func statusJSON(_ code: Int, _ reason: String, _ message: String) -> String {
    #"{"kind":"Status","apiVersion":"v1","status":"Failure","code":\#(code),"reason":"\#(reason)","message":"\#(message)"}"#
}
