// libFuzzer entry point for the CronExpression parser, compiled together with
// Sources/CronExpression/*.swift by scripts/fuzz/cron. Crashes (and failed preconditions) are findings.
import Foundation

private let zone = TimeZone(identifier: "Australia/Lord_Howe")!
private let instant = Date(timeIntervalSince1970: 1_775_300_000)  // 2026-04-04, near a Lord Howe change

@_cdecl("LLVMFuzzerTestOneInput")
public func cronFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let expression = try CronExpression(text, hashKey: "fuzz")
        let again = try CronExpression(expression.description)
        precondition(again == expression, "round trip changed \(text) -> \(expression.description)")
        if let next = expression.nextFireDate(after: instant, in: zone) { precondition(next > instant) }
        if let previous = expression.previousFireDate(before: instant, in: zone) { precondition(previous < instant) }
    } catch {
        precondition((1...text.utf8.count + 1).contains(error.column), "column \(error.column) outside '\(text)'")
        precondition(error.message.contains("column \(error.column)"), "message without its column: \(error.message)")
    }
    return 0
}
