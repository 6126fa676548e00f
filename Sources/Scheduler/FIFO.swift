/// A first-in, first-out queue with O(1) removal at the front (a thundering herd of 10,000 slots
/// at 00:00 must not cost a quadratic drain).
struct FIFO<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0

    var first: Element? { head < storage.count ? storage[head] : nil }
    var isEmpty: Bool { head >= storage.count }

    mutating func append(_ element: Element) { storage.append(element) }

    mutating func removeFirst() {
        head += 1
        // Compact once the consumed prefix dominates, so memory stays proportional to what is queued.
        if head > 64, head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        storage = storage[head...].filter { !shouldRemove($0) }
        head = 0
    }
}
