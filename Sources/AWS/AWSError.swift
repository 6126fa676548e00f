/// What can go wrong obtaining AWS credentials or calling an AWS API, as values.
///
/// No case ever holds a secret: credentials are described by their ``AWSCredentials/source``.
public enum AWSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Credentials could not be obtained; the text names every place that was looked at.
    case credentials(String)

    public var description: String {
        switch self {
        case .credentials(let text): "AWS credentials: \(text)"
        }
    }
}

/// AWS's DNS names by partition.
public enum AWSEndpoint {
    /// The domain of a region's endpoints: `amazonaws.com`, or `amazonaws.com.cn` in China.
    public static func domain(for region: String) -> String {
        region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    }
}
