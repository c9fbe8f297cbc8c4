import CeleriacPostgres
import Foundation

extension TaskMessage {
    /// Inserts this task on `connection` with the statement of `tasks.sql` that fits it:
    /// `insert_one_simple` for the usual call, `insert_one_now` for a task due at once,
    /// `insert_one` otherwise.
    /// - Parameter inTransaction: the caller's transaction may commit long after the insert,
    ///   so the task's queue is notified whether or not a worker waits now.
    func insert(on connection: Connection, sql: SchemaSQL, inTransaction: Bool) throws {
        let channel = sql.topics.wakeup
        let options = self.options.json
        if isSimple {
            try connection.run(
                SQL.Tasks.InsertOneSimple(
                    id: id, name: name, queue: queue, priority: priority, args: args, kwargs: kwargs, options: options,
                    channel: channel, notifyAlways: inTransaction),
                in: sql)
        } else if isDueNow {
            try connection.run(
                SQL.Tasks.InsertOneNow(
                    id: id, name: name, queue: queue, priority: priority, args: args, kwargs: kwargs, options: options,
                    chain: chain, expires: expires?.timeIntervalSince1970, maxRetries: maxRetries, parentId: parentID,
                    rootId: rootID, channel: channel, notifyAlways: inTransaction),
                in: sql)
        } else {
            try connection.run(
                SQL.Tasks.InsertOne(
                    id: id, name: name, queue: queue, priority: priority, args: args, kwargs: kwargs, options: options,
                    chain: chain, eta: eta?.timeIntervalSince1970, countdown: countdown?.seconds,
                    expires: expires?.timeIntervalSince1970, maxRetries: maxRetries, parentId: parentID, rootId: rootID,
                    channel: channel, notifyAlways: inTransaction),
                in: sql)
        }
    }

    /// Inserts `messages` with one statement: `insert_many_simple` when every one is simple,
    /// else `insert_many`. Workers of each queue with a task due now are woken once.
    static func insert(_ messages: [TaskMessage], on connection: Connection, sql: SchemaSQL) throws {
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
            return
        }
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
}
