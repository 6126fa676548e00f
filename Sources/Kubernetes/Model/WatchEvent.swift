public import Foundation

/// One event of a watch stream.
public enum WatchEvent<Object: Decodable & Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// The server has sent everything up to this version (no object changed).
    case bookmark(resourceVersion: String)
    /// The server ended the watch with an error, such as 410 `Expired`.
    case error(Status)

    /// Decodes one line of a watch stream.
    /// - Parameter decoder: such as ``KubernetesJSON/decoder(keepingUnmodelledFields:)``; a watch
    ///   connection passes one for all its lines.
    /// - Throws: `DecodingError` for a line that is not a watch event.
    public init(line: Data, decoder: JSONDecoder = KubernetesJSON.decoder) throws {
        self = try decoder.decode(Envelope.self, from: line).event
    }

    /// `{"type": ..., "object": ...}`, read in one pass: `type` first, then `object` as what the type
    /// says it is. (It used to be read with `object` as a `JSONValue` tree, written back to JSON and
    /// read again: 42 % of the daemon's CPU in a 500-run herd went to that.)
    private struct Envelope: Decodable {
        var event: WatchEvent

        private enum CodingKeys: String, CodingKey { case type, object }

        /// What a `BOOKMARK` carries: only `metadata.resourceVersion` counts (the rest is an empty
        /// object of the watched kind, which may not even decode as one).
        private struct Bookmark: Decodable {
            struct Metadata: Decodable { var resourceVersion: String? }
            var metadata: Metadata?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let type = try container.decode(String.self, forKey: .type)
            switch type {
            case "ADDED": event = .added(try container.decode(Object.self, forKey: .object))
            case "MODIFIED": event = .modified(try container.decode(Object.self, forKey: .object))
            case "DELETED": event = .deleted(try container.decode(Object.self, forKey: .object))
            case "BOOKMARK":
                guard let version = try container.decode(Bookmark.self, forKey: .object).metadata?.resourceVersion else {
                    throw DecodingError.dataCorrupted(
                        .init(codingPath: [CodingKeys.object], debugDescription: "BOOKMARK without resourceVersion"))
                }
                event = .bookmark(resourceVersion: version)
            case "ERROR": event = .error(try container.decode(Status.self, forKey: .object))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container, debugDescription: "unknown watch event type \"\(type)\"")
            }
        }
    }
}
