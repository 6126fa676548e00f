/// Checks `condition` every 50 ms until it holds or `limit` passes (for real processes only: a
/// manual clock needs no waiting).
func poll(within limit: Duration, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}
