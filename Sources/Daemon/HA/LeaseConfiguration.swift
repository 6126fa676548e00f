public import Kubernetes
import RunModel

/// Where and how several hosts elect their leader: a `coordination.k8s.io/v1` Lease and the
/// election's three durations (`--lease NAMESPACE/NAME`, `--lease-duration`, `--renew-deadline`,
/// `--retry-period`).
public struct LeaseConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// The Lease's namespace.
    public var namespace: String
    /// The Lease's name.
    public var name: String
    /// Lease duration, renew deadline, retry period.
    public var election: ElectionConfiguration

    /// A Lease given as `NAMESPACE/NAME`.
    /// - Throws: ``LeaseConfigurationError`` saying what is wrong with the text.
    public init(lease text: String, election: ElectionConfiguration) throws(LeaseConfigurationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
            throw LeaseConfigurationError("the Lease must be given as NAMESPACE/NAME, got '\(text)'")
        }
        guard JobName.isDNSLabel(parts[0]) else {
            throw LeaseConfigurationError("'\(parts[0])' is not a namespace: lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit")
        }
        guard Self.isDNSSubdomain(parts[1]) else {
            throw LeaseConfigurationError("'\(parts[1])' is not a Lease name: lower-case letters, digits, '-' and '.', at most 253, starting and ending with a letter or digit")
        }
        namespace = parts[0]
        name = parts[1]
        self.election = election
    }

    /// `NAMESPACE/NAME`.
    public var description: String { "\(namespace)/\(name)" }

    /// A duration as the command line takes them: `15s`, `500ms`, `1.5s`, or a bare number of seconds.
    public static func duration(_ text: String) -> Duration? {
        var number = Substring(text)
        var unit = 1.0
        if number.hasSuffix("ms") {
            number = number.dropLast(2)
            unit = 0.001
        } else if number.hasSuffix("s") {
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(number),
            value.isFinite, value >= 0, value * unit <= 86_400
        else { return nil }
        return .milliseconds(Int64((value * unit * 1000).rounded()))
    }

    /// A DNS-1123 subdomain, as Kubernetes names most objects.
    static func isDNSSubdomain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...253).contains(bytes.count) else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard isAlphanumeric(bytes.first!), isAlphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }
}

/// A Lease or a duration the command line cannot use.
public struct LeaseConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
