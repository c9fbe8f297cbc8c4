import Foundation
import Testing

@testable import Celeriac

/// The slot table: slots, outcomes, abandoned tasks and stop requests, with no database.
@Suite struct SlotTableTests {
    static func completion(_ id: UUID = UUID()) -> Completion {
        Completion(ClaimedTask(id: id, name: "tasks.add", queue: "celery"), .succeeded, payload: "1", runtime: 0)
    }

    @Test func slotsAreTakenAndReturnedWithTheirOutcomes() {
        let slots = SlotTable(concurrency: 2)
        let first = slots.occupy()
        let second = slots.occupy()
        #expect(Set([first, second]) == [1, 2])
        #expect(slots.take().1.free == 0)
        let done = Self.completion()
        #expect(slots.deliver(done, slot: first))
        let (taken, state) = slots.take()
        #expect(taken.map(\.id) == [done.id])
        #expect(state.free == 1 && state.running == 1)
        #expect(slots.take().0.isEmpty)
    }

    @Test func anAbandonedTasksOutcomeIsDroppedAndItsHandleCancelled() async {
        let slots = SlotTable(concurrency: 2)
        let id = UUID()
        let slot = slots.occupy()
        let handle = Task<Void, Never> { try? await Task.sleep(for: .seconds(60)) }
        slots.started(id, handle: handle)
        #expect(slots.runningIDs == [id])
        let cancelled = slots.abandon([id, UUID()])
        #expect(cancelled.count == 1)
        #expect(Array(cancelled.keys) == [id])
        cancelled.values.forEach { $0.cancel() }
        await handle.value
        #expect(!slots.deliver(Self.completion(id), slot: slot))
        let (taken, state) = slots.take()
        #expect(taken.isEmpty)
        #expect(state.free == 2 && state.running == 0)
    }

    @Test func aTaskFinishingBeforeItsHandleIsRecordedIsNotKeptAsRunning() {
        let slots = SlotTable(concurrency: 1)
        let id = UUID()
        let slot = slots.occupy()
        slots.deliver(Self.completion(id), slot: slot)
        slots.started(id, handle: Task {})
        #expect(slots.runningIDs.isEmpty)
        #expect(slots.heldIDs == [id])
    }

    @Test func aStrongerStopReplacesAWeakerOne() {
        let slots = SlotTable(concurrency: 1)
        let asked = ContinuousClock.now
        #expect(slots.requestStop(.warm, now: asked))
        #expect(!slots.requestStop(.warm, now: asked + .seconds(1)))
        #expect(slots.requestStop(.cold, now: asked + .seconds(2)))
        let state = slots.take().1
        #expect(state.stop == .cold)
        #expect(state.stopRequestedAt == asked)
    }
}
