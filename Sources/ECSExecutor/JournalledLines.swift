import RunModel
import Systemd

/// How many lines of a task's output the journal already holds for a run: a daemon that restarts
/// while its task runs reads the task's stream from the head again, and skips that many events, so
/// that no line is journalled twice (nor lost).
enum JournalledLines {
    /// The count.
    /// - Parameters:
    ///   - run: the run (`CRON_RUN_ID`).
    ///   - taskARN: its task (`ECS_TASK_ARN`): two daemons on one host may both have a run 7.
    /// - Throws: ``SystemdError`` when the journal cannot be read.
    static func count(run: RunID, taskARN: String) throws(SystemdError) -> Int {
        let reader = try JournalReader()
        try reader.addMatch(JournalField.cronRunID, run.description)
        try reader.addMatch(JournalField.ecsTaskARN, taskARN)
        try reader.seekToHead()
        var lines = 0
        while let record = try reader.next() {
            // A line longer than the sink's limit is several entries; all but its last say so.
            if record[JournalField.cronLineContinues] == nil { lines += 1 }
        }
        return lines
    }
}
