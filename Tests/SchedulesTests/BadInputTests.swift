import Foundation
import Schedules
import Testing

/// One bad schedule file and every diagnostic expected from it, exactly.
struct Bad: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var templates: [String: String] = [:]
    var expected: [String]
    var testDescription: String { name }

    init(_ name: String, _ text: String, templates: [String: String] = [:], _ expected: String...) {
        self.name = name
        self.text = text
        self.templates = templates
        self.expected = expected
    }
}

/// A job line that is valid once an image is set, so that each case tests one thing.
private let job = "* * * * * job run\n"
private func setting(_ line: String) -> String { image + line + "\n" + job }
private func valueError(_ setting: String, _ value: String, column: Int, _ expected: String) -> String {
    "t.cron:2:\(column): error: \(setting) '\(value)' is not valid; expected \(expected)"
}

private let duration = "a duration such as 90s, 15m or 1h30m"
private let quantityCPU = "a positive Kubernetes quantity such as 0.5, 500m or 2"
private let quantityMemory = "a positive Kubernetes quantity such as 512Mi, 1Gi or 1.5Gi"
private let labelsExpected =
    "comma-separated key=value pairs; keys are [prefix/]name, values at most 63 of [A-Za-z0-9._-]"
private let jobTemplate = """
    apiVersion: batch/v1
    kind: Job
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: main
              image: app:2

    """

