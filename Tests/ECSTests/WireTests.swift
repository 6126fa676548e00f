import Foundation
import HTTP
import Testing

@testable import ECS

/// Endpoints, error answers and pauses: no peer needed.
struct WireTests {
    struct EndpointCase: CustomTestStringConvertible, Sendable {
        var label: String
        var environment: [String: String]
        var ecs: String
        var logs: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        EndpointCase(label: "AWS's regional endpoints", environment: [:],
                     ecs: "https://ecs.eu-west-1.amazonaws.com", logs: "https://logs.eu-west-1.amazonaws.com"),
        EndpointCase(label: "one endpoint for every service", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9"],
                     ecs: "http://127.0.0.1:9", logs: "http://127.0.0.1:9"),
        EndpointCase(label: "a service's own endpoint wins, with the CLI's names",
                     environment: ["AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_ECS": "http://e",
                                   "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://l"],
                     ecs: "http://e", logs: "http://l"),
        EndpointCase(label: "AWS_ENDPOINT_URL_LOGS is read after the CLI's name",
                     environment: ["AWS_ENDPOINT_URL_LOGS": "http://logs-alias"], ecs: "https://ecs.eu-west-1.amazonaws.com",
                     logs: "http://logs-alias"),
        EndpointCase(label: "an empty variable counts as unset", environment: ["AWS_ENDPOINT_URL_ECS": ""],
                     ecs: "https://ecs.eu-west-1.amazonaws.com", logs: "https://logs.eu-west-1.amazonaws.com"),
    ])
    func endpointsAreFoundAsTheAWSCLIFindsThem(_ c: EndpointCase) {
        #expect(AWSService.ecs(region: "eu-west-1", environment: c.environment).endpoint == c.ecs)
        #expect(AWSService.logs(region: "eu-west-1", environment: c.environment).endpoint == c.logs)
    }

    @Test func chinaHasItsOwnDomain() {
        #expect(AWSService.ecs(region: "cn-north-1", environment: [:]).endpoint == "https://ecs.cn-north-1.amazonaws.com.cn")
    }

    @Test func theRegionComesFromAWSRegionFirst() {
        #expect(AWSService.region(in: ["AWS_REGION": "a", "AWS_DEFAULT_REGION": "b"]) == "a")
        #expect(AWSService.region(in: ["AWS_DEFAULT_REGION": "b"]) == "b")
        #expect(AWSService.region(in: [:]) == nil)
    }

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var label: String
        var status: Int
        var headers: [String: String]
        var body: String
        var code: String
        var message: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        ErrorCase(label: "JSON with a plain type", status: 400, headers: [:],
                  body: #"{"__type":"ClientException","message":"Unable to describe task definition."}"#,
                  code: "ClientException", message: "Unable to describe task definition."),
        ErrorCase(label: "JSON with a shape-qualified type and Message", status: 400, headers: [:],
                  body: #"{"__type":"com.amazonaws.ecs#InvalidParameterException","Message":"bad"}"#,
                  code: "InvalidParameterException", message: "bad"),
        ErrorCase(label: "the code in x-amzn-ErrorType", status: 400,
                  headers: ["x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/"],
                  body: #"{"message":"Rate exceeded"}"#, code: "ThrottlingException", message: "Rate exceeded"),
        ErrorCase(label: "XML from a query-protocol front", status: 403, headers: [:],
                  body: "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error></ErrorResponse>",
                  code: "SignatureDoesNotMatch", message: "no"),
        ErrorCase(label: "an HTML page from a proxy", status: 502, headers: [:], body: "<html>Bad Gateway</html>",
                  code: "HTTP502", message: "<html>Bad Gateway</html>"),
    ])
    func errorAnswersKeepAWSsCodeAndMessage(_ c: ErrorCase) {
        let error = AWSJSONClient.apiError(
            service: "ecs", operation: "RunTask",
            response: HTTPResponse(status: c.status, headers: c.headers, body: Data(c.body.utf8)))
        #expect(error.code == c.code && error.message == c.message && error.status == c.status)
    }

    @Test func whichErrorsAreRetried() {
        func api(_ status: Int, _ code: String) -> ECSError {
            .api(AWSAPIError(service: "ecs", operation: "RunTask", status: status, code: code, message: ""))
        }
        #expect(api(400, "ThrottlingException").isThrottling && api(400, "ThrottlingException").isTransient)
        #expect(api(429, "TooManyRequestsException").isThrottling)
        #expect(api(500, "ServerException").isTransient && !api(500, "ServerException").isThrottling)
        #expect(api(503, "HTTP503").isTransient)
        #expect(!api(400, "ClientException").isTransient && !api(400, "InvalidParameterException").isTransient)
        #expect(api(400, "ExpiredTokenException").isExpiredCredentials)
        #expect(ECSError.transport(operation: "RunTask", CurlError(code: 7, detail: "refused")).isTransient)
        #expect(!ECSError.transport(operation: "RunTask", CurlError(code: 60, detail: "bad certificate")).isTransient)
    }

    @Test func pausesGrowToTheirCap() {
        let policy = AWSRetryPolicy(baseDelay: .milliseconds(100), throttlingBaseDelay: .milliseconds(500),
                                    maximumDelay: .seconds(2), jitter: { $0 })
        #expect((1...5).map { policy.delay(beforeRetry: $0, throttled: false) }
                == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600)])
        #expect((1...4).map { policy.delay(beforeRetry: $0, throttled: true) }
                == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(2)])
        let jittered = AWSRetryPolicy(baseDelay: .milliseconds(100))
        #expect((0..<100).allSatisfy { _ in jittered.delay(beforeRetry: 3, throttled: false) <= .milliseconds(400) })
    }

    @Test func aTaskARNNamesItsCluster() {
        #expect(ECSTask.cluster(inTaskARN: "arn:aws:ecs:us-east-1:123456789012:task/prod/0123abcd") == "prod")
        #expect(ECSTask.cluster(inTaskARN: "arn:aws:ecs:us-east-1:123456789012:task/0123abcd") == nil)
        #expect(ECSTask(taskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/0123abcd").id == "0123abcd")
    }
}
