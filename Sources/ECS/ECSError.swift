public import AWS
public import HTTP

/// What can go wrong calling ECS or CloudWatch Logs, as values.
///
/// An AWS refusal keeps AWS's own error code and message (`ThrottlingException: Rate exceeded`,
/// `ClientException: No Fargate configuration exists for given values: ...`), so a log line or a run's
/// failure reason says exactly what AWS said.
public enum ECSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// AWS answered with an error.
    case api(AWSAPIError)
    /// No HTTP answer arrived (refused, reset, timed out).
    case transport(operation: String, CurlError)
    /// No credentials could be found or refreshed.
    case credentials(AWSError)
    /// An answer that is not what the operation returns.
    case invalidResponse(operation: String, String)
    /// The calling task was cancelled.
    case cancelled

    /// AWS's error code (`ThrottlingException`, `ClientException`, ...), for `.api` errors.
    public var code: String? {
        if case .api(let error) = self { return error.code }
        return nil
    }

    /// Whether AWS asked us to slow down (the call may be retried after a pause).
    public var isThrottling: Bool {
        guard case .api(let error) = self else { return false }
        return error.status == 429 || AWSAPIError.throttlingCodes.contains(error.code)
    }

    /// Whether another attempt of the same call may succeed: throttling, a server error, or a
    /// connection that failed before an answer.
    public var isTransient: Bool {
        switch self {
        case .api(let error):
            isThrottling || error.status >= 500 || AWSAPIError.transientCodes.contains(error.code)
        case .transport(_, let error): error.isConnectionFailure
        case .credentials, .invalidResponse, .cancelled: false
        }
    }

    /// Whether the credentials expired or were replaced (fresh ones may succeed).
    public var isExpiredCredentials: Bool {
        guard case .api(let error) = self else { return false }
        return AWSAPIError.expiredCredentialCodes.contains(error.code)
    }

    public var description: String {
        switch self {
        case .api(let error): error.description
        case .transport(let operation, let error): "\(operation): \(error)"
        case .credentials(let error): error.description
        case .invalidResponse(let operation, let text): "\(operation): unexpected answer: \(text)"
        case .cancelled: "cancelled"
        }
    }
}

/// An error answer of an AWS JSON API: `{"__type": "ClientException", "message": "..."}`.
public struct AWSAPIError: Hashable, Sendable, CustomStringConvertible {
    /// `ecs`, `logs`.
    public var service: String
    /// `RunTask`, `GetLogEvents`, ...
    public var operation: String
    /// The HTTP status.
    public var status: Int
    /// AWS's error code, without the `com.amazonaws.ecs#` prefix some answers carry.
    public var code: String
    /// AWS's message.
    public var message: String
    /// `x-amzn-RequestId`, for AWS support.
    public var requestID: String?

    /// Creates an error.
    public init(service: String, operation: String, status: Int, code: String, message: String, requestID: String? = nil) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String {
        "\(service) \(operation): \(code): \(message) (HTTP \(status)\(requestID.map { ", request \($0)" } ?? ""))"
    }

    /// The codes AWS SDKs retry as throttling (botocore's `_retry.json`, "throttling" and "standard").
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    ]
    /// Codes of transient failures that are not throttling (AWS SDKs' "transient" class).
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "ServerException",
        "ServiceUnavailableException", "ServiceUnavailable", "InternalError", "InternalFailure",
    ]
    /// Codes after which fresh credentials may succeed.
    static let expiredCredentialCodes: Set<String> = [
        "ExpiredToken", "ExpiredTokenException", "RequestExpired", "UnrecognizedClientException",
    ]
}
