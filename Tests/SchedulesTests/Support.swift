import Foundation
import Schedules

/// Parses `text` as a schedule file at `path`, with templates served from `templates` (by the path
/// as written after `CRON_TEMPLATE=`).
func parse(_ text: String, path: String = "t.cron", templates: [String: String] = [:]) -> ParsedScheduleFile {
    parser(templates: templates).parse(ScheduleFile(path: path, contents: Data(text.utf8)))
}

/// A parser whose templates come from memory.
func parser(templates: [String: String] = [:]) -> ScheduleParser {
    ScheduleParser { path, _ in
        if let text = templates[path] { return .success(text) }
        return .failure(.init(reason: "no such file"))
    }
}

/// The folder this file is in, for fixtures and snapshots.
func testsFolder(_ file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent()
}

/// A fixed instant for next-fire-time output: 2026-11-29T00:00:00Z.
let fixedInstant = Date(timeIntervalSince1970: 1_795_910_400)

/// A minimal valid job header, so that a case tests one thing.
let image = "CRON_IMAGE=app:1\n"
