import Glibc

/// Where the metrics endpoint listens: `HOST:PORT`, an IPv6 host in brackets (`[::1]:9464`).
/// The host is a numeric address or a name from `/etc/hosts` (the daemon never asks DNS for it).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host part, without brackets.
    public var host: String
    /// The port; 0 lets the kernel choose one (tests).
    public var port: UInt16

    /// Prometheus' conventional exporter port range starts at 9100; 9464 is the one the
    /// OpenTelemetry Prometheus exporter took, and the issue names it.
    public static let defaultPort: UInt16 = 9464

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT`.
    /// - Throws: `ListenAddressError` saying what is wrong.
    public init(parsing text: String) throws(ListenAddressError) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ListenAddressError(text: text, problem: "an IPv6 address is written [ADDRESS]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ListenAddressError(text: text, problem: "expected HOST:PORT, such as 127.0.0.1:\(Self.defaultPort)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { throw ListenAddressError(text: text, problem: "an IPv6 address is written [ADDRESS]:PORT") }
        }
        guard !host.isEmpty else { throw ListenAddressError(text: text, problem: "the host is missing (127.0.0.1 for this host only, 0.0.0.0 for all)") }
        guard let port = UInt16(portText), portText.allSatisfy(\.isASCII) else {
            throw ListenAddressError(text: text, problem: "the port must be a number from 0 to 65535")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A listen address that cannot be read.
public struct ListenAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public var description: String { "invalid listen address \"\(text)\": \(problem)" }
}
