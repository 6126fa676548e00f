import FargateExecutor
import Foundation
import Logging

extension FargateRates {
    /// The rates in `FARGATE_CRON_FARGATE_RATES`: the price of one vCPU-hour and of one GB-hour,
    /// separated by a comma (for us-east-1 Linux/x86 in 2026: `0.04048,0.004445`). Unset: no price is
    /// estimated. Malformed: logged, and no price is estimated.
    init?(environment: [String: String], logger: Logger) {
        guard let text = environment["FARGATE_CRON_FARGATE_RATES"], !text.isEmpty else { return nil }
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let cpu = Decimal(string: parts[0], locale: Locale(identifier: "en_US_POSIX")),
            let memory = Decimal(string: parts[1], locale: Locale(identifier: "en_US_POSIX")), cpu >= 0, memory >= 0
        else {
            logger.error("FARGATE_CRON_FARGATE_RATES=\(text) is not VCPU_HOUR,GB_HOUR (two prices, e.g. 0.04048,0.004445): no price is estimated")
            return nil
        }
        self.init(perVCPUHour: cpu, perGBHour: memory)
    }
}
