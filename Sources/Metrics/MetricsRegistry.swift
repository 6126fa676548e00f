import Synchronization

/// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
/// exposition format (version 0.0.4) that Prometheus scrapes.
///
/// Families are registered once, at start; their series are made on first use and removed with
/// ``removeSeries(label:value:)`` when what they are about goes away (a job removed by a reload),
/// so the number of series stays bounded by what is loaded. Safe from any thread.
public final class MetricsRegistry: Sendable {
    private let state = Mutex(State())
    private let collectors = Mutex<[@Sendable () -> Void]>([])

    /// An empty registry.
    public init() {}

    /// Registers a counter (a value that only goes up; its name should end in `_total`).
    /// - Parameters:
    ///   - name: the metric's name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///   - help: one line of explanation (`# HELP`).
    ///   - labels: the label names its series carry, in the order values are given.
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        Counter(family: register(name, help: help, kind: .counter, labels: labels))
    }

    /// Registers a gauge (a value that goes up and down, or a timestamp).
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        Gauge(family: register(name, help: help, kind: .gauge, labels: labels))
    }

    /// Registers a histogram with the given upper bounds (`le`), ascending; `+Inf` is added.
    public func histogram(_ name: String, help: String, labels: [String] = [], buckets: [Double]) -> Histogram {
        precondition(!buckets.isEmpty && zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 }, "buckets ascend")
        precondition(!labels.contains("le"), "a histogram's label may not be named le")
        return Histogram(family: register(name, help: help, kind: .histogram(buckets.filter(\.isFinite)), labels: labels))
    }

    /// Adds a function called before each rendering, to set values that are read at scrape time.
    public func onCollect(_ collect: @escaping @Sendable () -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// Removes every series, in every family, whose label `label` is `value`.
    public func removeSeries(label: String, value: String) {
        state.withLock { state in
            for index in state.families.indices {
                guard let position = state.families[index].labels.firstIndex(of: label) else { continue }
                state.families[index].series = state.families[index].series.filter { $0.key[position] != value }
            }
        }
    }

    /// The text exposition of every family, in registration order, series sorted by label values.
    public func render() -> String {
        for collect in collectors.withLock({ $0 }) { collect() }
        let families = state.withLock { $0.families }
        var text = ""
        for family in families { TextExposition.write(family, into: &text) }
        return text
    }

    // MARK: - Storage

    enum Kind: Equatable, Sendable {
        case counter, gauge
        case histogram([Double])
        var typeName: String {
            switch self {
            case .counter: "counter"
            case .gauge: "gauge"
            case .histogram: "histogram"
            }
        }
    }

    /// A series' value: one number, or a histogram's cumulative bucket counts, sum and count.
    enum Value: Equatable, Sendable {
        case scalar(Double)
        case histogram(buckets: [UInt64], sum: Double, count: UInt64)
    }

    struct Family: Sendable {
        var name: String
        var help: String
        var kind: Kind
        var labels: [String]
        var series: [[String]: Value] = [:]
    }

    private struct State {
        var families: [Family] = []
        var index: [String: Int] = [:]
    }

    private func register(_ name: String, help: String, kind: Kind, labels: [String]) -> FamilyReference {
        precondition(TextExposition.isValidMetricName(name), "invalid metric name \(name)")
        precondition(labels.allSatisfy(TextExposition.isValidLabelName), "invalid label name in \(labels)")
        precondition(Set(labels).count == labels.count, "duplicate label names in \(labels)")
        let index = state.withLock { state -> Int in
            precondition(state.index[name] == nil, "metric \(name) registered twice")
            state.families.append(Family(name: name, help: help, kind: kind, labels: labels))
            state.index[name] = state.families.count - 1
            return state.families.count - 1
        }
        return FamilyReference(registry: self, index: index, labelCount: labels.count)
    }

    fileprivate func update(_ index: Int, _ labels: [String], _ change: (inout Value?, Kind) -> Void) {
        state.withLock { state in
            var value = state.families[index].series[labels]
            change(&value, state.families[index].kind)
            state.families[index].series[labels] = value
        }
    }

    fileprivate func value(_ index: Int, _ labels: [String]) -> Value? {
        state.withLock { $0.families[index].series[labels] }
    }
}

