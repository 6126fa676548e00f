/// The head of an HTTP/1.x request (RFC 9112), as far as a metrics endpoint needs it: the method,
/// the path, the version; a parser as strict as the RFC asks a server to be.
public struct HTTPRequestHead: Hashable, Sendable {
    /// `GET`, `HEAD`, …
    public var method: String
    /// The target's path, without its query (`/metrics`); `*` for `OPTIONS *`.
    public var path: String
    /// `1.0` or `1.1`.
    public var version: String
    /// The header fields, names lower-cased, in order.
    public var headers: [(name: String, value: String)]

    public static func == (a: HTTPRequestHead, b: HTTPRequestHead) -> Bool {
        a.method == b.method && a.path == b.path && a.version == b.version
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
    }

    /// The values of the header `name` (lower case).
    public func values(of name: String) -> [String] { headers.filter { $0.name == name }.map(\.value) }

    /// What the bytes read so far hold.
    public enum Parse: Hashable, Sendable {
        /// Not a whole head yet (and not over the limit).
        case incomplete
        /// A head, which ended `length` bytes in.
        case complete(HTTPRequestHead, length: Int)
        /// A request the server refuses, with the status to answer.
        case invalid(HTTPStatus, String)
    }

    /// Reads a request head from the start of `bytes`.
    /// - Parameter limit: the most bytes a head may have; more is 431.
    public static func parse(_ bytes: [UInt8], limit: Int) -> Parse {
        var start = 0
        // RFC 9112, 2.2: a server SHOULD ignore at least one empty line before the request line.
        while start < bytes.count, bytes[start] == 13 || bytes[start] == 10 { start += 1 }
        guard let end = endOfHead(bytes, from: start) else {
            return bytes.count > limit ? .invalid(.headersTooLarge, "the request head is over \(limit) bytes") : .incomplete
        }
        guard end.headEnd <= limit else { return .invalid(.headersTooLarge, "the request head is over \(limit) bytes") }
        // Lines end in CRLF; a bare LF is accepted too (RFC 9112, 2.2 allows it), a bare CR is not.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        var i = start
        while i < end.contentEnd {
            if bytes[i] == 10 {
                var lineEnd = i
                if lineEnd > lineStart, bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
                lines.append(bytes[lineStart..<lineEnd])
                lineStart = i + 1
            }
            i += 1
        }
        if lineStart < end.contentEnd {
            var lineEnd = end.contentEnd
            if bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            lines.append(bytes[lineStart..<lineEnd])
        }
        guard let requestLine = lines.first else { return .invalid(.badRequest, "no request line") }
        if lines.contains(where: { $0.contains(13) }) { return .invalid(.badRequest, "a bare CR in the request head") }

        let parts = requestLine.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, let method = token(parts[0]) else { return .invalid(.badRequest, "a malformed request line") }
        let versionText = String(decoding: parts[2], as: UTF8.self)
        guard versionText.hasPrefix("HTTP/"), versionText.count == 8,
            versionText.dropFirst(5).first?.isNumber == true, versionText.dropFirst(6).first == ".",
            versionText.last?.isNumber == true
        else { return .invalid(.badRequest, "a malformed HTTP version") }
        let version = String(versionText.dropFirst(5))
        guard version == "1.1" || version == "1.0" else { return .invalid(.versionNotSupported, "HTTP/\(version) is not supported") }
        let target = String(decoding: parts[1], as: UTF8.self)
        guard let path = path(of: target, method: method) else { return .invalid(.badRequest, "a malformed request target") }

        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            // RFC 9112, 5.2: obsolete line folding is rejected with 400.
            if line.first == 32 || line.first == 9 { return .invalid(.badRequest, "obsolete line folding") }
            guard let colon = line.firstIndex(of: 58) else { return .invalid(.badRequest, "a header line without a colon") }
            // RFC 9112, 5.1: whitespace between a field name and its colon MUST be rejected with 400.
            guard let name = token(line[line.startIndex..<colon]) else { return .invalid(.badRequest, "a malformed header name") }
            let value = line[(colon + 1)...].drop { $0 == 32 || $0 == 9 }
            let trimmed = value.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
            if trimmed.contains(where: { $0 == 0 || ($0 < 32 && $0 != 9) || $0 == 127 }) {
                return .invalid(.badRequest, "a control character in a header value")
            }
            headers.append((name.lowercased(), String(decoding: trimmed, as: UTF8.self)))
        }
        let head = HTTPRequestHead(method: method, path: path, version: version, headers: headers)
        // RFC 9112, 3.2: an HTTP/1.1 request without exactly one Host is answered 400.
        if version == "1.1", head.values(of: "host").count != 1 { return .invalid(.badRequest, "HTTP/1.1 needs exactly one Host header") }
        if !head.values(of: "transfer-encoding").isEmpty { return .invalid(.notImplemented, "a request body is not accepted") }
        let lengths = head.values(of: "content-length")
        if let length = lengths.first {
            guard lengths.allSatisfy({ $0 == length }), let count = Int(length), count >= 0, length.allSatisfy(\.isASCII) else {
                return .invalid(.badRequest, "a malformed Content-Length")
            }
            if count > 0 { return .invalid(.contentTooLarge, "a request body is not accepted") }
        }
        return .complete(head, length: end.headEnd)
    }

    /// Where the head's content ends (before its empty line) and where the head ends (after it).
    private static func endOfHead(_ bytes: [UInt8], from start: Int) -> (contentEnd: Int, headEnd: Int)? {
        var i = start
        while i < bytes.count {
            if bytes[i] == 10 {
                // LF LF, or LF CR LF: the empty line.
                if i + 1 < bytes.count, bytes[i + 1] == 10 { return (i, i + 2) }
                if i + 2 < bytes.count, bytes[i + 1] == 13, bytes[i + 2] == 10 { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// A token (RFC 9110, 5.6.2), or nil.
    private static func token(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.isEmpty else { return nil }
        let specials = Array("!#$%&'*+-.^_`|~".utf8)
        for b in bytes {
            let alnum = (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b)
            if !alnum && !specials.contains(b) { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The path of an origin-form (`/metrics?x`) or absolute-form (`http://host/metrics`) target.
    private static func path(of target: String, method: String) -> String? {
        if target == "*" { return method == "OPTIONS" ? "*" : nil }
        var rest = Substring(target)
        if let scheme = ["http://", "https://"].first(where: { target.lowercased().hasPrefix($0) }) {
            // RFC 9112, 3.2.2: a server MUST accept the absolute form.
            rest = rest.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            rest = rest[slash...]
            if rest.first == "?" { return "/" }
        }
        guard rest.first == "/", rest.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else { return nil }
        return String(rest.prefix { $0 != "?" && $0 != "#" })
    }
}

/// The statuses the metrics server answers with.
public enum HTTPStatus: Int, Hashable, Sendable {
    case ok = 200
    case badRequest = 400
    case notFound = 404
    case methodNotAllowed = 405
    case requestTimeout = 408
    case contentTooLarge = 413
    case headersTooLarge = 431
    case internalServerError = 500
    case notImplemented = 501
    case serviceUnavailable = 503
    case versionNotSupported = 505

    /// The reason phrase (RFC 9110, 15).
    public var reason: String {
        switch self {
        case .ok: "OK"
        case .badRequest: "Bad Request"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .requestTimeout: "Request Timeout"
        case .contentTooLarge: "Content Too Large"
        case .headersTooLarge: "Request Header Fields Too Large"
        case .internalServerError: "Internal Server Error"
        case .notImplemented: "Not Implemented"
        case .serviceUnavailable: "Service Unavailable"
        case .versionNotSupported: "HTTP Version Not Supported"
        }
    }
}

/// An answer: status, extra headers, body. `Content-Length`, `Date` and `Connection: close` are added.
public struct HTTPResponse: Hashable, Sendable {
    public var status: HTTPStatus
    public var contentType: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: HTTPStatus, contentType: String = "text/plain; charset=utf-8", headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A short text answer (errors).
    public static func text(_ status: HTTPStatus, _ message: String, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array((message + "\n").utf8))
    }

    /// The bytes on the wire; `includeBody: false` for a HEAD request (the length stays the body's).
    func serialized(date: String, includeBody: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\n"
        head += "Date: \(date)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }
}
