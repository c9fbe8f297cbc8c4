import Foundation
import Testing

@testable import Celeriac

/// The options and chain columns: one encoder and decoder each.
@Suite struct TaskRowOptionsTests {
    @Test func optionsRoundTripWithOnlyTheKeysSet() {
        #expect(TaskRowOptions().json == "{}")
        let all = TaskRowOptions(acksLate: true, maxRetries: 5, timeLimit: 30, softTimeLimit: 25.5, periodicTask: "nightly \"x\"")
        #expect(all.json == #"{"acks_late":true,"max_retries":5,"time_limit":30.0,"soft_time_limit":25.5,"periodic_task":"nightly \"x\""}"#)
        #expect(TaskRowOptions(json: all.json) == all)
        #expect(TaskRowOptions(json: #"{"max_retries":3}"#) == TaskRowOptions(maxRetries: 3))
    }

    @Test func optionsOfTheWrongTypeAreIgnoredNotFatal() {
        let odd = TaskRowOptions(json: #"{"acks_late":"yes","max_retries":-1,"time_limit":"x","extra":[1]}"#)
        #expect(odd == TaskRowOptions())
        #expect(TaskRowOptions(json: "not json") == TaskRowOptions())
        #expect(TaskRowOptions(json: "[1,2]") == TaskRowOptions())
        #expect(TaskRowOptions(json: #"{"max_retries":2.5}"#).maxRetries == nil)
    }

    @Test func aChainStepCarriesItsRowAsTheSQLExpectsIt() throws {
        var message = TaskMessage(
            id: UUID.v7(), name: "tasks.add", args: "[1]", kwargs: "{}", queue: "math", priority: 7, countdown: nil, eta: nil,
            expires: nil, maxRetries: nil)
        message.options = TaskRowOptions(acksLate: true, maxRetries: 2)
        let column = try ChainStepRecord.column([ChainStepRecord(message: message, immutable: true)])
        let steps = try #require(try JSONSerialization.jsonObject(with: Data(column.utf8)) as? [[String: Any]])
        #expect(steps.count == 1)
        #expect(steps[0]["id"] as? String == message.id.celeryString)
        #expect(steps[0]["task"] as? String == "tasks.add")
        #expect(steps[0]["args"] as? [Int] == [1])
        #expect(steps[0]["queue"] as? String == "math")
        #expect(steps[0]["priority"] as? Int == 7)
        #expect(steps[0]["immutable"] as? Bool == true)
        #expect((steps[0]["options"] as? [String: Any])?["acks_late"] as? Bool == true)
    }
}
