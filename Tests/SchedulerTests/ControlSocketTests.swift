import Foundation
import Glibc
import Logging
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// The control socket, over a real unix socket, answered by a real scheduler.
@Suite(.timeLimit(.minutes(1)))
struct ControlSocketTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    /// Runs `body` with a control server for `harness`'s scheduler on a fresh socket path.
    func withServer(_ h: Harness, _ body: @escaping (String) async throws -> Void) async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("fc-control-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = ControlSocket.path(in: directory)
        let scheduler = h.scheduler
        let server = ControlServer(path: path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) {
            request in
            switch request.command {
            case .status: return ControlResponse(ok: true, jobs: await scheduler.status())
            case .trigger:
                guard let job = request.job else { return .failure("trigger needs a job") }
                return ControlResponse(ok: true, trigger: await scheduler.trigger(job))
            case .gc: return .failure("no cluster here")
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            // The server binds in its own task: wait (bounded) until the socket answers.
            var waited = 0
            while (try? await send(.status, to: path)) == nil, waited < 500 {
                waited += 1
                await Task.yield()
            }
            try await body(path)
            group.cancelAll()
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aTriggerOverTheSocketStartsARunUnderTheJobsPolicy() async throws {
        let h = Harness(jobs: [job("report", every: .seconds(3600))], at: t0)
        try await h.run { h in
            try await withServer(h) { path in
                let first = try await send(.trigger("report"), to: path)
                #expect(first == ControlResponse(ok: true, trigger: .started(RunID(rawValue: 1))))
                let second = try await send(.trigger("report"), to: path)
                #expect(second.trigger == .skipped(.overlap(blocking: RunID(rawValue: 1))))
                #expect(try await send(.trigger("nope"), to: path).trigger == .unknownJob("nope"))
                #expect(h.store.records(of: "report").map(\.trigger) == [.manual, .manual])
            }
        }
    }

    @Test func statusOverTheSocketListsEachJobsNextFireTimeAndActiveRun() async throws {
        let h = Harness(jobs: [job("a", every: .seconds(60)), job("b", every: .seconds(3600))], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            try await withServer(h) { path in
                let jobs = try #require(try await send(.status, to: path).jobs)
                #expect(jobs.map(\.name) == ["a", "b"])
                #expect(jobs.map(\.nextFireDate) == [t0.adding(.seconds(120)), t0.adding(.seconds(3600))])
                #expect(jobs[0].activeRuns == [RunID(rawValue: 1)])
                #expect(jobs[0].lastRun?.state == .started)
                #expect(jobs[1].lastRun == nil)
            }
        }
    }

    @Test func theSocketIsOwnerOnlyAndAnswersGarbageWithAnError() async throws {
        let h = Harness(jobs: [], at: t0)
        try await h.run { h in
            try await withServer(h) { path in
                var info = stat()
                #expect(stat(path, &info) == 0)
                #expect(info.st_mode & 0o777 == 0o600)
                let answer = try await sendRaw("hello\n", to: path)
                #expect(answer.contains("\"ok\":false"))
                #expect(answer.contains("not a control request"))
            }
        }
    }

    @Test func noDaemonMeansConnectFailsNamingThePath() async throws {
        let path = "/tmp/fc-no-such-daemon-\(UUID().uuidString.prefix(8))/control.sock"
        await #expect(throws: ControlSocketError(call: "connect", code: ENOENT, path: path)) {
            try await send(.status, to: path)
        }
    }
}

/// Sends on a thread of its own (the client blocks) and returns the answer.
func send(_ request: ControlRequest, to path: String) async throws -> ControlResponse {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { () throws(ControlSocketError) in try ControlClient.send(request, to: path, timeoutSeconds: 5) }) }.start()
    }
}

/// Sends raw text and returns the raw answer line.
func sendRaw(_ text: String, to path: String) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: Array(path.utf8) + [0])
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else {
                continuation.resume(throwing: ControlSocketError(call: "connect", code: errno, path: path))
                return
            }
            _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = recv(fd, &buffer, buffer.count, 0)
            continuation.resume(returning: String(decoding: buffer[..<max(0, count)], as: UTF8.self))
        }.start()
    }
}
