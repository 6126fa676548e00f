/// Checks `condition` every 50 ms until it holds or `limit` passes, and says whether it held (for
/// real processes and peers only: a manual clock needs no waiting).
/// - Parameters:
///   - limit: how long to keep checking; `condition` is checked once more at the end.
///   - condition: what to wait for; an error it throws ends the wait.
public func poll(
    within limit: Duration, isolation: isolated (any Actor)? = #isolation, _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
