import Foundation

/// A min-heap of due instants, one entry per job's next slot. Entries are never removed in place:
/// a job's `generation` changes when it is rescheduled or removed, and stale entries are dropped as
/// they surface.
struct TimerQueue: Sendable {
    struct Entry: Sendable {
        var due: Date
        var job: String
        var generation: Int
    }

    private var heap: [Entry] = []

    var count: Int { heap.count }
    var first: Entry? { heap.first }

    /// Makes room for `count` entries in all (one per job at load), so the heap does not grow by doubling.
    mutating func reserveCapacity(_ count: Int) { heap.reserveCapacity(count) }

    mutating func insert(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
