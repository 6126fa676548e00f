/// Who holds (or wants) the Lease: a host and one process on it, written as the Lease's
/// `holderIdentity` in the form `HOST_PID_NONCE` (client-go's own examples use `HOST_UUID`).
///
/// The nonce tells apart two processes that get the same pid on one host (a restart after a
/// crash, in a container where every daemon is pid 1): each is a new candidate and must win the
/// Lease afresh, never mistake its predecessor's Lease for its own.
public struct LeaderIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The host's name, as the ledger and `status` show it.
    public let host: String
    /// The process id on that host.
    public let processID: Int32
    /// A few random hex digits drawn at start.
    public let nonce: String

    /// An identity with a given nonce (tests, and ``init(host:processID:)``).
    public init(host: String, processID: Int32, nonce: String) {
        self.host = host
        self.processID = processID
        self.nonce = nonce
    }

    /// An identity with a fresh random nonce of 6 hex digits.
    public init(host: String, processID: Int32) {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next(upperBound: UInt32(1 << 24))
        let hex = String(value, radix: 16)
        self.init(host: host, processID: processID, nonce: String(repeating: "0", count: 6 - hex.count) + hex)
    }

    /// `HOST_PID_NONCE`, the Lease's `holderIdentity`.
    public var description: String { "\(host)_\(processID)_\(nonce)" }

    /// The host named by a `holderIdentity`: the part before `_PID_NONCE` when it has that form (the
    /// host itself may hold `_`), else the whole text (another program's identity, shown as it is).
    public static func host(of holderIdentity: String) -> String {
        let parts = holderIdentity.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count >= 3, Int32(parts[parts.count - 2]) != nil, !parts[parts.count - 1].isEmpty,
            parts[parts.count - 1].allSatisfy(\.isHexDigit)
        else { return holderIdentity }
        return parts.dropLast(2).joined(separator: "_")
    }
}
