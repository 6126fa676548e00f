import Foundation
import Ledger
import TestSupport

extension DaemonProcess {
    /// The runs of `job` in this daemon's ledger, newest first; none while the ledger does not exist.
    func runs(of job: String) throws -> [Run] {
        do {
            return try RunLedger.openForReading(stateDirectory: state.path).history(job: job, limit: 10_000)
        } catch .noLedger { return [] }
    }
}
