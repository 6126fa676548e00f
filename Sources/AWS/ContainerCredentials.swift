import HTTP
import Foundation

/// Container credentials, as ECS task roles and EKS Pod Identity hand them out: a GET of a local
/// endpoint answers `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (ECS): a path on `http://169.254.170.2`; it wins.
/// - `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS Pod Identity, ECS Anywhere): any `https` URL, or
///   `http` to a loopback address or to one of the ECS and EKS agents' link-local addresses.
/// - `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read on every fetch, as the agent rotates it) or
///   else `AWS_CONTAINER_AUTHORIZATION_TOKEN`: sent as the `Authorization` header.
///
/// - SeeAlso: https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
struct ContainerCredentials {
    var url: String
    var environment: [String: String]
    var transport: any Transport

    /// The hosts `http` full URIs may name besides loopback (the CLI's list).
    static let allowedHosts = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]", "localhost"]

    /// The endpoint the environment names, nil when it names none.
    /// - Throws: ``AWSError/credentials(_:)`` for a full URI the CLI would refuse.
    static func endpoint(in environment: [String: String]) throws(AWSError) -> String? {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            return "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else { return nil }
        guard let parts = URLComponents(string: full), let scheme = parts.scheme?.lowercased(), let host = parts.host
        else { throw .credentials("AWS_CONTAINER_CREDENTIALS_FULL_URI \(full) is not a URL") }
        if scheme == "https" { return full }
        let loopback = host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        guard scheme == "http", loopback || allowedHosts.contains(host) else {
            throw .credentials(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI names \(scheme)://\(host): only https, or http to a loopback address or "
                    + "one of \(allowedHosts.dropLast(2).joined(separator: ", ")), localhost, may serve credentials")
        }
        return full
    }

    private struct Answer: Decodable {
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var Token: String?
        var Expiration: String?
        var Code: String?
        var Message: String?
        // The EKS Pod Identity agent writes its errors in lower case.
        var code: String?
        var message: String?
        var errorCode: String? { Code ?? code }
        var errorMessage: String? { Message ?? message }
    }

    func fetch() async throws(AWSError) -> AWSCredentials {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            let token: String
            do {
                token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw .credentials("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file): \(error.localizedDescription)")
            }
            headers.append((name: "Authorization", value: try Self.checked(token)))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append((name: "Authorization", value: try Self.checked(token)))
        }
        // The CLI tries three times: the agent may still be starting beside the container.
        var lastProblem = ""
        for attempt in 1...3 {
            do {
                let response = try await transport.send(HTTPRequest(method: .get, url: url, headers: headers))
                let answer = try? JSONDecoder().decode(Answer.self, from: response.body)
                if response.status == 200, let answer, let key = answer.AccessKeyId, let secret = answer.SecretAccessKey {
                    return AWSCredentials(
                        accessKeyID: key, secretAccessKey: secret, sessionToken: answer.Token,
                        expiration: answer.Expiration.flatMap(RFC3339.parse), source: "container credentials (\(url))")
                }
                lastProblem = "answered \(response.status)"
                    + (answer?.errorMessage.map { ": \(answer?.errorCode.map { "\($0): " } ?? "")\($0)" } ?? "")
                // 4xx is the agent's considered answer (a wrong token, no role): asking again will not change it.
                if (400..<500).contains(response.status) { break }
            } catch {
                lastProblem = "failed: \(error)"
            }
            if attempt < 3 { try? await Task.sleep(for: .milliseconds(100 * attempt)) }
        }
        throw .credentials("container credentials from \(url) \(lastProblem)")
    }

    /// A token with a line break would inject headers: the CLI refuses it, and so do we.
    private static func checked(_ token: String) throws(AWSError) -> String {
        guard !token.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw .credentials("the container authorization token contains a line break")
        }
        return token
    }
}
