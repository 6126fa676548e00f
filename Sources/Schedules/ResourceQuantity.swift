import Foundation

/// A Kubernetes resource quantity (`0.5`, `500m`, `1Gi`, `2e3`), as `CRON_CPU` and `CRON_MEMORY` read.
///
/// The grammar is Kubernetes' (`resource.Quantity`): a non-negative decimal number followed by a binary
/// suffix (`Ki` `Mi` `Gi` `Ti` `Pi` `Ei`), a decimal suffix (`n` `u` `m` `k` `M` `G` `T` `P` `E`), or an
/// exponent (`e3`, `E-2`). Like Kubernetes, the value is kept in thousandths, rounded up, so `0.5` and
/// `500m` are equal; the text is kept as written for messages and for the manifest.
public struct ResourceQuantity: Hashable, Sendable, CustomStringConvertible {
    /// The value in thousandths of a unit, rounded up (Kubernetes' `MilliValue()`): millicores for CPU.
    public let milliValue: Int64
    /// The quantity as it was written.
    public let text: String

    /// Parses a quantity; `nil` when `text` is not one or does not fit in 64 bits of thousandths.
    public init?(_ text: Substring) {
        guard let milli = ResourceQuantity.parseMilli(text) else { return nil }
        self.milliValue = milli
        self.text = String(text)
    }

    /// A quantity of `milliValue` thousandths, written as `text` (a total fargate-cron computed, for messages).
    init(milliValue: Int64, text: String) {
        self.milliValue = milliValue
        self.text = text
    }

    /// A CPU total as Kubernetes would write it: `2`, `1250m`.
    static func cpu(milli: Int64, text suffix: String = "") -> ResourceQuantity {
        ResourceQuantity(milliValue: milli, text: (milli % 1000 == 0 ? "\(milli / 1000)" : "\(milli)m") + suffix)
    }

    /// A memory total as Kubernetes would write it: `2Gi`, `768Mi`, or bytes.
    static func memory(bytes: Int64, text suffix: String = "") -> ResourceQuantity {
        let text = bytes % (1 << 30) == 0 ? "\(bytes >> 30)Gi" : bytes % (1 << 20) == 0 ? "\(bytes >> 20)Mi" : "\(bytes)"
        return ResourceQuantity(milliValue: bytes * 1000, text: text + suffix)
    }

    /// The value rounded up to a whole unit (Kubernetes' `Value()`): bytes for memory.
    public var value: Int64 { milliValue / 1000 + (milliValue % 1000 == 0 ? 0 : 1) }

    public var description: String { text }

    public static func == (lhs: ResourceQuantity, rhs: ResourceQuantity) -> Bool { lhs.milliValue == rhs.milliValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(milliValue) }

    private static let binarySuffixes: [String: Int] = ["Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6]
    private static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]

    // Foundation's pow(Decimal, Int) takes only non-negative exponents.
    private static func scaled(_ value: Decimal, byPowerOfTen exponent: Int) -> Decimal {
        exponent >= 0 ? value * pow(Decimal(10), exponent) : value / pow(Decimal(10), -exponent)
    }

    private static func parseMilli(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        var sawDigit = false
        var sawPoint = false
        while index < bytes.count {
            let b = bytes[index]
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                sawDigit = true
            } else if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit, index <= 40 else { return nil }  // 40 digits is far beyond any real request
        guard let mantissa = Decimal(string: String(decoding: bytes[..<index], as: UTF8.self), locale: nil)
        else { return nil }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        var value = mantissa
        if let power = binarySuffixes[suffix] {
            for _ in 0..<power { value *= 1024 }
        } else if let exponent = decimalSuffixes[suffix] {
            value = scaled(value, byPowerOfTen: exponent)
        } else if let first = suffix.first, first == "e" || first == "E",
            let exponent = Int(suffix.dropFirst()), (-18...18).contains(exponent),
            suffix.dropFirst().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") })
        {
            value = scaled(value, byPowerOfTen: exponent)
        } else {
            return nil
        }
        var milli = value * 1000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &milli, 0, .up)
        guard rounded <= Decimal(Int64.max) else { return nil }
        return NSDecimalNumber(decimal: rounded).int64Value
    }
}
