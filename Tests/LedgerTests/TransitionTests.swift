import Foundation
import Ledger
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
        .started(kubernetesJob: "report-29", uid: "0d6c5e8e"),
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
                case .started(let name, let uid):
                    #expect(after.kubernetesJob == KubernetesJobReference(name: name, uid: uid))
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