/// One registered family, as its handles hold it.
struct FamilyReference: Sendable {
    let registry: MetricsRegistry
    let index: Int
    let labelCount: Int

    func update(_ labels: [String], _ change: (inout MetricsRegistry.Value?, MetricsRegistry.Kind) -> Void) {
        precondition(labels.count == labelCount, "expected \(labelCount) label values, got \(labels.count)")
        registry.update(index, labels, change)
    }

    func value(_ labels: [String]) -> MetricsRegistry.Value? { registry.value(index, labels) }

    func remove(_ labels: [String]) { registry.update(index, labels) { value, _ in value = nil } }
}

/// A counter family; values are given in the order of its label names.
public struct Counter: Sendable {
    let family: FamilyReference

    /// Adds `amount` (not negative) to the series with these label values.
    public func increment(_ labels: String..., by amount: Double = 1) { increment(labels: labels, by: amount) }

    /// Adds `amount` (not negative) to the series with these label values.
    public func increment(labels: [String], by amount: Double = 1) {
        precondition(amount >= 0, "a counter only goes up")
        family.update(labels) { value, _ in
            if case .scalar(let old) = value { value = .scalar(old + amount) } else { value = .scalar(amount) }
        }
    }

    /// Makes the series exist at 0 (so a rate over it starts from a known point).
    public func touch(_ labels: String...) {
        family.update(labels) { value, _ in if value == nil { value = .scalar(0) } }
    }

    /// The series' value, if it exists.
    public func value(_ labels: String...) -> Double? {
        if case .scalar(let v) = family.value(labels) { v } else { nil }
    }
}

/// A gauge family; values are given in the order of its label names.
public struct Gauge: Sendable {
    let family: FamilyReference

    /// Sets the series with these label values.
    public func set(_ value: Double, _ labels: String...) { set(value, labels: labels) }

    /// Sets the series with these label values.
    public func set(_ newValue: Double, labels: [String]) { family.update(labels) { value, _ in value = .scalar(newValue) } }

    /// Adds `amount` (negative to take away) to the series.
    public func add(_ amount: Double, _ labels: String...) {
        family.update(labels) { value, _ in
            if case .scalar(let old) = value { value = .scalar(old + amount) } else { value = .scalar(amount) }
        }
    }

    /// Removes the series with these label values.
    public func remove(_ labels: String...) { family.remove(labels) }

    /// The series' value, if it exists.
    public func value(_ labels: String...) -> Double? {
        if case .scalar(let v) = family.value(labels) { v } else { nil }
    }
}

/// A histogram family; values are given in the order of its label names.
public struct Histogram: Sendable {
    let family: FamilyReference

    /// Counts one observation of `sample` in the series with these label values.
    public func observe(_ sample: Double, _ labels: String...) { observe(sample, labels: labels) }

    /// Counts one observation of `sample` in the series with these label values.
    public func observe(_ sample: Double, labels: [String]) {
        family.update(labels) { value, kind in
            guard case .histogram(let bounds) = kind else { preconditionFailure("not a histogram") }
            var (buckets, sum, count): ([UInt64], Double, UInt64) = ([UInt64](repeating: 0, count: bounds.count), 0, 0)
            if case .histogram(let b, let s, let c) = value { (buckets, sum, count) = (b, s, c) }
            // Cumulative, as the format has them: each bucket counts every sample at or below its bound.
            for (i, bound) in bounds.enumerated() where sample <= bound { buckets[i] += 1 }
            value = .histogram(buckets: buckets, sum: sum + sample, count: count + 1)
        }
    }

    /// How many samples the series has.
    public func count(_ labels: String...) -> UInt64 {
        if case .histogram(_, _, let count) = family.value(labels) { count } else { 0 }
    }
}
