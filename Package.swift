// swift-tools-version: 6.1
import PackageDescription

/// Settings every target of ours shares (STYLE.md: Swift 6 mode plus these upcoming features).
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "fargate-cron",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fargate-cron", targets: ["fargate-cron"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C libraries, found through pkg-config (scripts/setup installs the -dev packages).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev", "libssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // glibc's mallinfo2, for the benchmark that checks the heap stays flat (not the daemon).
        .systemLibrary(name: "CMalloc"),

        // Pure Swift: cron expressions and their fire times. No I/O, no clock.
        .target(name: "CronExpression", swiftSettings: strictSettings),
        // The shared run vocabulary, one definition each: Slot, RunID, RunState, Trigger, JobName,
        // ConcurrencyPolicy, CatchUpPolicy, ExecutorKind, RunHandle, and JobDefaults (the one default of
        // each setting several modules read). CronExpression only for the words a job name may not be.
        .target(name: "RunModel", dependencies: ["CronExpression"], swiftSettings: strictSettings),
        // What several test targets share: peers' addresses, the fault proxy, the built binary run as a
        // child process, polling. Only test targets depend on it (never the fargate-cron executable).
        .target(name: "TestSupport", dependencies: ["Kubernetes", "HTTP"], path: "Tests/TestSupport", swiftSettings: strictSettings),
        // A seeded random generator for property and crash tests, without TestSupport's libcurl and crypto.
        .target(name: "SeededRandom", path: "Tests/SeededRandom", swiftSettings: strictSettings),

        .testTarget(
            name: "CronExpressionTests",
            dependencies: ["CronExpression", "SeededRandom"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        // Release-built benchmark of CronExpression, run by scripts/bench/cron.
        .executableTarget(name: "CronBenchmark", dependencies: ["CronExpression"], swiftSettings: strictSettings),

        // Schedule files (crontab syntax) -> validated job specifications.
        .target(
            name: "Schedules",
            dependencies: ["CronExpression", "RunModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SchedulesTests",
            dependencies: ["Schedules", "RunModel"],
            exclude: ["Fixtures", "Snapshots"],  // read through #filePath, not as resources
            swiftSettings: strictSettings
        ),

        // The run ledger on SQLite (GRDB brings its own SQLite module).
        .target(
            name: "Ledger",
            dependencies: ["RunModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "RunModel", "ledger-crash-writer", "TestSupport", "SeededRandom",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            // Read through #filePath, not as resources. Fixtures/v2 holds a ledger written by schema v2's
            // code (and the program that wrote it, which is not built).
            exclude: ["Fixtures", "Snapshots"],
            swiftSettings: strictSettings
        ),
        // A child process for LedgerTests' crash test: records runs in a loop until SIGKILLed.
        .executableTarget(name: "ledger-crash-writer", dependencies: ["Ledger", "RunModel"], swiftSettings: strictSettings),
        // The ledger's benchmark driver (scripts/bench/ledger): durable transitions, bulk fill, history latency.
        .executableTarget(
            name: "ledger-bench",
            dependencies: ["Ledger", "RunModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),

        // HTTP over libcurl: the `Transport` role, its libcurl implementation, TLS settings, `CurlError`.
        // Shared by every client of a remote API (Kubernetes, AWS).
        .target(name: "HTTP", dependencies: ["CCurl"], swiftSettings: strictSettings),
        // AWS over HTTP: credentials found as the AWS CLI finds them, SigV4 signing, STS. Shared by
        // the EKS token (Kubernetes) and the ECS executor.
        .target(
            name: "AWS",
            dependencies: ["HTTP", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),

        // Amazon ECS and CloudWatch Logs over HTTP (JSON 1.1, SigV4 from the AWS credential chain): what
        // the ecs executor calls. Typed errors carry AWS's code and message.
        .target(name: "ECS", dependencies: ["HTTP", "AWS"], swiftSettings: strictSettings),
        // The ECS peer for the ECS tests: moto (scripts/peers/moto.sh) behind moto_ecs_front.py.
        .target(name: "ECSTestSupport", dependencies: ["ECS", "AWS", "HTTP", "TestSupport"], path: "Tests/ECSTestSupport",
                swiftSettings: strictSettings),
        .testTarget(
            name: "ECSTests",
            dependencies: ["ECS", "AWS", "HTTP", "ECSTestSupport", "TestSupport"],
            swiftSettings: strictSettings
        ),
        // The transport's benchmark driver (scripts/bench/http): threads, connections and time per N
        // concurrent streams and requests, over HTTP/1.1 and through an HTTP/2 front.
        .executableTarget(name: "http-bench", dependencies: ["HTTP", "Kubernetes", "CMalloc"], swiftSettings: strictSettings),

        // The Kubernetes API over libcurl, with kubeconfig, in-cluster and native EKS credentials.
        .target(
            name: "Kubernetes",
            dependencies: [
                "HTTP",
                "AWS",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubernetesTests",
            dependencies: ["Kubernetes", "HTTP", "AWS", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),

        // More than one host (#15): the Lease election's state machine in tables, its loop against the
        // emulator and through the fault proxy; adoption and the ledger's hosts; two and three daemons
        // (the real binary, `fargate-cron` built for it) failing over against the emulator.
        .testTarget(
            name: "HATests",
            dependencies: [
                "Kubernetes", "HTTP", "TestSupport", "SeededRandom", "Daemon", "Ledger", "RunModel", "Scheduler",
                "FargateExecutor", "fargate-cron", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),

        // libsystemd: sd_notify, the journal log handler, journal reading.
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // The test tools that drive Systemd's pieces in a real process (SystemdTests), and the journal
        // benchmark's writer (scripts/bench/journal-output): executables of their own, not shipped.
        .executableTarget(
            name: "notify-probe",
            dependencies: ["Systemd", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "log-probe",
            dependencies: [
                "Systemd", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "output-probe",
            dependencies: ["Systemd", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "SystemdTests",
            dependencies: [
                "Systemd", "TestSupport", "notify-probe", "log-probe", "fargate-cron",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),

        // The daemon's core: timers, policies, executors, reconcile. Sees protocols, not concrete types.
        // Failpoints (`Failpoint`, for the crash tests) exist only in debug builds, which the tests run;
        // the release build users install has none.
        .target(
            name: "Scheduler",
            dependencies: [
                "CronExpression", "RunModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings + [.define("FARGATE_CRON_FAILPOINTS", .when(configuration: .debug))]
        ),
        // ManualClock, FakeExecutor, InMemoryRunStore: what the scheduler's tests drive it with.
        .target(name: "SchedulerTesting", dependencies: ["Scheduler", "RunModel"], swiftSettings: strictSettings),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler", "SchedulerTesting", "CronExpression", "RunModel", "TestSupport"],
            swiftSettings: strictSettings
        ),

        // The kubernetes executor: a Job per slot on EKS Fargate, logs home to the journal, finished pods
        // deleted at once. A target of its own (DESIGN lists executors under Scheduler) so that Scheduler
        // stays free of concrete clients.
        .target(
            name: "FargateExecutor",
            dependencies: [
                "Scheduler", "RunModel", "Kubernetes", "HTTP", "Systemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FargateExecutorTests",
            dependencies: [
                "FargateExecutor", "Scheduler", "RunModel", "Kubernetes", "HTTP", "Systemd", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),

        // The ecs executor: a Fargate task per slot through ECS RunTask, followed by one shared poller,
        // its output home from CloudWatch Logs to the journal, its exit code and cost recorded.
        .target(
            name: "ECSExecutor",
            dependencies: [
                "Scheduler", "RunModel", "ECS", "AWS", "Systemd", "FargateExecutor",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ECSExecutorTests",
            dependencies: [
                "ECSExecutor", "ECS", "AWS", "HTTP", "Scheduler", "RunModel", "Systemd", "FargateExecutor", "TestSupport",
                "ECSTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Alerting (#17): failure mail through the host's sendmail, failure hooks, the overdue
        // tracker (CRON_ALERT_AFTER). Host commands are spawned by the Scheduler's child-process code.
        .target(name: "Alerting", dependencies: ["Scheduler", "RunModel", "Schedules"], swiftSettings: strictSettings),
        .testTarget(
            name: "AlertingTests", dependencies: ["Alerting", "Scheduler", "RunModel", "Schedules", "TestSupport"], exclude: ["Snapshots"],
            swiftSettings: strictSettings),
        // Prometheus metrics: a small registry, the text exposition, a tiny HTTP/1.1 server for /metrics.
        .target(name: "Metrics", swiftSettings: strictSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"], exclude: ["Snapshots"], swiftSettings: strictSettings),
        // The alerting through the real daemon binary: mail to a real MTA, hooks, overdue events,
        // the metrics endpoint, logs --state-dir, trigger --wait, status JOB.
        .testTarget(
            name: "AlertingDaemonTests",
            dependencies: ["fargate-cron", "Daemon", "Kubernetes", "HTTP", "Metrics", "Ledger", "RunModel", "TestSupport"],
            swiftSettings: strictSettings),

        // The daemon as a library: what `fargate-cron daemon` wires together (the services, the adapters
        // between modules, the executors, the start-up checks). The only place that connects concrete types.
        .target(
            name: "Daemon",
            dependencies: [
                "CronExpression", "RunModel", "Schedules", "Ledger", "Kubernetes", "HTTP", "Systemd", "Scheduler",
                "FargateExecutor", "AWS", "ECS", "ECSExecutor", "Alerting", "Metrics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The daemon's benchmark driver (scripts/bench/daemon): its scheduler, ledger and local executor.
        .executableTarget(
            name: "bench-scheduler",
            dependencies: [
                "Daemon", "Scheduler", "Ledger", "RunModel", "CronExpression",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The Kubernetes client's benchmark driver (scripts/bench/kube).
        .executableTarget(
            name: "bench-kube",
            dependencies: [
                "Kubernetes", "HTTP", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Watch-event decoding's benchmark driver (scripts/bench/watch-decode).
        .executableTarget(
            name: "bench-watch-decode",
            dependencies: ["Kubernetes", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        // The command line a user runs: commands and their option groups; `daemon` runs `Daemon`.
        .executableTarget(
            name: "fargate-cron",
            dependencies: [
                "Daemon",
                "ECSExecutor",
                "RunModel",
                "CronExpression",
                "Schedules",
                "Ledger",
                "Kubernetes",
                "HTTP",
                "AWS",
                "Systemd",
                "Scheduler",
                "FargateExecutor",
                "Alerting",
                "Metrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            // The release binary (scripts/release-build adds --static-swift-stdlib) is linked by lld
            // with packed relative relocations and without exporting its symbols: the dynamic loader
            // then reads 2.3 MB less relocation data at start and no longer searches 21,000 exported
            // symbols on every lookup. 4 MiB less resident memory (BENCHMARKS.md, "Scheduler").
            // Its functions are laid out by scripts/text-order/fargate-cron.order: those the daemon
            // runs first, together (scripts/text-order/profile writes it; release-build gives every
            // function a section of its own): ~10 instead of ~17 MiB of resident code (BENCHMARKS.md,
            // "The daemon's code laid out by what runs"). A stale list costs memory, never correctness.
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
                     "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/text-order/fargate-cron.order",
                     "-Xlinker", "--no-warn-symbol-ordering"],
                    .when(configuration: .release))
            ]
        ),
        .testTarget(
            name: "DaemonOnClusterTests",
            dependencies: [
                "fargate-cron", "FargateExecutor", "Kubernetes", "HTTP", "Ledger", "RunModel", "TestSupport", "SeededRandom",
            ],
            swiftSettings: strictSettings
        ),
        // The quick start's demo (scripts/demo) run as a user runs it, with this build's binary.
        .testTarget(name: "DemoTests", dependencies: ["TestSupport"], swiftSettings: strictSettings),
        // The daemon: its adapters, and the real binary run as a process (its ledger, notify socket, reloads).
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "fargate-cron", "FargateExecutor", "Kubernetes", "Ledger", "RunModel", "Scheduler", "Schedules",
                "Systemd",
                "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The ecs executor in the real binary: `check` of ecs jobs, and the daemon against moto.
        .testTarget(
            name: "ECSDaemonTests",
            dependencies: ["fargate-cron", "ECS", "ECSExecutor", "Ledger", "RunModel", "ECSTestSupport", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        // The command line's commands, run as the real binary (`fargate-cron` is a dependency only so
        // that it is built; no test imports it).
        .testTarget(
            name: "FargateCronTests",
            dependencies: ["fargate-cron", "TestSupport"],
            exclude: ["Snapshots"],
            swiftSettings: strictSettings
        ),
    ]
)
