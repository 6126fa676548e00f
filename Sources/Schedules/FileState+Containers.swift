import RunModel

extension FileState {
    /// Checks that `CRON_CONTAINER` names one of the template's pod containers, and that the main
    /// container has an image (from `CRON_IMAGE` or the template). Reports at the job's name.
    /// - Returns: whether the job may be added.
    mutating func checkMainContainer(of job: JobName, line: Int, column: Int) -> Bool {
        guard let template = settings.template else { return true }
        if let name = settings.container, template.mainContainer(named: name) == nil {
            let isInit = template.containers.contains { $0.name == name }
            report(.unknownContainer(name, template: template.path, containers: template.podContainers.map(\.name),
                                     isInitContainer: isInit), line: line, column: column)
            return false
        }
        // The first container's image was checked with CRON_IMAGE already; a named main container's is checked here.
        if settings.executor != .local, settings.image == nil, template.image != nil,
            template.mainContainer(named: settings.container)?.image == nil
        {
            report(.missingImage(job), line: line, column: column)
            return false
        }
        return true
    }
}
