import CronExpression
import Foundation

extension FileState {
    /// Splits a line into tokens separated by spaces and tabs.
    static func tokens(of text: Substring, column: (Substring) -> Int) -> [Token] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { Token(text: $0, column: column($0)) }
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
            let expression = String(scheduleText).replacingOccurrences(of: "\t", with: " ")
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
        if settings.executor != .local && settings.image == nil && settings.template?.image == nil
            && failedSettings.isDisjoint(with: [.image, .template])
        {
            report(.missingImage(name), line: line, column: nameToken.column)
            return
        }
        checkFargateSize(line: line, column: nameToken.column)
        let s = settings
        jobs.append(JobSpec(
            name: name, schedule: schedule, timeZone: s.timeZone, command: command, environment: environment,
            executor: s.executor, namespace: s.namespace, image: s.image, cpu: s.cpu, memory: s.memory,
            template: s.template, serviceAccount: s.serviceAccount, concurrency: s.concurrency,
            startingDeadline: s.startingDeadline, catchUp: s.catchUp, timeout: s.timeout, retries: s.retries,
            keepSucceeded: s.keepSucceeded, keepFailed: s.keepFailed, podTTL: s.podTTL,
            pendingTimeout: s.pendingTimeout, isSuspended: s.isSuspended, labels: s.labels,
            annotations: s.annotations, location: location))
    }

    /// `\%` becomes `%`; a bare `%` is an error (cron's newline-and-stdin rule cannot work on Fargate).
    private mutating func unescapeCommand(_ text: Substring, line: Int, column: (Substring) -> Int) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            let next = text.index(after: index)
            if c == "\\", next < text.endIndex, text[next] == "%" {
                result.append("%")
                index = text.index(after: next)
                continue
            }
            if c == "%" {
                report(.unescapedPercent, line: line, column: column(text[index...]))
                return nil
            }
            result.append(c)
            index = next
        }
        return result
    }

    /// Reports, once per size, a Kubernetes job whose requests fit no Fargate size or jump a vCPU size.
    private mutating func checkFargateSize(line: Int, column: Int) {
        guard settings.executor == .kubernetes else { return }
        let key = [settings.cpu.milliValue, settings.memory.milliValue]
        guard !reportedSizes.contains(key) else { return }
        reportedSizes.insert(key)
        guard let billed = FargateSize.billed(cpu: settings.cpu, memory: settings.memory) else {
            report(.noFargateSize(cpu: settings.cpu, memory: settings.memory), line: line, column: column)
            return
        }
        if let smallest = FargateSize.smallestCPU(atLeast: settings.cpu), billed.milliCPU > smallest {
            report(.fargateSizeJump(cpu: settings.cpu, memory: settings.memory, billed: billed), line: line, column: column)
        }
    }
}
