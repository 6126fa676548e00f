extension JobTemplate {
    /// The pod's containers as the manifest writes them, init containers first: names, images and
    /// requests (a limit stands for a missing request, as Kubernetes defaults it).
    ///
    /// Read after ``TemplateRules`` checked every quantity, so one that does not parse here is
    /// taken as absent rather than reported twice.
    static func containers(of manifest: [String: Any]) -> [ContainerRequests] {
        let spec = ((manifest["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any] ?? [:]
        func read(_ key: String, isInit: Bool) -> [ContainerRequests] {
            (spec[key] as? [Any] ?? []).compactMap { element in
                guard let container = element as? [String: Any], let name = container["name"] as? String else { return nil }
                let resources = container["resources"] as? [String: Any] ?? [:]
                func quantity(_ resource: String) -> ResourceQuantity? {
                    for section in ["requests", "limits"] {
                        if let value = (resources[section] as? [String: Any])?[resource], let parsed = Self.quantity(value) {
                            return parsed
                        }
                    }
                    return nil
                }
                let role: ContainerRequests.Role =
                    !isInit ? .container : (container["restartPolicy"] as? String == "Always" ? .sidecar : .initContainer)
                let image = (container["image"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                return ContainerRequests(name: name, role: role, image: image, cpu: quantity("cpu"), memory: quantity("memory"))
            }
        }
        return read("initContainers", isInit: true) + read("containers", isInit: false)
    }

    /// A quantity as YAML gave it: a string, or a number (as the API server also reads one).
    static func quantity(_ value: Any) -> ResourceQuantity? {
        switch value {
        case let text as String: ResourceQuantity(Substring(text.hasPrefix("+") ? String(text.dropFirst()) : text))
        case let integer as Int: ResourceQuantity(Substring(String(integer)))
        case let number as Double: ResourceQuantity(Substring("\(number)"))
        default: nil
        }
    }

    /// The pod's containers (not init containers or sidecars), in order.
    public var podContainers: [ContainerRequests] { containers.filter { $0.role == .container } }

    /// The container named `name` among the pod's containers, or the first when `name` is `nil`.
    public func mainContainer(named name: String?) -> ContainerRequests? {
        guard let name else { return podContainers.first }
        return podContainers.first { $0.name == name }
    }
}
