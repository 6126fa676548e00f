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

    private struct Envelope: Decodable {
        var type: String
        var object: JSONValue
    }

    /// Decodes one line of a watch stream.
    /// - Throws: `DecodingError` for a line that is not a watch event.
    public init(line: Data) throws {
        let decoder = KubernetesJSON.decoder
        let envelope = try decoder.decode(Envelope.self, from: line)
        let object = try KubernetesJSON.encoder.encode(envelope.object)
        switch envelope.type {
        case "ADDED": self = .added(try decoder.decode(Object.self, from: object))
        case "MODIFIED": self = .modified(try decoder.decode(Object.self, from: object))
        case "DELETED": self = .deleted(try decoder.decode(Object.self, from: object))
        case "BOOKMARK":
            guard case .string(let version)? = envelope.object["metadata"]?["resourceVersion"] else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "BOOKMARK without resourceVersion"))
            }
            self = .bookmark(resourceVersion: version)
        case "ERROR": self = .error(try decoder.decode(Status.self, from: object))
        default:
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "unknown watch event type \"\(envelope.type)\""))
        }
    }
}
