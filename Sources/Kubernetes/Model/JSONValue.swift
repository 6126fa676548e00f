import HTTP
public import Foundation

/// Any JSON value, kept exactly enough to write it back: integers stay integers.
///
/// The typed objects (``Job``, ``Pod``, ``Lease``) keep the JSON they were decoded from in one of
/// these, so that fields this module does not model survive a decode-edit-encode round trip.
public enum JSONValue: Codable, Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        // The most common kinds first: each kind tried and refused costs a thrown DecodingError with
        // its coding path, which was half the daemon's CPU when 500 runs listed their Jobs. A string
        // or number is never read as another kind (JSONDecoder does not convert), so the order
        // changes nothing else; Bool before Int64 before Double keeps integers exact.
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else {
            self = .double(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON of any encodable value, as ``KubernetesJSON`` writes it.
    public init(encoding value: some Encodable) throws {
        self = try KubernetesJSON.decoder.decode(JSONValue.self, from: KubernetesJSON.encoder.encode(value))
    }

    /// This value with `overlay` laid over it: objects merge key by key (recursively), arrays of the
    /// same length merge element by element, and anything else is replaced by the overlay.
    ///
    /// This is how a typed object writes itself back: its modelled fields over the JSON it came from.
    /// A field removed from the typed value (set to nil) therefore keeps its original value.
    public func overlaid(with overlay: JSONValue) -> JSONValue {
        switch (self, overlay) {
        case (.object(var base), .object(let top)):
            for (key, value) in top { base[key] = base[key].map { $0.overlaid(with: value) } ?? value }
            return .object(base)
        case (.array(let base), .array(let top)) where base.count == top.count:
            return .array(zip(base, top).map { $0.overlaid(with: $1) })
        default:
            return overlay
        }
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

/// The JSON coders the module uses for the Kubernetes API: timestamps as RFC 3339 (whole seconds as
/// the server writes `metav1.Time`, with microseconds when there is a fraction), keys sorted, so the
/// output is canonical. ``MicroTime`` always writes six fractional digits.
public enum KubernetesJSON {
    /// Writes canonical JSON (sorted keys, no escaped slashes).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            let text = RFC3339.format(date)
            try container.encode(text.hasSuffix(".000000Z") ? RFC3339.formatSeconds(date) : text)
        }
        return encoder
    }

    /// Whether ``Job`` and ``Pod`` keep the JSON they were decoded from in `decodedJSON` (a `Bool`
    /// in a decoder's `userInfo`; absent means they do). Building that tree costs as much as the
    /// typed decode again, so a consumer that never writes an object back, such as a cache of
    /// every pod, decodes without it: see ``decoder(keepingUnmodelledFields:)``.
    public static let keepsUnmodelledFields = CodingUserInfoKey(rawValue: "fargate-cron.keepsUnmodelledFields")!

    /// Reads API JSON; timestamps with or without fractional seconds and with any UTC offset.
    public static var decoder: JSONDecoder { decoder(keepingUnmodelledFields: true) }

    /// Reads API JSON as ``decoder`` does; with `keepingUnmodelledFields` false, the ``Job``s and
    /// ``Pod``s it decodes have no `decodedJSON` (they encode only their modelled fields, so they
    /// must not be written back to the server).
    public static func decoder(keepingUnmodelledFields: Bool) -> JSONDecoder {
        let decoder = JSONDecoder()
        if !keepingUnmodelledFields { decoder.userInfo[keepsUnmodelledFields] = false }
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 timestamp, found \"\(text)\"")
            }
            return date
        }
        return decoder
    }
}
