/// What the API server would do with a `CRON_TEMPLATE` manifest, decided when the schedule file is
/// checked rather than at the run's fire time.
///
/// - Fields the server sets itself are left out, each with a warning (a template exported from a live
///   Job with `kubectl get job -o yaml` carries them): `metadata.uid`, `resourceVersion`,
///   `creationTimestamp`, `generation`, `selfLink`, `managedFields`, `ownerReferences` (an owner that
///   is not this Job's would have the garbage collector delete it), the Job controller's annotation,
///   `status`, the generated `spec.selector`, and the generated labels (`job-name`, `controller-uid`
///   and their `batch.kubernetes.io/` forms). A `resourceVersion` alone would make every create fail
///   (500), and the old selector and labels every create 422.
/// - Refused, with the field's place in the template: `spec.manualSelector: true` (its pods would
///   not carry the `job-name` label runs are followed by), labels and annotations the API's grammar
///   refuses, container names that are not DNS-1123 labels or repeat, environment variable names the
///   API refuses, quantities outside Kubernetes' grammar (numbers are fine, as in the API), negative
///   ones, and requests above their limits.
enum TemplateRules {
    /// The Job controller's labels, which the API server adds to every Job's pods (and refuses when set otherwise).
    static let reservedLabels: Set<String> = [
        "job-name", "controller-uid", "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid",
    ]
    static let serverSetMetadata = [
        "uid", "resourceVersion", "creationTimestamp", "generation", "selfLink", "managedFields", "ownerReferences",
        "deletionTimestamp", "deletionGracePeriodSeconds",
    ]
    static let serverSetAnnotations = ["batch.kubernetes.io/job-tracking"]

    /// Scrubs `object` in place; returns what was left out and what is refused.
    static func apply(
        to object: inout [String: Any], marks: [String: JobTemplate.Place]
    ) -> (notes: [JobTemplate.Note], issues: [JobTemplate.Issue]) {
        var notes: [JobTemplate.Note] = []
        var issues: [JobTemplate.Issue] = []
        func place(_ path: String) -> JobTemplate.Place { marks[path] ?? marks[parent(of: path)] ?? JobTemplate.Place(line: 1, column: 1) }
        func leaveOut(_ path: String, _ why: String) { notes.append(JobTemplate.Note(field: path, why: why, place: place(path))) }
        func refuse(_ path: String, _ message: String) { issues.append(JobTemplate.Issue(field: path, message: message, place: place(path))) }

        var metadata = object["metadata"] as? [String: Any] ?? [:]
        for key in serverSetMetadata where metadata[key] != nil {
            leaveOut("metadata.\(key)", key == "ownerReferences"
                ? "each run's Job is owned by no one (an owner that is not its own would have it garbage-collected)"
                : "the API server sets it")
            metadata[key] = nil
        }
        scrubGenerated(&metadata, at: "metadata", leaveOut)
        checkMetadata(metadata, at: "metadata", refuse)
        object["metadata"] = metadata.isEmpty ? nil : metadata
        if object["status"] != nil {
            leaveOut("status", "the API server sets it")
            object["status"] = nil
        }
        guard var spec = object["spec"] as? [String: Any] else { return (notes, issues) }
        if spec["manualSelector"] as? Bool == true {
            refuse("spec.manualSelector", "manualSelector: true leaves the pods without the job-name label each run is followed by; remove it and spec.selector")
        } else if spec["selector"] != nil {
            leaveOut("spec.selector", "the API server generates it from each run's Job")
            spec["selector"] = nil
        }
        if spec["manualSelector"] as? Bool == false { spec["manualSelector"] = nil }
        if var template = spec["template"] as? [String: Any] {
            var podMetadata = template["metadata"] as? [String: Any] ?? [:]
            if podMetadata["creationTimestamp"] != nil {
                leaveOut("spec.template.metadata.creationTimestamp", "the API server sets it")
                podMetadata["creationTimestamp"] = nil
            }
            scrubGenerated(&podMetadata, at: "spec.template.metadata", leaveOut)
            checkMetadata(podMetadata, at: "spec.template.metadata", refuse)
            template["metadata"] = podMetadata.isEmpty ? nil : podMetadata
            if let pod = template["spec"] as? [String: Any] { checkPod(pod, refuse) }
            spec["template"] = template
        }
        object["spec"] = spec
        return (notes, issues)
    }

