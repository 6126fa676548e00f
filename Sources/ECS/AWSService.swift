import AWS

/// One AWS API spoken as JSON 1.1 (`POST /` with `X-Amz-Target`): its names and where it is.
public struct AWSService: Hashable, Sendable {
    /// The SigV4 signing name and the name in errors: `ecs`, `logs`.
    public var signingName: String
    /// The prefix of `X-Amz-Target`: `AmazonEC2ContainerServiceV20141113`, `Logs_20140328`.
    public var targetPrefix: String
    /// The region requests are signed for and sent to.
    public var region: String
    /// The base URL, such as `https://ecs.us-east-1.amazonaws.com`.
    public var endpoint: String

    /// Creates a service description.
    public init(signingName: String, targetPrefix: String, region: String, endpoint: String) {
        self.signingName = signingName
        self.targetPrefix = targetPrefix
        self.region = region
        self.endpoint = endpoint
    }

    /// Amazon ECS in `region`, at the endpoint the AWS CLI would use (see ``endpoint(for:region:environment:)``).
    public static func ecs(region: String, environment: [String: String]) -> AWSService {
        AWSService(
            signingName: "ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", region: region,
            endpoint: endpoint(for: ["ECS"], hostPrefix: "ecs", region: region, environment: environment))
    }

    /// CloudWatch Logs in `region`. The AWS CLI reads its endpoint from `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`
    /// (the service id "CloudWatch Logs"); `AWS_ENDPOINT_URL_LOGS` is read too, after it.
    public static func logs(region: String, environment: [String: String]) -> AWSService {
        AWSService(
            signingName: "logs", targetPrefix: "Logs_20140328", region: region,
            endpoint: endpoint(for: ["CLOUDWATCH_LOGS", "LOGS"], hostPrefix: "logs", region: region, environment: environment))
    }

    /// The endpoint as the AWS CLI resolves it: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`,
    /// else the service's regional endpoint (`https://ecs.us-east-1.amazonaws.com`, `.amazonaws.com.cn`
    /// in China). An empty variable counts as unset.
    /// - SeeAlso: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
    static func endpoint(for names: [String], hostPrefix: String, region: String, environment: [String: String]) -> String {
        for name in names.map({ "AWS_ENDPOINT_URL_\($0)" }) + ["AWS_ENDPOINT_URL"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return "https://\(hostPrefix).\(region).\(AWSEndpoint.domain(for: region))"
    }

    /// The region as the AWS CLI finds it in the environment: `AWS_REGION`, then `AWS_DEFAULT_REGION`.
    public static func region(in environment: [String: String]) -> String? {
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return nil
    }
}
