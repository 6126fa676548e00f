/// When a job's runs are mailed (`CRON_MAIL`).
public enum MailPolicy: String, Hashable, Sendable, CaseIterable {
    /// Only failures: a run that failed, was lost or could not start, and an overdue job (with its
    /// recovery). The default.
    case failure
    /// Every run's end as well.
    case always
    /// Never.
    case never

    /// `MAILTO`'s addresses, or nil when one is not a plain address. cronie's rule (its `safe_p`):
    /// letters, digits and `@!%-._+`, starting with a letter or digit, so nothing a shell or a
    /// mail header would read as more than an address. Spaces after the commas are allowed.
    static func addresses(_ text: Substring) -> [String]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard !parts.isEmpty, parts.count <= 50 else { return nil }
        let allowed = Set("@!%-._+".utf8)
        for part in parts {
            guard let first = part.utf8.first, isAlphanumeric(first), part.utf8.count <= 254,
                part.utf8.allSatisfy({ isAlphanumeric($0) || allowed.contains($0) })
            else { return nil }
        }
        return parts.map(String.init)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}
