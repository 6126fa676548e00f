import FargateExecutor
import Foundation
import Logging
import Testing

@testable import Daemon

/// `FARGATE_CRON_FARGATE_RATES=VCPU_HOUR,GB_HOUR`: read exactly, or no price at all.
struct FargateRatesEnvironmentTests {
    let logger = Logger(label: "rates-test") { _ in SwiftLogNoOpLogHandler() }

    @Test func twoPricesAreReadExactly() throws {
        let rates = try #require(FargateRates(environment: ["FARGATE_CRON_FARGATE_RATES": "0.04048, 0.004445"], logger: logger))
        #expect(rates.perVCPUHour == Decimal(string: "0.04048", locale: Locale(identifier: "en_US_POSIX")))
        #expect(rates.perGBHour == Decimal(string: "0.004445", locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test(arguments: ["", "0.04048", "0.04048,", "a,b", "0.04048,0.004445,1", "-1,0.004445"])
    func anythingElseGivesNoRates(_ text: String) {
        #expect(FargateRates(environment: ["FARGATE_CRON_FARGATE_RATES": text], logger: logger) == nil)
    }

    @Test func unsetGivesNoRates() {
        #expect(FargateRates(environment: [:], logger: logger) == nil)
    }
}
