import CeleriacPostgres
import Foundation

extension TaskMessage {
    /// Inserts this task on `connection` with the statement of `tasks.sql` that fits it:
    /// `insert_one_simple` for the usual call, `insert_one_now` for a task due at once,
    /// `insert_one` otherwise.
    /// A unique task (``Uniqueness``) is inserted only if its key is free; in the same round
    /// trip the holder of its key is read, and its id is returned.
    /// - Parameter inTransaction: the caller's transaction may commit long after the insert,
    ///   so the task's queue is notified whether or not a worker waits now.
    /// - Returns: the task's id: this message's, or the holder's of its unique key.
    @discardableResult
    func insert(on connection: Connection, sql: SchemaSQL, inTransaction: Bool) throws -> UUID {
        let channel = sql.topics.wakeup
        let options = self.options.json
        // A unique task's statement goes with the read of its key's holder, in one round trip.
        func send<Statement: SQLStatement>(_ statement: Statement) throws -> UUID {
            guard self.options.unique != nil else {
                try connection.run(statement, in: sql)
                return id
            }
            let holders = SQL.UniqueKeys.Holders(names: [name], args: [args], kwargs: [kwargs], options: [options])
            let results = try connection.pipeline([sql.bind(statement), sql.bind(holders)])
            guard results.count == 2 else {
                throw PostgresError(code: .unexpectedResult, message: "pipeline returned \(results.count) results, expected 2")
            }
            let rows = try SQL.UniqueKeys.Holders.Row.decode(results[1], query: SQL.UniqueKeys.Holders.query)
            return rows.first?.taskId ?? id
        }
        if isSimple {
            return try send(
                SQL.Tasks.InsertOneSimple(
                    id: id, name: name, queue: queue, priority: priority, args: args, kwargs: kwargs, options: options,
                    channel: channel, notifyAlways: inTransaction))
        } else if isDueNow {
            return try send(
                SQL.Tasks.InsertOneNow(
                    id: id, name: name, queue: queue, priority: priority, args: args, kwargs: kwargs, options: options,
                    chain: chain, expires: expires?.timeIntervalSince1970, maxRetries: maxRetries, parentId: parentID,
                    rootId: rootID, channel: channel, notifyAlways: inTransaction))
        } else {
            return try send(
                SQL.Tasks.InsertOne(
                    id: id, name: name, queue: queue, priority: priority, args: args, kwargs: kwargs, options: options,
                    chain: chain, eta: eta?.timeIntervalSince1970, countdown: countdown?.seconds,
                    expires: expires?.timeIntervalSince1970, maxRetries: maxRetries, parentId: parentID, rootId: rootID,
                    channel: channel, notifyAlways: inTransaction))
        }
    }

    /// Inserts `messages` with one statement: `insert_many_simple` when every one is simple,
    /// else `insert_many`. Workers of each queue with a task due now are woken once.
    /// Returns the tasks' ids in order: for unique tasks whose key is held, the holders'.
    @discardableResult
    static func insert(_ messages: [TaskMessage], on connection: Connection, sql: SchemaSQL) throws -> [UUID] {
        var due: [String] = []
        for message in messages where message.isDueNow && !due.contains(message.queue) { due.append(message.queue) }
        let ids = messages.map(\.id)
        func column(_ value: (TaskMessage) -> String?) -> SQLArray { SQLArray.column(messages, value) }
        let (names, queues, priorities) = (column { $0.name }, column { $0.queue }, column { String($0.priority) })
        // Each row's options as JSON once: comparing rows builds it otherwise several times.
        let options = SQLArray.column(messages.map(\.options.json)) { $0 }
        let (args, kwargs) = (column { $0.args }, column { $0.kwargs })
        if messages.allSatisfy(\.isSimple) {
            try connection.run(
                SQL.Tasks.InsertManySimple(
                    ids: ids, names: names, queues: queues, priorities: priorities, args: args, kwargs: kwargs,
                    options: options, channel: sql.topics.wakeup, wake: due),
                in: sql)
        } else {
            try connection.run(
                SQL.Tasks.InsertMany(
                    ids: ids, names: names, queues: queues, priorities: priorities, args: args, kwargs: kwargs,
                    options: options, chains: column { $0.chain },
                    etas: column { $0.eta.map { String($0.timeIntervalSince1970) } },
                    countdowns: column { $0.countdown.map { String($0.seconds) } },
                    expires: column { $0.expires.map { String($0.timeIntervalSince1970) } },
                    maxRetries: column { $0.maxRetries.map(String.init) }, parentIds: column { $0.parentID?.celeryString },
                    rootIds: column { $0.rootID?.celeryString }, channel: sql.topics.wakeup, wake: due),
                in: sql)
        }
        guard messages.contains(where: { $0.options.unique != nil }) else { return ids }
        // The holders of the unique ones' keys (in the same transaction, after the insert).
        let unique = messages.filter { $0.options.unique != nil }
        let holders = try connection.rows(
            SQL.UniqueKeys.Holders(
                names: unique.map(\.name), args: unique.map(\.args), kwargs: unique.map(\.kwargs),
                options: unique.map(\.options.json)),
            in: sql)
        var holder: [UUID: UUID] = [:]
        for (message, row) in zip(unique, holders) { holder[message.id] = row.taskId }
        return messages.map { holder[$0.id] ?? $0.id }
    }
}
