import Foundation
import Ledger
import RunModel
import Testing

/// Every (state, event) pair: the allowed ones move the run and record what the event carries;
/// the forbidden ones throw `transitionNotAllowed` and leave the run untouched.
@Suite struct TransitionTests {
    /// The issue's state machine, written out independently of `RunState.allowedNextStates`.
    static let allowed: [RunState: Set<RunState>] = [
        .intended: [.started, .failed, .cancelled, .missed],
        .started: [.running, .succeeded, .failed, .cancelled, .replaced],
        .running: [.succeeded, .failed, .cancelled, .replaced],
    ]

    static let events: [RunEvent] = [
        .started(RunHandle(executor: .kubernetes, reference: "report-29", uid: "0d6c5e8e")),
        .running(pod: "report-29-x7k2p", capacity: "0.25vCPU 0.5GB"),
        .succeeded,
        .failed(exitCode: 137, reason: "OOMKilled"),
        .cancelled(reason: "asked by an operator"),
        .replaced(by: RunID(rawValue: 99)),
        .missed(reason: "daemon was down past the starting deadline"),
    ]

    @Test(arguments: RunState.allCases, events)
    func transition(from state: RunState, event: RunEvent) throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let before = try makeRun(in: ledger, slot: 29, reaching: state)
            #expect(before.state == state)
            let at = minute(40)
            let target = event.resultingState
            if Self.allowed[state, default: []].contains(target) {
                let after = try ledger.record(event, for: before.id, at: at)
                #expect(after.state == target)
                #expect(try ledger.run(before.id) == after)
                switch event {
                case .started(let handle):
                    #expect(after.handle == handle)
                    #expect(after.createdAt == at)
                case .running(let pod, let capacity):
                    #expect(after.pod == pod && after.capacity == capacity && after.runningAt == at)
                case .succeeded:
                    #expect(after.exitCode == 0 && after.finishedAt == at)
                case .failed(let code, let reason):
                    #expect(after.exitCode == code && after.reason == reason && after.finishedAt == at)
                case .cancelled(let reason), .missed(let reason):
                    #expect(after.reason == reason && after.finishedAt == at)
                case .replaced:
                    #expect(after.reason == "replaced by run 99" && after.finishedAt == at)
                }
            } else {
                #expect(throws: LedgerError.transitionNotAllowed(before.id, from: state, to: target)) {
                    try ledger.record(event, for: before.id, at: at)
                }
                #expect(try ledger.run(before.id) == before)
            }
        }
    }

    /// The slots that never ran are recorded directly in their terminal state, with what happened,
    /// and once per slot holds for them too.
    @Test(arguments: [
        NeverRanOutcome.skipped(blockedBy: RunID(rawValue: 1)), .missed(reason: "daemon was down past the starting deadline"),
        .suspended,
    ])
    func aSlotThatNeverRanIsRecordedTerminal(_ outcome: NeverRanOutcome) throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let blocking = try makeRun(in: ledger, slot: 0, reaching: .running)
            let slot = Slot(job: "report", scheduledAt: minute(1))
            let run = try ledger.record(outcome, for: slot, policy: .forbid, at: minute(2))
            #expect(try ledger.run(run.id) == run)
            #expect(run.slot == slot && run.trigger == .scheduled && run.recordedAt == minute(2))
            #expect(run.finishedAt == minute(2) && run.state.isTerminal && run.handle == nil)
            switch outcome {
            case .skipped(let by):
                #expect(run.state == .skipped && run.blockedBy == by && by == blocking.id)
                #expect(run.reason == "run \(blocking.id) was still active")
            case .missed(let reason): #expect(run.state == .missed && run.reason == reason && run.blockedBy == nil)
            case .suspended: #expect(run.state == .suspended && run.reason == "the job is suspended")
            }
            #expect(throws: LedgerError.slotAlreadyRecorded(slot, existing: run.id)) {
                try ledger.recordIntent(for: slot, policy: .allow, at: minute(3))
            }
            #expect(throws: LedgerError.transitionNotAllowed(run.id, from: run.state, to: .started)) {
                try ledger.record(.started(RunHandle(executor: .kubernetes, reference: "report-1", uid: "u")), for: run.id, at: minute(3))
            }
        }
    }

    @Test func stateMachineMatchesTheIssue() {
        for state in RunState.allCases {
            #expect(state.allowedNextStates == Self.allowed[state, default: []], "\(state)")
            #expect(state.isTerminal == (Self.allowed[state] == nil), "\(state)")
        }
    }

    @Test func recordingForAMissingRunSaysWhichRun() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(throws: LedgerError.noSuchRun(RunID(rawValue: 42))) {
                try ledger.record(.succeeded, for: RunID(rawValue: 42), at: t0)
            }
        }
    }

    @Test func forbiddenTransitionMessageListsTheAllowedOnes() {
        let error = LedgerError.transitionNotAllowed(RunID(rawValue: 7), from: .intended, to: .running)
        #expect(
            error.description == "run 7 cannot move from intended to running; from intended it may move to "
                + "cancelled, failed, missed, started")
        let terminal = LedgerError.transitionNotAllowed(RunID(rawValue: 7), from: .succeeded, to: .failed)
        #expect(terminal.description.hasSuffix("nothing (succeeded is terminal)"))
    }
}
