import HTTP
import Foundation

/// One call to STS's query API (`Action=…&Version=2011-06-15` form-encoded in a POST), and the flat
/// XML it answers with.
struct STSCall {
    /// `AWS_ENDPOINT_URL_STS` (or `AWS_ENDPOINT_URL`), for tests and VPC endpoints; otherwise the regional endpoint.
    var endpoint: String?
    var region: String?
    var transport: any Transport

    /// The endpoint's base URL, ending in `/`.
    var baseURL: String {
        let region = region ?? "us-east-1"
        let base = endpoint ?? "https://sts.\(region).\(AWSEndpoint.domain(for: region))"
        return base.hasSuffix("/") ? base : base + "/"
    }

    /// Calls `action` with `parameters` and returns the credentials of its answer.
    /// - Parameters:
    ///   - signer: credentials to sign with (`AssumeRole`); nil for the unsigned `AssumeRoleWithWebIdentity`.
    ///   - describing: how messages name the call (`STS AssumeRole for arn:…`).
    ///   - source: the credentials' `source`.
    func credentials(
        action: String, parameters: [(String, String)], signer: AWSCredentials?, at date: Date, describing: String,
        source: String
    ) async throws(AWSError) -> AWSCredentials {
        let query = ([("Action", action), ("Version", "2011-06-15")] + parameters)
            .map { "\($0.0)=\(SigV4.encode($0.1))" }.joined(separator: "&")
        let body = Data(query.utf8)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Accept", "application/xml"),
        ]
        if let signer {
            let region = region ?? "us-east-1"
            headers = SigV4(credentials: signer, region: region, service: "sts")
                .signedHeaders(method: "POST", url: baseURL, headers: headers, body: body, at: date)
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: .post, url: baseURL, headers: headers, body: body))
        } catch {
            throw .credentials("\(describing) failed: \(error)")
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200, let key = Self.element("AccessKeyId", in: xml),
            let secret = Self.element("SecretAccessKey", in: xml), let sessionToken = Self.element("SessionToken", in: xml)
        else {
            let code = Self.element("Code", in: xml).map { "\($0): " } ?? ""
            let message = Self.element("Message", in: xml) ?? "HTTP \(response.status)"
            throw .credentials("\(describing) was refused: \(code)\(message)")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: sessionToken,
            expiration: Self.element("Expiration", in: xml).flatMap(RFC3339.parse), source: source)
    }

    /// The text of the first `<name>` element; STS answers are flat enough for this.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
