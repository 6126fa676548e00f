import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// Shared informers against the emulator, through the fault proxy that counts and cuts requests:
/// one list and one watch however many objects, a 410 relists exactly once, and a cut connection
/// resumes from its version with no event lost or repeated.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct InformerTests {
    /// Runs `informers` in a task group for the length of `body`, then cancels them and checks
    /// that they stopped cleanly.
    func running<R: Sendable>(
        _ informers: SharedInformers, _ body: () async throws -> R
    ) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        }
    }

    func watches(_ proxy: FaultProxy, _ namespace: String) async throws -> Int {
        try await proxy.requests().filter { $0.contains("/namespaces/\(namespace)/jobs") && $0.contains("watch=true") }.count
    }

    func lists(_ proxy: FaultProxy, _ namespace: String) async throws -> Int {
        try await proxy.requests().filter { $0.hasPrefix("GET /apis/batch/v1/namespaces/\(namespace)/jobs") && !$0.contains("watch=true") }.count
    }

    /// However many Jobs there are (3 or 60), consumers asking for the same informer share it, and
    /// it costs one list and one watch: the cache holds them all, and a later Job arrives as an event.
    @Test(arguments: [3, 60])
    func oneListAndOneWatchWhateverTheNumberOfObjects(_ count: Int) async throws {
        let proxy = try FaultProxy()
        let direct = try Peer.client()
        let namespace = Peer.namespace("informer-\(count)")
        for index in 0..<count { _ = try await direct.create(sampleJob("job-\(index)"), in: namespace) }
        let informers = SharedInformers(client: try Peer.client(server: proxy.url))
        let informer = informers.informer(Job.self, namespace: namespace, labelSelector: "app.kubernetes.io/managed-by=fargate-cron")
        #expect(informers.informer(Job.self, namespace: namespace, labelSelector: "app.kubernetes.io/managed-by=fargate-cron") === informer)
        try await running(informers) {
            try await informer.waitForSync()
            #expect(informer.objects.count == count)
            #expect(informer.object(named: "job-0")?.metadata.uid != nil)
            // What a run's clean-up reads: a few among all, filtered in place, in the same order.
            let endingInOne = informer.objects(where: { $0.metadata.name?.hasSuffix("1") == true }).compactMap(\.metadata.name)
            #expect(endingInOne == informer.objects.compactMap(\.metadata.name).filter { $0.hasSuffix("1") })
            #expect(endingInOne.count == (count + 9) / 10)
            // Two subscribers: each gets the cache as `added`, then the new Job.
            let one = informer.events(), two = informer.events()
            _ = try await direct.create(sampleJob("later"), in: namespace)
            for subscriber in [one, two] {
                let names = try await first(count + 1, of: subscriber).map { $0.object.metadata.name ?? "?" }
                #expect(names.last == "later" && Set(names).count == count + 1)
            }
            #expect(informer.object(named: "later") != nil)
        }
        #expect(try await lists(proxy, namespace) == 1)
        #expect(try await watches(proxy, namespace) == 1)
        #expect(informer.statistics == Informer<Job>.Statistics(lists: 1, watches: 1))
    }

    /// The watch connection is cut; the reconnect is held back while the server deletes one Job,
    /// makes another and forgets its history, so the reconnect's version gets 410 Expired. The
    /// informer lists once more, tells its subscriber exactly the difference, and watches on from
    /// the new list: a later Job arrives, and there was no third list.
    @Test func anExpiredVersionRelistsExactlyOnce() async throws {
        let proxy = try FaultProxy()
        let direct = try Peer.client()
        let namespace = Peer.namespace("relist")
        _ = try await direct.create(sampleJob("old"), in: namespace)
        let informers = SharedInformers(client: try Peer.client(server: proxy.url))
        let informer = informers.informer(Job.self, namespace: namespace)
        let summary = try await running(informers) {
            try await informer.waitForSync()
            let events = informer.events()
            try #require(try await poll(within: .seconds(10)) { try await watches(proxy, namespace) == 1 })
            // Long enough for the delete, create and compaction below even on a loaded machine.
            try await proxy.arm([rule("delay", path: "watch=true", ["ms": .integer(4000)])])
            try await proxy.resetAll()
            try #require(try await poll(within: .seconds(10)) { try await watches(proxy, namespace) == 2 })
            try await direct.delete(Job.self, named: "old", in: namespace)
            _ = try await direct.create(sampleJob("new"), in: namespace)
            try await Peer.control("compact", .object(["namespace": .string(namespace)]))
            var seen: [String] = []
            for try await event in events {
                switch event {
                case .added(let job): seen.append("added \(job.metadata.name!)")
                case .updated(_, let job): seen.append("updated \(job.metadata.name!)")
                case .deleted(let job): seen.append("deleted \(job.metadata.name!)")
                }
                if seen.count == 3 { _ = try await direct.create(sampleJob("later"), in: namespace) }
                if seen.count == 4 { break }
            }
            return seen
        }
        // A relist reports what it listed first, then what it no longer found.
        #expect(summary == ["added old", "added new", "deleted old", "added later"])
        #expect(try await lists(proxy, namespace) == 2)
        #expect(informer.statistics.lists == 2)
    }

    /// Jobs made before, during and after a cut watch connection (the reconnect held back 1.5 s,
    /// two Jobs made meanwhile) each arrive exactly once, in order, without a second list.
    @Test func aCutConnectionResumesWithNoEventLostOrRepeated() async throws {
        let proxy = try FaultProxy()
        let direct = try Peer.client()
        let namespace = Peer.namespace("resume")
        let informers = SharedInformers(client: try Peer.client(server: proxy.url))
        let informer = informers.informer(Job.self, namespace: namespace)
        let names = try await running(informers) {
            try await informer.waitForSync()
            let events = informer.events()
            try #require(try await poll(within: .seconds(10)) { try await watches(proxy, namespace) == 1 })
            for name in ["j1", "j2"] { _ = try await direct.create(sampleJob(name), in: namespace) }
            try #require(try await poll(within: .seconds(10)) { informer.object(named: "j2") != nil })
            try await proxy.arm([rule("delay", path: "watch=true", ["ms": .integer(1500)])])
            try await proxy.resetAll()
            try #require(try await poll(within: .seconds(10)) { try await watches(proxy, namespace) == 2 })
            for name in ["j3", "j4"] { _ = try await direct.create(sampleJob(name), in: namespace) }
            try await direct.delete(Job.self, named: "j1", in: namespace)
            _ = try await direct.create(sampleJob("j5"), in: namespace)
            var names: [String] = []
            for try await event in events {
                names.append("\(event.isDeletion ? "-" : "+")\(event.object.metadata.name!)")
                if names.count == 6 { break }
            }
            return names
        }
        #expect(names == ["+j1", "+j2", "+j3", "+j4", "-j1", "+j5"])
        #expect(try await lists(proxy, namespace) == 1)
        #expect(informer.objects.compactMap(\.metadata.name) == ["j2", "j3", "j4", "j5"])
    }

    /// An informer told to keep no unmodelled fields caches Jobs without `decodedJSON`, from its
    /// list ("listed") and from its watch ("watched") alike, with every typed field the server sent;
    /// one with the default, over the same Jobs, keeps the JSON (what writing a Job back needs).
    @Test func anInformerWithoutUnmodelledFieldsCachesTypedObjectsOnly() async throws {
        let direct = try Peer.client()
        let namespace = Peer.namespace("lean")
        let listed = try await direct.create(sampleJob("listed"), in: namespace)
        let informers = SharedInformers(client: try Peer.client())
        let lean = informers.informer(
            Job.self, namespace: namespace, labelSelector: "app.kubernetes.io/managed-by=fargate-cron",
            keepsUnmodelledFields: false)
        let kept = informers.informer(Job.self, namespace: namespace)
        #expect(!lean.keepsUnmodelledFields && kept.keepsUnmodelledFields)
        try await running(informers) {
            try await lean.waitForSync()
            try await kept.waitForSync()
            let watched = try await direct.create(sampleJob("watched"), in: namespace)
            try #require(try await poll(within: .seconds(10)) {
                lean.object(named: "watched") != nil && kept.object(named: "watched") != nil
            })
            for created in [listed, watched] {
                let name = try #require(created.metadata.name)
                let typed = try #require(lean.object(named: name))
                #expect(typed.decodedJSON == nil, "\(name)")
                #expect(typed.metadata.uid == created.metadata.uid && typed.metadata.uid != nil, "\(name)")
                #expect(typed.metadata.labels == created.metadata.labels, "\(name)")
                #expect(typed.spec?.template.spec?.containers.first?.image == "busybox:1.36", "\(name)")
                #expect(typed.spec?.backoffLimit == 0, "\(name)")
                let full = try #require(kept.object(named: name))
                #expect(full.decodedJSON?["metadata"]?["uid"] == created.metadata.uid.map(JSONValue.string), "\(name)")
                #expect(full.decodedJSON?["spec"]?["backoffLimit"] == .integer(0), "\(name)")
            }
        }
    }
}

extension InformerEvent {
    var isDeletion: Bool { if case .deleted = self { true } else { false } }
}
