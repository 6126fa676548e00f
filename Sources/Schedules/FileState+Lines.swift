import CronExpression
import Foundation

/// A whitespace-separated token of a line and its 1-based column in UTF-8 bytes.
struct Token {
    var text: Substring
    var column: Int
}

extension FileState {
    /// Reads one line (without its line ending).
    mutating func parseLine(_ line: String, number: Int) {
        let trimmed = Substring(line).trimmingSpaces()
        if trimmed.isEmpty || trimmed.first == "#" { return }
        let column = { (s: Substring) in line.utf8.distance(from: line.startIndex, to: s.startIndex) + 1 }
        if let (name, value) = FileState.splitAssignment(trimmed) {
            parseAssignment(name: name, value: value, line: number, column: column)
            return
        }
        // `FOO-BAR=1` and `2FA=on` look like assignments, not like schedules (no cron field has
        // an '='): say so.
        let firstToken = trimmed.prefix { $0 != " " && $0 != "\t" }
        if let equals = firstToken.firstIndex(of: "=") {
            report(.invalidAssignmentName(String(firstToken[..<equals])), line: number, column: column(firstToken))
            return
        }
        parseJob(trimmed, line: number, column: column)
    }

    /// `NAME = value` with NAME a shell variable name; `nil` when the line is not an assignment.
    static func splitAssignment(_ text: Substring) -> (Substring, Substring)? {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return nil }
        var index = text.startIndex
        while index < text.endIndex, let byte = text[index].asciiValue,
            byte == UInt8(ascii: "_") || isLetter(byte) || (byte >= 48 && byte <= 57)
        {
            index = text.index(after: index)
        }
        let name = text[..<index]
        let rest = text[index...].trimmingSpaces()
        guard rest.first == "=" else { return nil }
        var value = rest.dropFirst().trimmingSpaces()
        // As in a crontab, one pair of matching quotes around the value is removed.
        if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
            value = value.dropFirst().dropLast()
        }
        return (name, value)
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private mutating func parseAssignment(
        name: Substring, value: Substring, line: Int, column: (Substring) -> Int
    ) {
        let location = SourceLocation(file: path, line: line, column: column(name))
        guard name.hasPrefix("CRON_") || Setting.cronNames.contains(String(name)) else {
            pendingAssignments.append((String(name), location))
            // `cron_tz=UTC` is a legal variable name, so it is only a warning.
            if name.uppercased().hasPrefix("CRON_"), let setting = Setting(rawValue: name.uppercased()) {
                report(.settingInLowercase(String(name), setting: setting.rawValue), line: line, column: location.column)
            }
            let variable = EnvironmentVariable(name: String(name), value: String(value))
            if let index = environment.firstIndex(where: { $0.name == variable.name }) {
                environment[index] = variable
            } else {
                environment.append(variable)
            }
            return
        }
        guard let setting = Setting(rawValue: String(name)) else {
            report(.unknownSetting(name: String(name), didYouMean: Setting.suggestion(for: String(name))),
                   line: line, column: location.column)
            return
        }
        do throws(SettingValues.Refusal) {
            let filePath = path
            let parser = parser
            var cache = templates
            defer { templates = cache }
            try settings.assign(setting, value) { templatePath in
                if let cached = cache[templatePath] { return cached }
                let loaded = FileState.loadTemplate(templatePath, relativeTo: filePath, with: parser.readTemplate)
                cache[templatePath] = loaded
                return loaded
            }
            failedSettings.remove(setting)
            pendingAssignments.append((String(name), location))
            if setting == .template, let template = settings.template {
                if template.setsName { report(.templateNameIgnored(path: template.path), line: line, column: column(value)) }
                for note in template.notes {
                    report(.templateFieldLeftOut(path: template.path, note), line: line, column: column(value))
                }
            }
        } catch {
            failedSettings.insert(setting)
            switch error {
            case .expected:
                report(.invalidSettingValue(setting, value: String(value), expected: setting.expected),
                       line: line, column: column(value))
            case .template(.templateInvalid(let path, .invalid(let issues))):
                // One error per refused field, each naming its place in the template.
                for issue in issues { report(.templateInvalid(path: path, .invalid([issue])), line: line, column: column(value)) }
            case .template(let kind):
                report(kind, line: line, column: column(value))
            }
        }
    }

    private static func loadTemplate(
        _ path: String, relativeTo file: String, with read: ScheduleParser.TemplateReader
    ) -> Result<JobTemplate, ScheduleError.Kind> {
        switch read(path, file) {
        case .failure(let error):
            return .failure(.templateUnreadable(path: path, reason: error.reason))
        case .success(let text):
            do {
                return .success(try JobTemplate(yaml: text, path: path))
            } catch {
                return .failure(.templateInvalid(path: path, error))
            }
        }
    }
}
