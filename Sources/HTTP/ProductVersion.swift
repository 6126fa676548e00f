/// fargate-cron's version, in one place: `fargate-cron --version` prints it, and every HTTP request
/// (Kubernetes, AWS) names it in its `User-Agent`, so an API server's audit log tells our calls apart.
public enum ProductVersion {
    /// The release, such as `0.1.0`.
    public static let version = "0.1.0"
    /// `fargate-cron/VERSION`, sent as `User-Agent` by ``CurlTransport``.
    public static let userAgent = "fargate-cron/\(version)"
}
