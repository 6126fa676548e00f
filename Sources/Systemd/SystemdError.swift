public import SystemPackage

/// A libsystemd call that failed, with the call's name and the errno it returned (libsystemd
/// returns `-errno`).
public struct SystemdError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The libsystemd function that failed, such as `sd_journal_sendv`.
    public var function: String
    /// The error it returned.
    public var errno: Errno

    /// Creates an error for `function` from its negative return code `returnCode`.
    public init(function: String, returnCode: Int32) {
        self.function = function
        self.errno = Errno(rawValue: -returnCode)
    }

    /// Creates an error for `function` with `errno`.
    public init(function: String, errno: Errno) {
        self.function = function
        self.errno = errno
    }

    public var description: String { "\(function): \(errno) (errno \(errno.rawValue))" }
}

/// Returns `returnCode` when it is not negative, else throws it as a ``SystemdError``.
@discardableResult
func check(_ returnCode: Int32, _ function: String) throws(SystemdError) -> Int32 {
    guard returnCode >= 0 else { throw SystemdError(function: function, returnCode: returnCode) }
    return returnCode
}
