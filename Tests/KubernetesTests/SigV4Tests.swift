@testable import AWS
import HTTP
import Foundation
import Testing

@testable import Kubernetes

/// SigV4 against vectors of AWS's published test suite (Fixtures/sigv4), and the EKS token against
/// what `aws eks get-token` printed for the same credentials and instant (scripts/eks-token-fixture.py).
@Suite struct SigV4Tests {
    static let suiteCredentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", source: "test suite")
    static let suiteDate = RFC3339.parse("2015-08-30T12:36:00Z")!

    /// Parses a `.req` file of the suite: request line, `Name:value` headers, blank line, body.
    static func request(_ name: String) throws -> SigV4.Request {
        let text = try Fixture.text("sigv4/\(name).req")
        let parts = text.components(separatedBy: "\n\n")
        var lines = parts[0].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst().split(separator: " ")
        let target = String(requestLine[1])
        let (path, queryText) = target.firstIndex(of: "?").map {
            (String(target[..<$0]), String(target[target.index(after: $0)...]))
        } ?? (target, "")
        let query = queryText.split(separator: "&").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...]))
        }
        let body = parts.count > 1 ? Data(parts[1].utf8) : Data()
        return SigV4.Request(method: String(requestLine[0]), path: path, query: query, headers: headers, body: body)
    }

    @Test(arguments: [
        "get-vanilla-query-order-key", "get-vanilla-query-order-value", "post-sts-header-before",
        "post-x-www-form-urlencoded-parameters",
    ])
    func authorizationMatchesTheSuite(_ name: String) throws {
        let signer = SigV4(credentials: Self.suiteCredentials, region: "us-east-1", service: "service")
        let authorization = signer.authorization(for: try Self.request(name), at: Self.suiteDate)
        #expect(authorization == (try Fixture.text("sigv4/\(name).authz")))
    }

    @Test func canonicalRequestAndStringToSignMatchTheSuite() throws {
        let name = "get-vanilla-query-order-key"
        let signer = SigV4(credentials: Self.suiteCredentials, region: "us-east-1", service: "service")
        let canonical = signer.canonicalRequest(try Self.request(name), payloadHash: SigV4.emptyPayloadHash)
        #expect(canonical.text == (try Fixture.text("sigv4/\(name).creq")))
        #expect(signer.stringToSign(canonicalRequest: canonical.text, at: Self.suiteDate) == (try Fixture.text("sigv4/\(name).sts")))
    }

    /// The same credentials, cluster, region and instant as scripts/eks-token-fixture.py gave awscli.
    @Test func eksTokenIsWhatTheAWSCLIPrints() throws {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: "FwoGZXIvYXdzEXAMPLE/session+token==", source: "fixture")
        let token = EKSToken(
            cluster: "nightly-batch", region: "ap-northeast-1", credentials: credentials,
            at: RFC3339.parse("2026-03-08T07:30:15Z")!)
        #expect(token.execCredentialJSON() == (try Fixture.text("aws-eks-get-token.json")))
    }

    @Test func eksTokenDecodesToAPresignedGetCallerIdentity() throws {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", source: "fixture")
        let token = EKSToken(cluster: "c1", region: "us-west-2", credentials: credentials, at: Self.suiteDate)
        #expect(token.token.hasPrefix("k8s-aws-v1."))
        #expect(!token.token.contains("="))
        var payload = String(token.token.dropFirst("k8s-aws-v1.".count))
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        let url = String(decoding: Data(base64Encoded: payload)!, as: UTF8.self)
        #expect(url.hasPrefix("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"))
        #expect(url.contains("X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature="))
        #expect(!url.contains("X-Amz-Security-Token"))
        #expect(token.expiration == Self.suiteDate.addingTimeInterval(14 * 60))
    }
}
