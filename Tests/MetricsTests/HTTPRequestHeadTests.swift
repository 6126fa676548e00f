import Metrics
import Testing

@Suite struct HTTPRequestHeadTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        /// "GET /metrics 1.1", "incomplete", or the status of a refusal.
        var expect: String
        var testDescription: String { name }
    }

    static func summary(_ parse: HTTPRequestHead.Parse) -> String {
        switch parse {
        case .incomplete: "incomplete"
        case .complete(let head, _): "\(head.method) \(head.path) \(head.version)"
        case .invalid(let status, _): String(status.rawValue)
        }
    }

    @Test(arguments: [
        Case(name: "Prometheus' scrape", request: "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nUser-Agent: Prometheus/2.42.0\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n", expect: "GET /metrics 1.1"),
        Case(name: "a query is not part of the path", request: "GET /metrics?name[]=up HTTP/1.1\r\nHost: h\r\n\r\n", expect: "GET /metrics 1.1"),
        Case(name: "absolute form", request: "GET http://127.0.0.1:9464/metrics HTTP/1.1\r\nHost: h\r\n\r\n", expect: "GET /metrics 1.1"),
        Case(name: "HTTP/1.0 needs no Host", request: "HEAD /metrics HTTP/1.0\r\n\r\n", expect: "HEAD /metrics 1.0"),
        Case(name: "bare LF line ends", request: "GET /metrics HTTP/1.1\nHost: h\n\n", expect: "GET /metrics 1.1"),
        Case(name: "an empty line before the request line", request: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", expect: "GET / 1.1"),
        Case(name: "Content-Length 0 is no body", request: "GET /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", expect: "GET /metrics 1.1"),
        Case(name: "a head still coming", request: "GET /metrics HTTP/1.1\r\nHost: h\r\n", expect: "incomplete"),
        Case(name: "HTTP/1.1 without Host", request: "GET /metrics HTTP/1.1\r\n\r\n", expect: "400"),
        Case(name: "two Hosts", request: "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", expect: "400"),
        Case(name: "space before the colon", request: "GET /metrics HTTP/1.1\r\nHost : h\r\n\r\n", expect: "400"),
        Case(name: "obsolete line folding", request: "GET /metrics HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n", expect: "400"),
        Case(name: "a bare CR", request: "GET /metrics HTTP/1.1\rHost: h\r\n\r\n", expect: "400"),
        Case(name: "two spaces in the request line", request: "GET  /metrics HTTP/1.1\r\nHost: h\r\n\r\n", expect: "400"),
        Case(name: "a relative target", request: "GET metrics HTTP/1.1\r\nHost: h\r\n\r\n", expect: "400"),
        Case(name: "not HTTP", request: "HELO example.com\r\n\r\n", expect: "400"),
        Case(name: "HTTP/2 preface", request: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", expect: "505"),
        Case(name: "a body", request: "POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", expect: "413"),
        Case(name: "chunked", request: "POST /metrics HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", expect: "501"),
        Case(name: "a bad Content-Length", request: "GET /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", expect: "400"),
        Case(name: "a control character in a value", request: "GET /metrics HTTP/1.1\r\nHost: h\u{1}\r\n\r\n", expect: "400"),
    ])
    func parses(_ c: Case) {
        #expect(Self.summary(HTTPRequestHead.parse(Array(c.request.utf8), limit: 8192)) == c.expect)
    }

    @Test func aHeadOverTheLimitIs431EvenBeforeItEnds() {
        let long = "GET /metrics HTTP/1.1\r\nHost: h\r\nX-Long: " + String(repeating: "a", count: 9000)
        #expect(Self.summary(HTTPRequestHead.parse(Array(long.utf8), limit: 8192)) == "431")
        #expect(Self.summary(HTTPRequestHead.parse(Array((long + "\r\n\r\n").utf8), limit: 8192)) == "431")
    }

    @Test func headersAreKeptLowerCasedAndTrimmed() throws {
        guard case .complete(let head, let length) = HTTPRequestHead.parse(Array("GET / HTTP/1.1\r\nHOST:  h \t\r\nAccept: a\r\n\r\nrest".utf8), limit: 100) else {
            Issue.record("not parsed")
            return
        }
        #expect(head.values(of: "host") == ["h"])
        #expect(head.values(of: "accept") == ["a"])
        #expect(length == 41)
    }
}
