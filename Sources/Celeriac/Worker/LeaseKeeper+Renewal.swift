import CeleriacPostgres
import Foundation
import Logging

extension LeaseKeeper {
    /// Renews the leases of the tasks `held` (running, or with an outcome not written yet) with
    /// `tasks.renew_leases`. A running task whose lease
    /// was not renewed was rescued while this worker was slow: it now runs elsewhere, so it is
    /// stopped here (its outcome would be refused anyway).
    /// Returns the running tasks found revoked (revocations), with their reasons: the control
    /// message may have been missed.
    @discardableResult
    mutating func renew(
        on connection: Connection,
        sql: SchemaSQL,
        owner: String,
        held: [UUID],
        sendEvents: Bool,
        slots: SlotTable,
        observers: Observers,
        now: Instant
    ) throws -> [(id: UUID, reason: String, terminate: Bool)] {
        let running = slots.runningIDs
        let load = slots.snapshot
        let statement = SQL.Tasks.RenewLeases(
            owner: owner, held: held, leaseSeconds: lease.seconds, events: sendEvents, eventsChannel: sql.topics.events,
            running: load.running, concurrency: load.running + load.free)
        let row = try connection.row(statement, in: sql)
        let renewedIDs = row?.renewed ?? []
        let revoked = zip(zip(row?.revoked ?? [], row?.reasons ?? []), row?.terminate ?? []).map {
            (id: $0.0, reason: $0.1, terminate: $1 == "true")
        }
        renewed(now: now)
        guard !running.isEmpty else { return revoked }
        let lost = slots.abandon(Self.lost(runningBefore: running, renewed: Set(renewedIDs)))
        guard !lost.isEmpty else { return revoked }
        Logger(label: "MainProcess").warning(
            "consumer: \(lost.count) running task(s) lost their lease to a rescue: cancelling them here")
        for (id, handle) in lost {
            observers.emit(LifecycleEvent(kind: .leaseLost, worker: owner, taskID: id))
            handle.cancel()
        }
        return revoked
    }

    /// The leases lapsed (no renewal for a whole lease): the tasks have been or will be
    /// rescued elsewhere, so every running task is stopped here.
    func stopAll(_ slots: SlotTable, observers: Observers, owner: String) {
        let handles = slots.abandonAll()
        guard !handles.isEmpty else { return }
        Logger(label: "MainProcess").error(
            "consumer: leases not renewed for \(TaskRunner.format(lease.seconds))s: cancelling \(handles.count) running task(s)")
        observers.emit(LifecycleEvent(kind: .leaseLost, worker: owner, count: handles.count))
        handles.forEach { $0.cancel() }
    }
}
