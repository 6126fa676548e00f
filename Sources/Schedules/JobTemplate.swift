public import Foundation
import Yams

/// A `batch/v1` Job manifest that a job starts from (`CRON_TEMPLATE`).
///
/// The manifest is read with Yams when the schedule file is checked, validated, and kept as canonical
/// JSON (keys sorted), which the Kubernetes module decodes into its Job type. The job's image,
/// command, resources and environment are merged into it when a run is created.
public struct JobTemplate: Hashable, Sendable {
    /// The path as written after `CRON_TEMPLATE=`, relative to the schedule file's folder.
    public var path: String
    /// The manifest as canonical JSON (sorted keys, no insignificant whitespace).
    public var manifest: Data
    /// The first container's image in the manifest, if it names one.
    public var image: String?
    /// Whether the manifest sets `metadata.name`, which fargate-cron replaces (a warning in `check`).
    public var setsName: Bool
    /// Fields the API server sets itself, left out of the manifest (each a warning in `check`).
    public var notes: [Note] = []
    /// The pod's containers, init containers first, with their requests (see `JobTemplate+Containers.swift`).
    public var containers: [ContainerRequests] = []

    /// A line and column in the template file (1-based, as YAML parsers count them).
    public struct Place: Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var description: String { "\(line):\(column)" }
    }

    /// A field left out of the manifest, and why.
    public struct Note: Hashable, Sendable, CustomStringConvertible {
        public var field: String
        public var why: String
        public var place: Place
        public var description: String { "\(place): \(field) is left out: \(why)" }
    }

    /// A field the API server would refuse.
    public struct Issue: Hashable, Sendable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var place: Place
        public var description: String { "\(place): \(field): \(message)" }
    }

    /// Reads and validates a manifest.
    /// - Parameters:
    ///   - yaml: the manifest's text.
    ///   - path: the path as written, kept for messages.
    /// - Throws: `TemplateProblem` when the text is not YAML or not a `batch/v1` Job.
    public init(yaml: String, path: String) throws(TemplateProblem) {
        let root: Node?
        do {
            // Without the timestamp rule, dates stay strings, as the Kubernetes API sends them.
            root = try Yams.compose(yaml: yaml, Resolver.default.removing(.timestamp))
        } catch let error as YamlError {
            throw TemplateProblem.yaml(JobTemplate.summary(of: error))
        } catch {
            throw TemplateProblem.yaml("\(error)")
        }
        guard let root else { throw .notAJob("the file is empty") }
        var marks: [String: Place] = [:]
        var object = try JobTemplate.jsonObject(root, path: "", marks: &marks)
        try JobTemplate.validate(object)
        if var mapping = object as? [String: Any] {
            let (notes, issues) = TemplateRules.apply(to: &mapping, marks: marks)
            guard issues.isEmpty else { throw .invalid(issues) }
            self.notes = notes
            object = mapping
        }
        do {
            manifest = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .notAJob("it cannot be written as JSON: \(error)")
        }
        self.path = path
        let podSpec = (((object as? [String: Any])?["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"]
        let first = ((podSpec as? [String: Any])?["containers"] as? [Any])?.first as? [String: Any]
        self.image = (first?["image"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        self.containers = (object as? [String: Any]).map(JobTemplate.containers(of:)) ?? []
        let metadata = (object as? [String: Any])?["metadata"] as? [String: Any]
        self.setsName = metadata?["name"] != nil || metadata?["generateName"] != nil
    }

    /// What is wrong with a template.
    public enum TemplateProblem: Error, Hashable, Sendable, CustomStringConvertible {
        /// The text is not YAML; the message starts with the line and column in the template.
        case yaml(String)
        /// The YAML is not a Job manifest fargate-cron can start from.
        case notAJob(String)
        /// Fields the API server would refuse, each with its place in the template (one error each in `check`).
        case invalid([Issue])

        public var description: String {
            switch self {
            case .yaml(let message): "is not valid YAML: \(message)"
            case .notAJob(let message): "is not a batch/v1 Job: \(message)"
            case .invalid(let issues): "would be refused by the API server: " + issues.map(\.description).joined(separator: "; ")
            }
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return "\(mark.line):\(mark.column): \(context.map { "\($0.text) " } ?? "")\(problem)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)\(offset.map { " at byte \($0)" } ?? "")"
        default:
            return "\(error)"
        }
    }

    private static func jsonObject(_ node: Node, path: String, marks: inout [String: Place]) throws(TemplateProblem) -> Any {
        if let mark = node.mark, marks[path] == nil { marks[path] = Place(line: mark.line, column: mark.column) }
        switch node {
        case .scalar(let scalar):
            let tag = Resolver.default.removing(.timestamp).resolveTag(of: node)
            let at = path.isEmpty ? "" : " at \(path)"
            switch tag {
            case .null: return NSNull()
            case .bool: if let value = node.bool { return value }
            case .int: if let value = node.int { return value }
            case .float:
                if let value = node.float {
                    guard value.isFinite else { throw .notAJob("\(scalar.string)\(at) is not a finite number") }
                    return value
                }
            default: return scalar.string
            }
            return scalar.string
        case .sequence(let sequence):
            var array: [Any] = []
            for (index, element) in sequence.enumerated() {
                array.append(try jsonObject(element, path: "\(path)[\(index)]", marks: &marks))
            }
            return array
        case .mapping(let mapping):
            var dictionary: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw .notAJob("a key\(path.isEmpty ? "" : " in \(path)") is not a string")
                }
                let name = keyScalar.string
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                // A field's place is its key's: where an editor should go to remove or fix it.
                if let mark = key.mark { marks[childPath] = Place(line: mark.line, column: mark.column) }
                dictionary[name] = try jsonObject(value, path: childPath, marks: &marks)
            }
            return dictionary
        case .alias:
            throw .notAJob("YAML aliases are not supported\(path.isEmpty ? "" : " (at \(path))")")
        }
    }

    private static func validate(_ object: Any) throws(TemplateProblem) {
        guard let root = object as? [String: Any] else { throw .notAJob("the top level is not a mapping") }
        let apiVersion = root["apiVersion"] as? String
        guard apiVersion == "batch/v1" else {
            throw .notAJob("apiVersion is \(apiVersion.map { "'\($0)'" } ?? "missing"); it must be batch/v1")
        }
        let kind = root["kind"] as? String
        guard kind == "Job" else { throw .notAJob("kind is \(kind.map { "'\($0)'" } ?? "missing"); it must be Job") }
        let podSpec = ((root["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
        guard let podSpec else { throw .notAJob("spec.template.spec is missing") }
        guard let containers = podSpec["containers"] as? [Any], !containers.isEmpty else {
            throw .notAJob("spec.template.spec.containers must be a non-empty list")
        }
        for (index, container) in containers.enumerated() {
            guard let fields = container as? [String: Any], let name = fields["name"] as? String, !name.isEmpty else {
                throw .notAJob("spec.template.spec.containers[\(index)] has no name")
            }
        }
        if let policy = podSpec["restartPolicy"] {
            guard let text = policy as? String, text == "Never" || text == "OnFailure" else {
                throw .notAJob("spec.template.spec.restartPolicy must be Never or OnFailure for a Job")
            }
        }
    }
}
