/// Small grammars from Kubernetes that settings use.
enum Syntax {
    private static func isAlphanumericLower(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isAlphanumericLower(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// A DNS-1123 label: at most 63 of `[a-z0-9-]`, starting and ending alphanumeric.
    static func isDNSLabel(_ text: Substring) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return isAlphanumericLower(first) && isAlphanumericLower(last)
            && bytes.allSatisfy { isAlphanumericLower($0) || $0 == UInt8(ascii: "-") }
    }

    /// A DNS-1123 subdomain: dot-separated labels, at most 253 in all.
    static func isDNSSubdomain(_ text: Substring) -> Bool {
        text.utf8.count <= 253 && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel)
    }

    /// A Kubernetes qualified name: at most 63 of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
    static func isQualifiedNamePart(_ text: Substring) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain.
    static func isMetadataKey(_ text: Substring) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 { return isDNSSubdomain(parts[0]) && isQualifiedNamePart(parts[1]) }
        return isQualifiedNamePart(text)
    }

    /// A label value: empty, or a qualified name part.
    static func isLabelValue(_ text: Substring) -> Bool { text.isEmpty || isQualifiedNamePart(text) }

    /// `key=value,key=value`; `nil` when a pair is malformed or a key repeats.
    static func metadata(_ text: Substring, valuesAreLabels: Bool) -> [MetadataEntry]? {
        var entries: [MetadataEntry] = []
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = pair.trimmingSpaces()
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            let key = trimmed[..<equals]
            let value = trimmed[trimmed.index(after: equals)...]
            guard isMetadataKey(key), !valuesAreLabels || isLabelValue(value) else { return nil }
            guard !entries.contains(where: { $0.key == key }) else { return nil }
            entries.append(MetadataEntry(key: String(key), value: String(value)))
        }
        return entries
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