    private static func parent(of path: String) -> String {
        guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return path }
        return String(path[..<cut])
    }

    private static func scrubGenerated(_ metadata: inout [String: Any], at path: String, _ leaveOut: (String, String) -> Void) {
        if var labels = metadata["labels"] as? [String: Any] {
            for key in labels.keys.sorted() where reservedLabels.contains(key) {
                leaveOut("\(path).labels.\(key)", "the Job controller sets it for each run's Job")
                labels[key] = nil
            }
            metadata["labels"] = labels.isEmpty ? nil : labels
        }
        if var annotations = metadata["annotations"] as? [String: Any] {
            for key in serverSetAnnotations where annotations[key] != nil {
                leaveOut("\(path).annotations.\(key)", "the Job controller sets it")
                annotations[key] = nil
            }
            metadata["annotations"] = annotations.isEmpty ? nil : annotations
        }
    }

    private static func checkMetadata(_ metadata: [String: Any], at path: String, _ refuse: (String, String) -> Void) {
        for (kind, isLabel) in [("labels", true), ("annotations", false)] {
            guard let entries = metadata[kind] else { continue }
            guard let map = entries as? [String: Any] else {
                refuse("\(path).\(kind)", "\(kind) must be a mapping of strings")
                continue
            }
            for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                if !Syntax.isMetadataKey(Substring(key)) {
                    refuse("\(path).\(kind).\(key)", "'\(key)' is not a valid \(isLabel ? "label" : "annotation") key: [prefix/]name, the name at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric, the prefix a DNS subdomain")
                }
                guard let text = value as? String else {
                    refuse("\(path).\(kind).\(key)", "the value of \(key) must be a string (quote it)")
                    continue
                }
                if isLabel && !Syntax.isLabelValue(Substring(text)) {
                    refuse("\(path).\(kind).\(key)", "'\(text)' is not a valid label value: at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric, or empty")
                }
            }
        }
    }

    private static func checkPod(_ pod: [String: Any], _ refuse: (String, String) -> Void) {
        var names: Set<String> = []
        for group in ["initContainers", "containers"] {
            for (index, element) in (pod[group] as? [Any] ?? []).enumerated() {
                guard let container = element as? [String: Any] else { continue }
                let path = "spec.template.spec.\(group)[\(index)]"
                if let name = container["name"] as? String {
                    if !Syntax.isDNSLabel(Substring(name)) {
                        refuse("\(path).name", "container name '\(name)' is not a DNS-1123 label (at most 63 of [a-z0-9-], starting and ending alphanumeric)")
                    } else if !names.insert(name).inserted {
                        refuse("\(path).name", "container name '\(name)' is used twice")
                    }
                }
                for (envIndex, env) in (container["env"] as? [Any] ?? []).enumerated() {
                    guard let name = (env as? [String: Any])?["name"] as? String else {
                        refuse("\(path).env[\(envIndex)]", "an environment variable needs a name")
                        continue
                    }
                    if !isEnvironmentName(name) {
                        refuse("\(path).env[\(envIndex)].name", "'\(name)' is not a valid environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]*")
                    }
                }
                checkResources(container["resources"] as? [String: Any] ?? [:], at: "\(path).resources", refuse)
            }
        }
    }

    private static func checkResources(_ resources: [String: Any], at path: String, _ refuse: (String, String) -> Void) {
        var parsed: [String: [String: ResourceQuantity]] = [:]
        for section in ["requests", "limits"] {
            for (name, value) in (resources[section] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let field = "\(path).\(section).\(name)"
                let text: String
                switch value {
                case let string as String: text = string
                case let integer as Int: text = String(integer)
                case let number as Double: text = "\(number)"
                default:
                    refuse(field, "a quantity must be a number or a string such as 500m or 1Gi")
                    continue
                }
                if text.hasPrefix("-") {
                    refuse(field, "quantity \(text) is negative")
                    continue
                }
                guard let quantity = ResourceQuantity(Substring(text.hasPrefix("+") ? String(text.dropFirst()) : text)) else {
                    refuse(field, "'\(text)' is not a Kubernetes quantity: a number, then a suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E) or an exponent (e3)")
                    continue
                }
                parsed[section, default: [:]][name] = quantity
            }
        }
        for (name, request) in (parsed["requests"] ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let limit = parsed["limits"]?[name], request.milliValue > limit.milliValue {
                refuse("\(path).requests.\(name)", "request \(request) is above the limit \(limit)")
            }
        }
    }

    /// The API server's environment variable names (before Kubernetes 1.32 relaxed them).
    private static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        let allowedFirst = isLetter(first) || first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || first == UInt8(ascii: "_")
        return allowedFirst && name.utf8.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 || $0 == 95 }
    }
}
