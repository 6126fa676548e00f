// Next and previous fire times, in whole Unix seconds, with cronie's daylight-saving rules.
//
// The zone's timeline is cut into segments of constant UTC offset. Inside a segment civil time and
// instants map one to one, so the field-by-field search of CalendarSpec runs on civil seconds and
// the answer is shifted back by the offset. Only at a segment's end does the rule matter:
//   spring forward (gap):  fixed-time jobs whose time lies in the gap fire once, at the transition
//                          instant (the first instant after the gap); wildcard jobs lose those times.
//   fall back (repeat):    the second pass replays civil times already seen; fixed-time jobs skip
//                          them (they fired in the first pass), wildcard jobs fire again.

extension CronExpression {
    /// The first fire time strictly after `after`.
    func nextFireSecond(after: Int64, rules: ZoneRules?) -> Int64? {
        switch kind {
        case .reboot: return nil
        case .every(let interval):
            return (CivilTime.floorDivide(after, interval) + 1) * interval
        case .calendar(let spec):
            guard let rules else { return nil }
            return spec.nextFireSecond(after: after, rules: rules)
        }
    }

    /// The last fire time strictly before `before`.
    func previousFireSecond(before: Int64, rules: ZoneRules?) -> Int64? {
        switch kind {
        case .reboot: return nil
        case .every(let interval):
            return CivilTime.floorDivide(before - 1, interval) * interval
        case .calendar(let spec):
            guard let rules else { return nil }
            return spec.previousFireSecond(before: before, rules: rules)
        }
    }
}

extension CalendarSpec {
    func nextFireSecond(after: Int64, rules: ZoneRules) -> Int64? {
        var from = after + 1  // earliest instant allowed
        // The segment of `after`, not of `from`: when `from` is itself a transition, the search starts
        // at the end of the segment before it, so that a fixed time in a gap ending there still fires
        // at `from`, the first instant after the gap (`30 2 * * *` after 01:59:59 on a spring-forward
        // day in New York is 03:00 that day, not 02:30 the next).
        var segment = rules.segment(containing: after)
        let transitions = rules.transitions
        let offsets = rules.offsets
        while true {
            let offset = offsets[segment]
            var civilFrom = from + offset
            if !isWildcard, segment > 0, offsets[segment - 1] > offset {
                // Second pass of a repeated interval: fixed-time jobs already ran in the first pass.
                civilFrom = max(civilFrom, transitions[segment - 1] + offsets[segment - 1])
            }
            guard let civil = firstMatch(atOrAfter: civilFrom) else { return nil }
            guard segment < transitions.count else {
                // Past the table a zone with daylight saving would be modelled without it: say "none"
                // rather than give a wrong time (a wildcard job that only matches inside gaps ends here).
                let instant = civil - offset
                return transitions.isEmpty || instant < ZoneRules.tableEnd ? instant : nil
            }
            let end = transitions[segment]
            if civil < end + offset { return civil - offset }
            // No match before the transition at `end`; `civil` is the first match at or after the
            // civil time the clock would have shown there without the change.
            let nextOffset = offsets[segment + 1]
            if !isWildcard, nextOffset > offset, civil < end + nextOffset {
                return end  // a fixed time inside the gap: once, at the first instant after it
            }
            from = end
            segment += 1
        }
    }

    func previousFireSecond(before: Int64, rules: ZoneRules) -> Int64? {
        var until = before - 1  // latest instant allowed
        var segment = rules.segment(containing: until)
        let transitions = rules.transitions
        let offsets = rules.offsets
        while true {
            let offset = offsets[segment]
            guard let civil = lastMatch(atOrBefore: until + offset) else { return nil }
            guard segment > 0 else {
                let instant = civil - offset
                return transitions.isEmpty || instant >= ZoneRules.tableStart ? instant : nil
            }
            let start = transitions[segment - 1]
            let previousOffset = offsets[segment - 1]
            var floor = start + offset  // civil time at the segment's first instant
            if !isWildcard, previousOffset > offset {
                floor = start + previousOffset  // fixed-time jobs do not fire in the second pass
            }
            if civil >= floor { return civil - offset }
            if !isWildcard, previousOffset < offset, civil >= start + previousOffset {
                return start  // a fixed time inside the gap fired at the first instant after it
            }
            until = start - 1
            segment -= 1
        }
    }
}
