import Foundation
import Kubernetes
import Testing

/// The election's durations, the holder identity, and the Lease as it is written.
@Suite struct ElectionSettingsTests {
    struct Durations: CustomTestStringConvertible, Sendable {
        var name: String
        var lease: Duration, renew: Duration, retry: Duration
        /// A word the error must hold, or nil when the durations are valid.
        var error: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        Durations(name: "client-go's defaults", lease: .seconds(15), renew: .seconds(10), retry: .seconds(2), error: nil),
        Durations(name: "the tests' short ones", lease: .seconds(3), renew: .seconds(2), retry: .milliseconds(500), error: nil),
        Durations(name: "renew deadline as long as the lease", lease: .seconds(10), renew: .seconds(10), retry: .seconds(2),
                  error: "must be longer than the renew deadline"),
        Durations(name: "renew deadline within 1.2 retry periods", lease: .seconds(15), renew: .seconds(2), retry: .seconds(2),
                  error: "1.2 × the retry period"),
        Durations(name: "a fraction of a second of lease", lease: .milliseconds(2500), renew: .seconds(2),
                  retry: .milliseconds(500), error: "whole number of seconds"),
        Durations(name: "no lease at all", lease: .zero, renew: .zero, retry: .zero, error: "at least 1"),
        Durations(name: "no retry period", lease: .seconds(3), renew: .seconds(2), retry: .zero, error: "longer than 0"),
    ])
    func durations(_ row: Durations) {
        do {
            let configuration = try ElectionConfiguration(leaseDuration: row.lease, renewDeadline: row.renew, retryPeriod: row.retry)
            #expect(row.error == nil, "accepted \(configuration)")
        } catch {
            #expect(row.error.map { error.message.contains($0) } == true, "\(error.message)")
        }
    }

    @Test func defaultsAreClientGos() throws {
        let configuration = try ElectionConfiguration()
        #expect(configuration.description == "lease 15s, renew deadline 10s, retry period 2s")
        #expect(configuration.leaseDurationSeconds == 15)
    }

    @Test func theHolderIdentityNamesTheHostAndTheProcess() {
        let identity = LeaderIdentity(host: "ip-10-0-1-5.ec2.internal", processID: 4242)
        #expect(identity.description.hasPrefix("ip-10-0-1-5.ec2.internal_4242_"))
        #expect(identity.nonce.count == 6 && identity.nonce.allSatisfy(\.isHexDigit))
        #expect(LeaderIdentity.host(of: identity.description) == "ip-10-0-1-5.ec2.internal")
        // Two processes with one pid on one host (pid 1 in containers) are two candidates.
        let nonces = Set((0..<20).map { _ in LeaderIdentity(host: "web-1", processID: 1).description })
        #expect(nonces.count > 1)
    }

    @Test(arguments: [
        ("web_1_4242_00ff00", "web_1"),  // a host with `_` in its name
        ("web-1_4242_00ff00", "web-1"),
        ("kube-controller-manager-abc", "kube-controller-manager-abc"),  // another program's identity
        ("web-1_notapid_00ff00", "web-1_notapid_00ff00"),
    ])
    func hostOfAHolderIdentity(_ identity: String, _ host: String) {
        #expect(LeaderIdentity.host(of: identity) == host)
    }

    @Test func acquireAndRenewTimesAreWrittenAsMicroTime() throws {
        var script = ElectionScript()
        _ = script.wake(at: 0)
        let created = try #require(script.receive(.notFound, at: 0.25).sentLease)
        let json = String(decoding: try KubernetesJSON.encoder.encode(created), as: UTF8.self)
        // metav1.MicroTime: RFC 3339 with exactly six fractional digits.
        #expect(json.contains("\"acquireTime\":\"2027-01-15T08:00:00.250000Z\""), "\(json)")
        #expect(json.contains("\"renewTime\":\"2027-01-15T08:00:00.250000Z\""), "\(json)")
        #expect(json.contains("\"holderIdentity\":\"host-a_100_aaaaaa\""))
        #expect(json.contains("\"leaseDurationSeconds\":3"))
        #expect(json.contains("\"leaseTransitions\":0"))
        #expect(json.contains("\"apiVersion\":\"coordination.k8s.io\\/v1\"") || json.contains("\"apiVersion\":\"coordination.k8s.io/v1\""))
    }
}
