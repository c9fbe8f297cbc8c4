import CeleriacPostgres

/// The NOTIFY channels of one schema, and what their messages mean: the one place that names
/// them.
///
/// SQL functions name the same channels with `topic_channel(topic)` (sql/repeatable/topics.sql).
/// A channel is `<schema>.<topic>`: schema names have at most 48 characters, so every channel
/// stays under PostgreSQL's 63-byte limit (longer names are silently truncated).
package struct Topics: Sendable, Hashable {
    /// Wake-up: a task is due in the queue named by the payload.
    package let wakeup: String
    /// The beat schedule changed (empty payload).
    package let schedules: String
    /// Control messages: the payload is `<worker id or *> <body>`.
    package let control: String
    /// Task and worker events, announced once per batch.
    package let events: String
    /// Workers' answers to control messages that ask for one (`ping`): a JSON payload.
    package let replies: String

    package init(schema: String) {
        wakeup = "\(schema).tasks"
        schedules = "\(schema).schedules"
        control = "\(schema).control"
        events = "\(schema).events"
        replies = "\(schema).replies"
    }

    /// What a notification on one of these channels says, or nil for another channel.
    package func message(_ notification: Notification) -> TopicMessage? {
        switch notification.channel {
        case wakeup:
            return .wakeup(queue: notification.payload)
        case schedules:
            return .schedulesChanged
        case control:
            let parts = notification.payload.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard let target = parts.first, !target.isEmpty else { return nil }
            let body = parts.count > 1 ? String(parts[1]) : ""
            return .control(target == "*" ? .all : .worker(String(target)), body: body)
        case events:
            return .events(payload: notification.payload)
        case replies:
            return .reply(payload: notification.payload)
        default:
            return nil
        }
    }

    /// The payload of a control message for `target`.
    package static func controlPayload(_ target: TopicMessage.Target, body: String) -> String {
        switch target {
        case .all: return "* " + body
        case .worker(let id): return id + " " + body
        }
    }
}

/// A notification read through ``Topics``.
package enum TopicMessage: Sendable, Hashable {
    /// Who a control message is for.
    package enum Target: Sendable, Hashable {
        /// Every worker.
        case all
        /// One worker, by its instance id (`<node name>/<pid>.<random>`) or its node name.
        case worker(String)

        /// Whether a worker with instance id `id` should act on it.
        package func includes(_ id: String) -> Bool {
            switch self {
            case .all: return true
            case .worker(let target): return target == id || id.hasPrefix(target + "/")
            }
        }
    }

    /// A task is due in `queue`.
    case wakeup(queue: String)
    /// The beat schedule changed.
    case schedulesChanged
    /// A control message (its body is defined by the control plane).
    case control(Target, body: String)
    /// An events announcement.
    case events(payload: String)
    /// A worker's answer to a control message.
    case reply(payload: String)
}
