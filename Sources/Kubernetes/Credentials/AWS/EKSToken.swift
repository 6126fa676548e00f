import HTTP
public import AWS
public import Foundation

/// A bearer token for an EKS cluster, made from AWS credentials alone (no `aws` CLI): `k8s-aws-v1.`
/// and the unpadded base64url of a presigned STS `GetCallerIdentity` URL whose signed
/// `x-k8s-aws-id` header names the cluster. The API server's authenticator calls that URL to learn
/// who we are. Made the way `aws eks get-token` makes it (the URL expires 60 s after signing; EKS
/// accepts the token for 15 minutes from its `X-Amz-Date`).
public struct EKSToken: Sendable, Hashable {
    /// The token, a secret: never log it.
    public var token: String
    /// When it stops being accepted: 14 minutes after signing, as the AWS CLI reports it.
    public var expiration: Date

    /// The lifetime `aws eks get-token` reports (one minute short of the 15 EKS allows).
    public static let lifetime: Duration = .seconds(14 * 60)

    /// Makes a token.
    /// - Parameters:
    ///   - cluster: the EKS cluster name (the `x-k8s-aws-id` header).
    ///   - region: the STS region, such as `ap-northeast-1`; the regional endpoint `sts.REGION.amazonaws.com` is used.
    ///   - date: the signing instant.
    public init(cluster: String, region: String, credentials: AWSCredentials, at date: Date) {
        let signer = SigV4(credentials: credentials, region: region, service: "sts")
        let url = signer.presignedURL(
            host: "sts.\(region).\(AWSEndpoint.domain(for: region))",
            query: [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
            headers: [("x-k8s-aws-id", cluster)], expires: 60, at: date)
        let encoded = Data(url.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        token = "k8s-aws-v1." + encoded
        expiration = date.addingTimeInterval(Double(Self.lifetime / .seconds(1)))
    }

    /// The `ExecCredential` JSON that `aws eks get-token` prints, byte for byte (4-space indent,
    /// its key order, expiration in whole seconds, and the blank line its formatter leaves at the end).
    public func execCredentialJSON(apiVersion: String = "client.authentication.k8s.io/v1beta1") -> String {
        """
        {
            "kind": "ExecCredential",
            "apiVersion": "\(apiVersion)",
            "spec": {},
            "status": {
                "expirationTimestamp": "\(RFC3339.formatSeconds(expiration))",
                "token": "\(token)"
            }
        }


        """
    }
}
