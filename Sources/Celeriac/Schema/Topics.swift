/// The NOTIFY channels of one schema: the one place that names them.
///
/// SQL functions name the same channels with `topic_channel(topic)` (sql/repeatable/topics.sql).
/// A channel is `<schema>.<topic>`: schema names have at most 48 characters, so every channel
/// stays under PostgreSQL's 63-byte limit (longer names are silently truncated).
package struct Topics: Sendable, Hashable {
    /// Wake-up: a task is due in the queue named by the payload.
    package let wakeup: String
    /// The beat schedule changed (empty payload).
    package let schedules: String
    /// Control messages: the payload names the worker it is for, or `*` for all.
    package let control: String
    /// Task and worker events, announced once per batch.
    package let events: String

    package init(schema: String) {
        wakeup = "\(schema).tasks"
        schedules = "\(schema).schedules"
        control = "\(schema).control"
        events = "\(schema).events"
    }
}
