/// Runs `operation` in a child task that ends with it, and returns what it returned.
///
/// Memory: a Swift task keeps the largest chain of async frames it ever had until it ends (its
/// allocator keeps every slab it once needed), and a run's follower and each of its log streams are
/// tasks that live as long as the run. A request's chain through the client and the transport is
/// 5–7 KB of frames; made from a task of its own, that memory goes back when the request returns
/// instead of staying with each of a herd's runs in flight (BENCHMARKS.md, "Memory of runs in flight").
/// Cancelling the caller cancels the child.
func inShortTask<T: Sendable, E: Error>(_ operation: @escaping @Sendable () async throws(E) -> T) async throws(E) -> T {
    let result = await withTaskGroup(of: Result<T, E>.self) { group in
        group.addTask {
            do throws(E) { return .success(try await operation()) } catch { return .failure(error) }
        }
        guard let result = await group.next() else { preconditionFailure("a task group with one child returned none") }
        return result
    }
    return try result.get()
}