let badInputs: [Bad] = [
    // Job names.
    Bad("uppercase name", image + "0 3 * * * Backup run\n",
        "t.cron:2:11: error: 'Backup' is not a valid job name: it must be lowercase ('B' is not); job names are DNS-1123 labels"),
    Bad("name starting with a digit", image + "0 3 * * * 1st run\n",
        "t.cron:2:11: error: '1st' is not a valid job name: it must start with a letter a-z, not '1'"),
    Bad("name with an underscore", image + "0 3 * * * my_job run\n",
        "t.cron:2:11: error: 'my_job' is not a valid job name: '_' is not allowed; use lowercase letters, digits and '-'"),
    Bad("name with a dot", image + "0 3 * * * job.sh run\n",
        "t.cron:2:11: error: 'job.sh' is not a valid job name: '.' is not allowed; use lowercase letters, digits and '-'"),
    Bad("name ending with a hyphen", image + "0 3 * * * job- run\n",
        "t.cron:2:11: error: 'job-' is not a valid job name: it must not end with '-'"),
    Bad("name of 53 characters", image + "0 3 * * * \(String(repeating: "a", count: 53)) run\n",
        "t.cron:2:11: error: '\(String(repeating: "a", count: 53))' is not a valid job name: it is 53 characters long; the limit is 52 (63 for a Kubernetes name, less 11 for the run's slot)"),
    Bad("name that is a day name", image + "0 3 * * * mon run\n",
        "t.cron:2:11: error: 'mon' is not a valid job name: it is also a cron value, so the line could not be split into schedule and name; pick another name"),
    Bad("name that is H, before a path", image + "0 3 * * * h bin/x\n",
        "t.cron:2:11: error: 'h' is not a valid job name: it is also a cron value, so the line could not be split into schedule and name; pick another name"),
    Bad("name that is a month name after six fields", image + "0 3 * * * * jan run\n",
        "t.cron:2:13: error: 'jan' is not a valid job name: it is also a cron value, so the line could not be split into schedule and name; pick another name"),
    Bad("name with a non-ASCII letter", image + "0 3 * * * café run\n",
        "t.cron:2:11: error: 'café' is not a valid job name: 'é' is not allowed; use lowercase letters, digits and '-'"),
    Bad("no name after an @ schedule", image + "@daily\n",
        "t.cron:2:7: error: expected a job name and a command after the schedule"),
    Bad("no command", image + "@daily backup\n", "t.cron:2:8: error: job 'backup' has no command"),
    Bad("three fields", image + "0 3 * backup run\n",
        "t.cron:2:7: error: schedule has 3 fields before 'backup', which cannot be a cron field; expected 5 fields, 6 with seconds, or an @ form such as @daily"),
    Bad("misspelt day name", image + "0 3 * * mnd backup run\n",
        "t.cron:2:9: error: schedule has 4 fields before 'mnd', which cannot be a cron field; expected 5 fields, 6 with seconds, or an @ form such as @daily"),
    Bad("duplicate name in one file", image + "0 3 * * * backup run\n0 4 * * * backup run2\n",
        "t.cron:3:1: error: job 'backup' is already defined at t.cron:2:1"),
    // Commands.
    Bad("unescaped percent", image + "0 3 * * * backup date +%Y\n",
        "t.cron:2:24: error: unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign"),
    Bad("percent after an escaped one", image + "0 3 * * * backup echo 100\\% and 5%\n",
        "t.cron:2:34: error: unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign"),
    Bad("percent after multi-byte text counts bytes", image + "0 3 * * * backup echo 'héllo' %\n",
        "t.cron:2:32: error: unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign"),
    Bad("control character", image + "0 3 * * * job\u{1B}[31m run\n",
        "t.cron:2:14: error: control character 0x1B in the line; only tabs and spaces separate fields"),
    // Assignments and settings.
    Bad("variable name with a hyphen", "FOO-BAR=1\n" + image + job,
        "t.cron:1:1: error: 'FOO-BAR' is not a valid variable name; use letters, digits and '_', not starting with a digit"),
    Bad("variable name starting with a digit", "2FA=on\n" + image + job,
        "t.cron:1:1: error: '2FA' is not a valid variable name; use letters, digits and '_', not starting with a digit"),
    Bad("unknown setting, near one", setting("CRON_TIMOUT=1h"),
        "t.cron:2:1: error: unknown setting CRON_TIMOUT; did you mean CRON_TIMEOUT?"),
    Bad("unknown setting in lowercase", setting("CRON_tz=UTC"),
        "t.cron:2:1: error: unknown setting CRON_tz; did you mean CRON_TZ?"),
    Bad("unknown setting, missing letter", setting("CRON_NAMESPCE=batch"),
        "t.cron:2:1: error: unknown setting CRON_NAMESPCE; did you mean CRON_NAMESPACE?"),
    Bad("unknown setting, one r", setting("CRON_CONCURENCY=allow"),
        "t.cron:2:1: error: unknown setting CRON_CONCURENCY; did you mean CRON_CONCURRENCY?"),
    Bad("unknown setting, nothing near", setting("CRON_FOO=1"),
        "t.cron:2:1: error: unknown setting CRON_FOO; the settings are listed in the README"),
    Bad("unknown time zone", setting("CRON_TZ=Mars/Olympus"),
        valueError("CRON_TZ", "Mars/Olympus", column: 9, "an IANA time zone name such as Asia/Tokyo or UTC")),
    Bad("unknown executor", setting("CRON_EXECUTOR=lambda"),
        valueError("CRON_EXECUTOR", "lambda", column: 15, "kubernetes, ecs or local")),
    Bad("namespace with uppercase", setting("CRON_NAMESPACE=Batch"),
        valueError("CRON_NAMESPACE", "Batch", column: 16,
                   "a DNS-1123 label (lowercase letters, digits and '-', at most 63)")),
    Bad("namespace starting with a hyphen", setting("CRON_NAMESPACE=-batch"),
        valueError("CRON_NAMESPACE", "-batch", column: 16,
                   "a DNS-1123 label (lowercase letters, digits and '-', at most 63)")),
    Bad("image with a space, quoted", setting("CRON_IMAGE=\"app 1\""),
        valueError("CRON_IMAGE", "app 1", column: 13, "an image reference without spaces")),
    Bad("zero CPU", setting("CRON_CPU=0"), valueError("CRON_CPU", "0", column: 10, quantityCPU)),
    Bad("negative CPU", setting("CRON_CPU=-1"), valueError("CRON_CPU", "-1", column: 10, quantityCPU)),
    Bad("CPU with two points", setting("CRON_CPU=1.5.5"), valueError("CRON_CPU", "1.5.5", column: 10, quantityCPU)),
    Bad("CPU with an unknown suffix", setting("CRON_CPU=500x"), valueError("CRON_CPU", "500x", column: 10, quantityCPU)),
    Bad("memory in GB, not G or Gi", setting("CRON_MEMORY=1GB"),
        valueError("CRON_MEMORY", "1GB", column: 13, quantityMemory)),
    Bad("memory suffix in lowercase", setting("CRON_MEMORY=1gi"),
        valueError("CRON_MEMORY", "1gi", column: 13, quantityMemory)),
    Bad("memory suffix without a number", setting("CRON_MEMORY=Gi"),
        valueError("CRON_MEMORY", "Gi", column: 13, quantityMemory)),
    Bad("memory exponent without digits", setting("CRON_MEMORY=1e"),
        valueError("CRON_MEMORY", "1e", column: 13, quantityMemory)),
    Bad("service account with an underscore", setting("CRON_SERVICE_ACCOUNT=my_sa"),
        valueError("CRON_SERVICE_ACCOUNT", "my_sa", column: 22,
                   "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')")),
    Bad("unknown concurrency policy", setting("CRON_CONCURRENCY=skip"),
        valueError("CRON_CONCURRENCY", "skip", column: 18, "forbid, allow or replace")),
    Bad("deadline without a unit", setting("CRON_STARTING_DEADLINE=10"),
        valueError("CRON_STARTING_DEADLINE", "10", column: 24, duration + ", or 'none'")),
    Bad("fractional deadline", setting("CRON_STARTING_DEADLINE=1.5h"),
        valueError("CRON_STARTING_DEADLINE", "1.5h", column: 24, duration + ", or 'none'")),
    Bad("duration parts out of order", setting("CRON_STARTING_DEADLINE=30m1h"),
        valueError("CRON_STARTING_DEADLINE", "30m1h", column: 24, duration + ", or 'none'")),
    Bad("duration unit twice", setting("CRON_TIMEOUT=1h1h"),
        valueError("CRON_TIMEOUT", "1h1h", column: 14, duration + ", or 'none'")),
    Bad("negative duration", setting("CRON_TIMEOUT=-5m"),
        valueError("CRON_TIMEOUT", "-5m", column: 14, duration + ", or 'none'")),
    Bad("duration over a year", setting("CRON_TIMEOUT=400d"),
        valueError("CRON_TIMEOUT", "400d", column: 14, duration + ", or 'none'")),
    Bad("duration in words", setting("CRON_PENDING_TIMEOUT=5 minutes"),
        valueError("CRON_PENDING_TIMEOUT", "5 minutes", column: 22, duration)),
    Bad("pod TTL cannot be none", setting("CRON_POD_TTL=none"),
        valueError("CRON_POD_TTL", "none", column: 14, duration)),
    Bad("unknown catch-up policy", setting("CRON_CATCH_UP=every"),
        valueError("CRON_CATCH_UP", "every", column: 15, "skip, latest or all")),
    Bad("negative retries", setting("CRON_RETRIES=-1"),
        valueError("CRON_RETRIES", "-1", column: 14, "a whole number from 0 to 100")),
    Bad("too many retries", setting("CRON_RETRIES=101"),
        valueError("CRON_RETRIES", "101", column: 14, "a whole number from 0 to 100")),
    Bad("retries in words", setting("CRON_RETRIES=three"),
        valueError("CRON_RETRIES", "three", column: 14, "a whole number from 0 to 100")),
    Bad("keeping too many", setting("CRON_KEEP_SUCCEEDED=1001"),
        valueError("CRON_KEEP_SUCCEEDED", "1001", column: 21, "a whole number from 0 to 1000")),
    Bad("keeping a fraction", setting("CRON_KEEP_FAILED=1.5"),
        valueError("CRON_KEEP_FAILED", "1.5", column: 18, "a whole number from 0 to 1000")),
    Bad("suspend as yes", setting("CRON_SUSPEND=yes"),
        valueError("CRON_SUSPEND", "yes", column: 14, "true or false")),
    Bad("label without a value", setting("CRON_LABELS=team"),
        valueError("CRON_LABELS", "team", column: 13, labelsExpected)),
    Bad("label value with a space", setting("CRON_LABELS=team=plat form"),
        valueError("CRON_LABELS", "team=plat form", column: 13, labelsExpected)),
    Bad("label key twice", setting("CRON_LABELS=a=1,a=2"),
        valueError("CRON_LABELS", "a=1,a=2", column: 13, labelsExpected)),
    Bad("label value starting with a hyphen", setting("CRON_LABELS=team=-x"),
        valueError("CRON_LABELS", "team=-x", column: 13, labelsExpected)),
    Bad("annotation key with a space", setting("CRON_ANNOTATIONS=bad key=x"),
        valueError("CRON_ANNOTATIONS", "bad key=x", column: 18,
                   "comma-separated key=value pairs with keys [prefix/]name")),
    // Images and Fargate sizes.
    Bad("no image", "0 3 * * * backup run\n",
        "t.cron:1:11: error: job 'backup' has no image; set CRON_IMAGE above it, or CRON_TEMPLATE to a manifest whose main container (CRON_CONTAINER, by default the first) has one"),
    Bad("image reset to none", image + "CRON_IMAGE=\n0 3 * * * backup run\n",
        "t.cron:3:11: error: job 'backup' has no image; set CRON_IMAGE above it, or CRON_TEMPLATE to a manifest whose main container (CRON_CONTAINER, by default the first) has one"),
    Bad("more CPU than Fargate has", image + "CRON_CPU=32\n" + job,
        "t.cron:3:11: error: no Fargate size fits CPU 32 and memory 256Mi (+256Mi for Kubernetes); the largest is 16 vCPU / 120 GB"),
    Bad("more memory than Fargate has", image + "CRON_MEMORY=121Gi\n" + job,
        "t.cron:3:11: error: no Fargate size fits CPU 250m and memory 121Gi (+256Mi for Kubernetes); the largest is 16 vCPU / 120 GB"),
    Bad("120Gi does not fit once 256Mi is added", image + "CRON_CPU=16\nCRON_MEMORY=120Gi\n" + job,
        "t.cron:4:11: error: no Fargate size fits CPU 16 and memory 120Gi (+256Mi for Kubernetes); the largest is 16 vCPU / 120 GB"),
    // Templates.
    Bad("template that does not exist", "CRON_TEMPLATE=missing.yaml\n" + job,
        "t.cron:1:15: error: cannot read template 'missing.yaml': no such file"),
    Bad("template of another kind", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": jobTemplate.replacingOccurrences(of: "kind: Job", with: "kind: CronJob")],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: kind is 'CronJob'; it must be Job"),
    Bad("template of an old API version", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": jobTemplate.replacingOccurrences(of: "batch/v1", with: "batch/v1beta1")],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: apiVersion is 'batch/v1beta1'; it must be batch/v1"),
    Bad("template without apiVersion", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": jobTemplate.replacingOccurrences(of: "apiVersion: batch/v1\n", with: "")],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: apiVersion is missing; it must be batch/v1"),
    Bad("template without containers", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers: []\n"],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: spec.template.spec.containers must be a non-empty list"),
    Bad("template without a pod spec", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": "apiVersion: batch/v1\nkind: Job\nspec: {}\n"],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: spec.template.spec is missing"),
    Bad("template container without a name", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": jobTemplate.replacingOccurrences(of: "- name: main\n          image", with: "- image")],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: spec.template.spec.containers[0] has no name"),
    Bad("template restarting always", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": jobTemplate.replacingOccurrences(of: "restartPolicy: Never", with: "restartPolicy: Always")],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: spec.template.spec.restartPolicy must be Never or OnFailure for a Job"),
    Bad("template that is a list", "CRON_TEMPLATE=j.yaml\n" + job, templates: ["j.yaml": "- a\n- b\n"],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: the top level is not a mapping"),
    Bad("empty template", "CRON_TEMPLATE=j.yaml\n" + job, templates: ["j.yaml": ""],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: the file is empty"),
    Bad("template with an infinite number", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": jobTemplate + "x: .inf\n"],
        "t.cron:1:15: error: template 'j.yaml' is not a batch/v1 Job: .inf at x is not a finite number"),
    Bad("template that is not YAML", "CRON_TEMPLATE=j.yaml\n" + job,
        templates: ["j.yaml": "apiVersion: batch/v1\nkind: [Job\n"],
        "t.cron:1:15: error: template 'j.yaml' is not valid YAML: 3:1: while parsing a flow sequence did not find expected ',' or ']'"),
    // Line endings, byte order marks, binary content, size.
    Bad("CRLF line endings", "CRON_IMAGE=app:1\r\nCRON_CPU=lots\r\n* * * * * job run\r\n",
        valueError("CRON_CPU", "lots", column: 10, quantityCPU)),
    Bad("UTF-8 byte order mark", "\u{FEFF}CRON_TZ=Nowhere\n" + image + job,
        "t.cron:1:9: error: CRON_TZ 'Nowhere' is not valid; expected an IANA time zone name such as Asia/Tokyo or UTC"),
    Bad("no trailing newline", image + "0 3 * * * backup date +%s",
        "t.cron:2:24: error: unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign"),
    Bad("tab-separated fields", image + "0\t3\t*\t*\t*\tBAD\trun\n",
        "t.cron:2:11: error: 'BAD' is not a valid job name: it must be lowercase ('B' is not); job names are DNS-1123 labels"),
    Bad("every error in the file, not only the first", "CRON_CPU=x\nCRON_TZ=Nowhere\n0 3 * * * Bad run %\n",
        "t.cron:1:10: error: CRON_CPU 'x' is not valid; expected \(quantityCPU)",
        "t.cron:2:9: error: CRON_TZ 'Nowhere' is not valid; expected an IANA time zone name such as Asia/Tokyo or UTC",
        "t.cron:3:11: error: 'Bad' is not a valid job name: it must be lowercase ('B' is not); job names are DNS-1123 labels",
        "t.cron:3:19: error: unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign"),
]

@Test(arguments: badInputs)
func badInput(_ bad: Bad) {
    let parsed = parse(bad.text, templates: bad.templates)
    #expect(parsed.diagnostics.map(\.description) == bad.expected)
    #expect(!parsed.isValid)
    #expect(parsed.jobs.isEmpty)
}

@Test func atLeastSixtyDistinctBadInputs() {
    #expect(badInputs.count >= 60)
    #expect(Set(badInputs.map(\.text)).count + Set(badInputs.map(\.templates)).count - 1 >= 60)
    #expect(Set(badInputs.map(\.name)).count == badInputs.count)
}

/// Bytes that are not text: each rejects the file with one located error.
@Test(arguments: [
    ("ELF header", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00] as [UInt8],
     "t.cron:1:1: error: control character 0x7F in the line; only tabs and spaces separate fields"),
    ("invalid UTF-8 after a good line", Array("CRON_IMAGE=a\nab\u{63}".utf8) + [0xFF, 0xFE, 0x00],
     "t.cron:2:4: error: file is not UTF-8 text (byte 0xFF here); is it binary?"),
    ("NUL on the third line", Array("# a\n# b\nx\0y\n".utf8),
     "t.cron:3:2: error: file contains a NUL byte; is it binary?"),
    ("truncated multi-byte sequence", Array("# é".utf8.dropLast()) + Array("\n".utf8),
     "t.cron:1:3: error: file is not UTF-8 text (byte 0xC3 here); is it binary?"),
])
func binaryGarbage(_ name: String, _ bytes: [UInt8], _ expected: String) {
    let parsed = parser().parse(ScheduleFile(path: "t.cron", contents: Data(bytes)))
    #expect(parsed.diagnostics.map(\.description) == [expected], "\(name)")
}

@Test func tenMegabyteFileIsRejectedBeforeParsing() {
    let line = image + "* * * * * job run\n"
    var text = Data(capacity: 10 << 20)
    while text.count < 10 << 20 { text.append(contentsOf: line.utf8) }
    text = text.prefix(10 << 20)
    let parsed = parser().parse(ScheduleFile(path: "t.cron", contents: text))
    #expect(parsed.diagnostics.map(\.description) == [
        "t.cron:1:1: error: file is 10485760 bytes; a schedule file may be at most 1048576 bytes"
    ])
}

@Test func tenMegabyteFileOnDiskIsNotRead() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schedules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let big = folder.appendingPathComponent("big.cron")
    #expect(FileManager.default.createFile(atPath: big.path, contents: Data(count: 10 << 20)))
    // Refused from its size alone: its bytes never reach memory.
    let reading = ScheduleLoader.read(paths: [folder.path])
    #expect(reading.files.isEmpty)
    #expect(reading.problems.map(\.description) == [
        "\(big.path):1:1: error: file is 10485760 bytes; a schedule file may be at most 1048576 bytes"
    ])
    let result = ScheduleLoader.load(paths: [folder.path])
    #expect(result.diagnostics.map(\.description) == [
        "\(big.path):1:1: error: file is 10485760 bytes; a schedule file may be at most 1048576 bytes"
    ])
    #expect(result.rejectedFiles == [big.path])
}
