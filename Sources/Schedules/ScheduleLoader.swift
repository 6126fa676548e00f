import Foundation

/// Reads schedule files from disk: the only part of this module that does I/O.
public enum ScheduleLoader {
    /// What was read: the files, and the problems that kept some from being read.
    public struct Reading: Sendable {
        public var files: [ScheduleFile]
        public var problems: [ScheduleError]
    }

    /// Reads the `.cron` files named, or found directly inside the folders named (sorted, not
    /// recursive: `crontabs/templates/` holds templates, not schedules). Files larger than
    /// `ScheduleFile.maximumSize` are refused without being read.
    public static func read(paths: [String]) -> Reading {
        var reading = Reading(files: [], problems: [])
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                reading.problems.append(problem(.unreadable(reason: "no such file or folder"), path))
                continue
            }
            guard isDirectory.boolValue else {
                read(file: path, into: &reading)
                continue
            }
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: path)
            } catch {
                reading.problems.append(problem(.unreadable(reason: describe(error)), path))
                continue
            }
            let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
            for name in names.sorted() where name.hasSuffix(".cron") && !name.hasPrefix(".") {
                read(file: "\(folder)/\(name)", into: &reading)
            }
        }
        return reading
    }

    private static func read(file path: String, into reading: inout Reading) {
        switch readBounded(path) {
        case .success(let data): reading.files.append(ScheduleFile(path: path, contents: data))
        case .failure(let kind): reading.problems.append(problem(kind, path))
        }
    }

    private static func problem(_ kind: ScheduleError.Kind, _ path: String) -> ScheduleError {
        ScheduleError(kind, at: SourceLocation(file: path, line: 1, column: 1))
    }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }

    /// Reads a regular file of at most `ScheduleFile.maximumSize` bytes.
    static func readBounded(_ path: String) -> Result<Data, ScheduleError.Kind> {
        guard FileManager.default.fileExists(atPath: path) else { return .failure(.unreadable(reason: "no such file")) }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            return .failure(.unreadable(reason: describe(error)))
        }
        if let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
            return .failure(.unreadable(reason: "not a regular file"))
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= ScheduleFile.maximumSize else {
            return .failure(.fileTooLarge(size: size, limit: ScheduleFile.maximumSize))
        }
        do {
            return .success(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            return .failure(.unreadable(reason: describe(error)))
        }
    }

    /// Reads templates from disk, relative to the schedule file's folder.
    public static let templatesOnDisk: ScheduleParser.TemplateReader = { path, scheduleFile in
        let folder = (scheduleFile as NSString).deletingLastPathComponent
        let resolved = path.hasPrefix("/") || folder.isEmpty ? path : "\(folder)/\(path)"
        switch readBounded(resolved) {
        case .success(let data):
            guard let text = String(data: data, encoding: .utf8) else {
                return .failure(.init(reason: "it is not UTF-8 text"))
            }
            return .success(text)
        case .failure(.fileTooLarge(let size, let limit)):
            return .failure(.init(reason: "it is \(size) bytes; the limit is \(limit)"))
        case .failure(.unreadable(let reason)):
            return .failure(.init(reason: reason))
        case .failure(let other):
            return .failure(.init(reason: other.message))
        }
    }

    /// Reads the paths and loads them over `running`: the daemon's (re)load and `check` in one call.
    public static func load(paths: [String], over running: ScheduleSet = ScheduleSet()) -> ScheduleReload.Result {
        let reading = read(paths: paths)
        return ScheduleReload.reload(
            running: running, files: reading.files, parser: ScheduleParser(readTemplate: templatesOnDisk),
            readProblems: reading.problems)
    }
}
