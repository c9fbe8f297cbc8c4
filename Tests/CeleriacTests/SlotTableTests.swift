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
        #expect(slots.deliver(done, slot: first).kept)
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
        #expect(!slots.deliver(Self.completion(id), slot: slot).kept)
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

    @Test func thePoolGrowsAndShrinksFreeSlotsAtOnceAndBusyOnesWhenTheyFree() {
        let slots = SlotTable(concurrency: 2)
        #expect(slots.grow(by: 2) == [3, 4])
        #expect(slots.capacity == 4 && slots.snapshot.free == 4)
        let busy = (0..<3).map { _ in slots.occupy() }
        // One slot is free: it goes now, the second when a task ends.
        #expect(slots.shrink(by: 2).count == 1)
        #expect(slots.capacity == 2 && slots.snapshot.free == 0)
        let first = slots.deliver(Self.completion(), slot: busy[0])
        #expect(first.kept && first.retiredSlot == busy[0])
        #expect(slots.snapshot.free == 0)
        #expect(slots.deliver(Self.completion(), slot: busy[1]).retiredSlot == nil)
        #expect(slots.snapshot.free == 1)
        // Never below one slot.
        #expect(slots.shrink(by: 10).count == 1)
        #expect(slots.capacity == 1)
        // Growing takes back a pending retirement before adding slots.
        #expect(slots.grow(by: 1) == [5])
        let last = [slots.occupy(), slots.occupy()]
        #expect(slots.shrink(by: 1).isEmpty)
        #expect(slots.grow(by: 1).isEmpty)
        #expect(slots.capacity == 2)
        #expect(slots.deliver(Self.completion(), slot: last[0]).retiredSlot == nil)
    }

    @Test func aRevokeStopsATaskOnceAndATerminateOnceMore() {
        let slots = SlotTable(concurrency: 1)
        let id = UUID()
        _ = slots.occupy()
        slots.started(id, handle: Task {})
        #expect(slots.revoke([id], reason: "r").count == 1)
        #expect(slots.revoke([id], reason: "again").isEmpty)
        #expect(slots.revoke([id], reason: "kill", terminate: true).count == 1)
        #expect(slots.revoke([id], reason: "kill", terminate: true).isEmpty)
    }
}

/// Claimed tasks waiting for a slot (the prefetch window).
@Suite struct SlotTableWaitingTests {
    static func task(_ id: UUID = UUID()) -> ClaimedTask { ClaimedTask(id: id, name: "tasks.add", queue: "celery") }

    @Test func waitingTasksTakeFreedSlotsInClaimOrder() {
        let slots = SlotTable(concurrency: 1)
        let (first, second, third) = (Self.task(), Self.task(), Self.task())
        slots.wait([first, second])
        slots.wait([third])
        let running = slots.nextWaiting()
        #expect(running?.task.id == first.id)
        #expect(slots.nextWaiting() == nil)
        #expect(slots.snapshot.waiting == 2 && slots.snapshot.running == 1)
        // Held while waiting: their leases are renewed and a give-back keeps them.
        #expect(Set(slots.heldIDs) == [second.id, third.id])
        slots.deliver(Completion(first, .succeeded, payload: "1", runtime: 0), slot: running?.slot)
        #expect(slots.nextWaiting()?.task.id == second.id)
    }

    @Test func aRevokedWaitingTaskNeverRunsAndEndsRevoked() {
        let slots = SlotTable(concurrency: 1)
        let (waiting, other) = (Self.task(), Self.task())
        _ = slots.occupy()
        slots.wait([waiting, other])
        let stopping = slots.revoke([waiting.id], reason: "revoked by the test")
        #expect(stopping.isEmpty)
        let (outcomes, state) = slots.take()
        #expect(outcomes.map(\.id) == [waiting.id])
        #expect(outcomes.first?.outcome == .revoked)
        #expect(outcomes.first?.payload.contains("revoked by the test") == true)
        #expect(state.waiting == 1)
    }

    @Test func aStopLeavesWaitingTasksToBeGivenBack() {
        let slots = SlotTable(concurrency: 2)
        let task = Self.task()
        slots.wait([task])
        slots.requestStop(.warm)
        #expect(slots.nextWaiting() == nil)
        #expect(slots.dropWaiting().map(\.id) == [task.id])
        #expect(slots.heldIDs.isEmpty)
        // Leases lost: running tasks are abandoned and waiting ones forgotten.
        let lost = SlotTable(concurrency: 1)
        lost.wait([Self.task()])
        _ = lost.abandonAll()
        #expect(lost.heldIDs.isEmpty)
    }
}
