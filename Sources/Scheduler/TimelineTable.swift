/// Every job's timeline, by name: the timelines in one array and a name-to-position index.
///
/// A `[String: Timeline]` of 10,000 jobs took 3.8 MB (16,384 buckets, each a name and a whole
/// timeline, measured with heaptrack); here the large values are stored once, densely, and only the
/// small index has spare buckets.
struct TimelineTable: Sendable {
    private var storage: [SchedulerState.Timeline] = []
    private var positions: [String: Int] = [:]

    /// How many jobs have a timeline.
    var count: Int { storage.count }

    /// The jobs' names, in no particular order.
    var names: Dictionary<String, Int>.Keys { positions.keys }

    /// Every timeline, in no particular order.
    var all: [SchedulerState.Timeline] { storage }

    /// The timeline of the job of that name; setting `nil` removes it (the last timeline moves into its place).
    subscript(name: String) -> SchedulerState.Timeline? {
        get { positions[name].map { storage[$0] } }
        set {
            guard let newValue else {
                guard let position = positions.removeValue(forKey: name) else { return }
                let last = storage.removeLast()
                if position < storage.count {
                    storage[position] = last
                    positions[last.job.name] = position
                }
                return
            }
            precondition(newValue.job.name == name, "the timeline of \(newValue.job.name) was stored as \(name)")
            if let position = positions[name] {
                storage[position] = newValue
            } else {
                positions[name] = storage.count
                storage.append(newValue)
            }
        }
    }

    /// Makes room for `count` timelines in all, so that loading them does not grow the storage by doubling.
    mutating func reserveCapacity(_ count: Int) {
        storage.reserveCapacity(count)
        positions.reserveCapacity(count)
    }
}
