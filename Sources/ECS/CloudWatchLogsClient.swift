public import Foundation

/// CloudWatch Logs, as far as reading a task's output needs it: `GetLogEvents`.
/// - SeeAlso: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
public struct CloudWatchLogsClient: Sendable {
    /// The JSON 1.1 caller for `logs`.
    public let api: AWSJSONClient

    /// Creates a client over a JSON caller for ``AWSService/logs(region:environment:)``.
    public init(api: AWSJSONClient) { self.api = api }

    /// One page of a stream's events, oldest first.
    /// - Parameters:
    ///   - token: the previous page's ``LogEventsPage/nextForwardToken``; `nil` starts at the head.
    /// - Returns: `nil` when the stream (or its group) does not exist yet: the awslogs driver makes
    ///   the stream when the container writes its first line.
    public func events(group: String, stream: String, after token: String?, deadline: Date? = nil) async throws(ECSError) -> LogEventsPage? {
        struct Input: Encodable, Sendable {
            var logGroupName: String, logStreamName: String, startFromHead: Bool, nextToken: String?
        }
        do {
            // startFromHead must stay true with a forward token (the API's documentation says so).
            return try await api.call(
                "GetLogEvents", Input(logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token),
                returning: LogEventsPage.self, deadline: deadline)
        } catch let error where error.code == "ResourceNotFoundException" {
            return nil
        }
    }
}

/// One page of `GetLogEvents`.
public struct LogEventsPage: Decodable, Hashable, Sendable {
    /// The events, oldest first.
    public var events: [LogEvent]
    /// The token for the next page; at the end of the stream it is the token that was sent.
    public var nextForwardToken: String?

    enum CodingKeys: String, CodingKey { case events, nextForwardToken }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        events = try container.decodeIfPresent([LogEvent].self, forKey: .events) ?? []
        nextForwardToken = try container.decodeIfPresent(String.self, forKey: .nextForwardToken)
    }
}

/// One line the container printed, as the awslogs driver sent it.
public struct LogEvent: Decodable, Hashable, Sendable {
    /// When the container printed it, in milliseconds since 1970.
    public var timestamp: Int64
    /// The line, without its newline.
    public var message: String

    /// The instant of ``timestamp``.
    public var date: Date { Date(timeIntervalSince1970: Double(timestamp) / 1000) }
}
