import Foundation

/// Prometheus' text exposition format, version 0.0.4: `# HELP`, `# TYPE`, then one line per sample.
///
/// - SeeAlso: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
enum TextExposition {
    /// The `Content-Type` of a scrape's answer.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func write(_ family: MetricsRegistry.Family, into text: inout String) {
        text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
        text += "# TYPE \(family.name) \(family.kind.typeName)\n"
        // Sorted, so that two scrapes of the same values read the same (and golden files can hold them).
        let series = family.series.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (labelValues, value) in series {
            let pairs = zip(family.labels, labelValues).map { "\($0)=\"\(escapeLabelValue($1))\"" }
            switch value {
            case .scalar(let number):
                text += "\(family.name)\(braced(pairs)) \(format(number))\n"
            case .histogram(let buckets, let sum, let count):
                guard case .histogram(let bounds) = family.kind else { continue }
                for (bound, cumulative) in zip(bounds, buckets) {
                    text += "\(family.name)_bucket\(braced(pairs + ["le=\"\(format(bound))\""])) \(cumulative)\n"
                }
                text += "\(family.name)_bucket\(braced(pairs + ["le=\"+Inf\""])) \(count)\n"
                text += "\(family.name)_sum\(braced(pairs)) \(format(sum))\n"
                text += "\(family.name)_count\(braced(pairs)) \(count)\n"
            }
        }
    }

    private static func braced(_ pairs: [String]) -> String { pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}" }

    /// A sample value: whole numbers without a fraction, `+Inf`, `-Inf`, `NaN` as Go's parser reads them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        // 2^53: past it a Double no longer holds every whole number, and Int(exactly:) says so.
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992, let whole = Int(exactly: value) { return String(whole) }
        return "\(value)"
    }

    /// In a label value, `\`, `"` and line feed are escaped as `\\`, `\"` and `\n`.
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// In a `# HELP` line, `\` and line feed are escaped (a `"` is not).
    static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLetter(first) || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" || $0 == ":" }
    }

    /// Label names: `[a-zA-Z_][a-zA-Z0-9_]*`, and `__` is reserved for Prometheus' own.
    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLetter(first) || first == "_", !name.hasPrefix("__") else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" }
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
}
