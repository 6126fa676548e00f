import CronExpression
import Foundation
import RunModel

extension FileState {
    /// Splits a line into tokens separated by spaces and tabs.
    static func tokens(of text: Substring, column: (Substring) -> Int) -> [Token] {
        // On UTF-8 bytes: the separators are ASCII, so every boundary is also a character boundary.
        var tokens: [Token] = []
        let bytes = text.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                index = bytes.index(after: index)
            }
            let start = index
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: " ") && bytes[index] != UInt8(ascii: "\t") {
                index = bytes.index(after: index)
            }
            if start < index {
                let token = text[start..<index]
                tokens.append(Token(text: token, column: column(token)))
            }
        }
        return tokens
    }

    /// Reads a job line: schedule, name, command.
    mutating func parseJob(_ text: Substring, line: Int, column: (Substring) -> Int) {
        let tokens = FileState.tokens(of: text, column: column)
        let errorsBefore = diagnostics.count
        pendingAssignments = []
        // The schedule: an @ form (`@every` takes its duration too), or up to six tokens that could
        // be cron fields. The first token that cannot be a cron field is the name.
        var count = 0
        if tokens[0].text.hasPrefix("@") {
            count = tokens[0].text.lowercased() == "@every" ? min(2, tokens.count) : 1
        } else {
            while count < min(6, tokens.count) && CronExpression.couldBeField(tokens[count].text) { count += 1 }
        }
        let scheduleText = text[tokens[0].text.startIndex..<tokens[count == 0 ? 0 : count - 1].text.endIndex]
        guard count < tokens.count else {
            report(.missingName, line: line, column: column(text) + text.utf8.count)
            return
        }
        let nameToken = tokens[count]
        if count < 5 && !tokens[0].text.hasPrefix("@") {
            report(.tooFewFields(found: count, name: String(nameToken.text)), line: line, column: nameToken.column)
            return
        }
        let name: JobName?
        do {
            name = try JobName(String(nameToken.text))
        } catch {
            // `0 3 * * * mon backup.sh`: the six-token schedule swallowed a name that is a cron word.
            if count == 6, JobName.problem(with: tokens[5].text) == .cronValue {
                report(.invalidJobName(String(tokens[5].text), .cronValue), line: line, column: tokens[5].column)
            } else {
                report(.invalidJobName(String(nameToken.text), error), line: line, column: nameToken.column)
            }
            name = nil
        }
        let schedule: CronExpression?
        do {
            // Tabs become spaces, byte for byte, so the expression's columns stay the line's.
            var expression = String(scheduleText)
            if expression.utf8.contains(UInt8(ascii: "\t")) {
                expression = expression.replacingOccurrences(of: "\t", with: " ")
            }
            schedule = try CronExpression(expression, hashKey: name?.rawValue ?? "")
        } catch {
            report(.cronSyntax(error), line: line, column: tokens[0].column + error.column - 1)
            schedule = nil
        }
        let commandText = text[nameToken.text.endIndex...].trimmingSpaces()
        let command = unescapeCommand(commandText, line: line, column: column)
        if commandText.isEmpty, let name {
            // `0 3 * * * mon backup`: with a cron word as the name, the line reads as a six-field
            // schedule, the command as the name, and no command.
            if count == 6, JobName.problem(with: tokens[5].text) == .cronValue {
                report(.invalidJobName(String(tokens[5].text), .cronValue), line: line, column: tokens[5].column)
            } else {
                report(.missingCommand(name), line: line, column: nameToken.column)
            }
        }
        guard let name, let schedule, let command, !commandText.isEmpty, diagnostics.count == errorsBefore else {
            return
        }
        let location = SourceLocation(file: path, line: line, column: tokens[0].column)
        if let first = firstDefinition[name] {
            report(.duplicateJobName(name, firstDefinedAt: first), line: line, column: location.column)
            return
        }
        firstDefinition[name] = location
        // After a refused CRON_IMAGE or CRON_TEMPLATE, "no image" would only repeat that error.
        // An ecs job that names its task definition takes the image from it.
        let definitionGivesImage = settings.executor == .ecs && (settings.ecs.taskDefinition != nil || failedSettings.contains(.ecsTaskDefinition))
        if settings.executor != .local && settings.image == nil && settings.template?.image == nil && !definitionGivesImage
            && failedSettings.isDisjoint(with: [.image, .template])
        {
            report(.missingImage(name), line: line, column: nameToken.column)
            return
        }
        let errorsBeforeExecutorChecks = diagnostics.count
        checkExecutorSettings(job: name, line: line, column: nameToken.column)
        guard !diagnostics[errorsBeforeExecutorChecks...].contains(where: { !$0.isWarning }) else { return }
        guard checkMainContainer(of: name, line: line, column: nameToken.column) else { return }
        // ECS sizes are checked exactly by checkExecutorSettings; EKS pods are rounded up here.
        if settings.executor != .ecs { checkFargateSize(line: line, column: nameToken.column) }
        // The jobs below one block of settings share them (see JobSpec.inherited).
        let inherited: InheritedSettings
        if let shared = sharedSettings, shared.values == settings, shared.environment == environment {
            inherited = shared
        } else {
            inherited = InheritedSettings(values: settings, environment: environment)
            sharedSettings = inherited
        }
        jobs.append(JobSpec(name: name, schedule: schedule, command: command, location: location, inherited: inherited))
    }

    /// `\%` becomes `%`; a bare `%` is an error (cron's newline-and-stdin rule cannot work on Fargate).
    private mutating func unescapeCommand(_ text: Substring, line: Int, column: (Substring) -> Int) -> String? {
        let percent = UInt8(ascii: "%")
        guard text.utf8.contains(percent) else { return String(text) }
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == percent {
                result.append(percent)
                i += 2
                continue
            }
            if bytes[i] == percent {
                report(.unescapedPercent, line: line, column: column(text) + i)
                return nil
            }
            result.append(bytes[i])
            i += 1
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Reports, once per size, a Fargate job whose pod fits no Fargate size or jumps a vCPU size;
    /// the pod's every container counts, as Fargate counts them (``PodRequests``).
    private mutating func checkFargateSize(line: Int, column: Int) {
        guard let overhead = FargateSize.overheadMiB(for: settings.executor) else { return }
        let pod = settings.podRequests
        let key = [pod.milliCPU, pod.memoryBytes, Int64(overhead)]
        guard !reportedSizes.contains(key) else { return }
        reportedSizes.insert(key)
        // A pod of several containers is named by its total, with where it comes from.
        let (cpu, memory) = pod.hasSeveralContainers
            ? (ResourceQuantity.cpu(milli: pod.milliCPU, text: " (the pod's, of \(pod.breakdown(\.cpu)))"),
               ResourceQuantity.memory(bytes: pod.memoryBytes, text: " (the pod's, of \(pod.breakdown(\.memory)))"))
            : (settings.mainContainerCPU, settings.mainContainerMemory)
        guard let billed = FargateSize.billed(pod: pod, overheadMiB: overhead) else {
            report(.noFargateSize(cpu: cpu, memory: memory, overheadMiB: overhead), line: line, column: column)
            return
        }
        if let smallest = FargateSize.smallestCPU(atLeastMilli: pod.milliCPU), billed.milliCPU > smallest {
            report(.fargateSizeJump(cpu: cpu, memory: memory, overheadMiB: overhead, billed: billed),
                   line: line, column: column)
        }
    }
}
