import CLibPQ
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Connection {
    /// Starts listening on `channel`; remembered and renewed after a reconnect.
    /// - Throws: behind a transaction pooler, where notifications would reach whichever client
    ///   holds the server connection next: LISTEN needs a direct connection.
    public func listen(_ channel: String) throws {
        guard !url.pooled else {
            throw PostgresError(
                code: .unexpectedResult,
                message: "LISTEN needs a direct connection, not one through a transaction pooler (\(url.masked))",
                queryName: "listen")
        }
        try execute("LISTEN \(Self.quoteIdentifier(channel))")
        if !channels.contains(channel) { channels.append(channel) }
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) throws {
        channels.removeAll { $0 == channel }
        try execute("UNLISTEN \(Self.quoteIdentifier(channel))")
    }

    /// The channels this connection listens on.
    public var listeningChannels: [String] { channels }

    /// Notifications that have already arrived, reading any bytes waiting on the socket.
    public func drainNotifications() throws -> [Notification] {
        let handle = try liveHandle(name: "notifications")
        guard PQconsumeInput(handle) == 1 else { throw connectionError(name: "notifications") }
        var received: [Notification] = []
        while let notify = PQnotifies(handle) {
            let channel = notify.pointee.relname.map { String(cString: $0) } ?? ""
            let payload = notify.pointee.extra.map { String(cString: $0) } ?? ""
            received.append(Notification(channel: channel, payload: payload, senderPID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    /// Why ``wait(timeout:wakeup:)`` returned.
    public struct WaitOutcome {
        /// Notifications received (possibly empty).
        public var notifications: [Notification]
        /// Whether the wake-up pipe was signalled.
        public var woken: Bool
    }

    /// Blocks until a notification arrives, `wakeup` is signalled, or `timeout` passes.
    /// Notifications already buffered are returned without waiting.
    public func wait(timeout: Duration?, wakeup: WakeupPipe? = nil) throws -> WaitOutcome {
        var notifications = try drainNotifications()
        if !notifications.isEmpty { return WaitOutcome(notifications: notifications, woken: false) }
        guard let handle else { throw connectionError(name: "wait") }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw connectionError(name: "wait") }
        var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if let wakeup { descriptors.append(pollfd(fd: wakeup.readDescriptor, events: Int16(POLLIN), revents: 0)) }
        let milliseconds: Int32
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            milliseconds = Int32(clamping: max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
        } else {
            milliseconds = -1
        }
        let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        if ready < 0 && errno != EINTR {
            throw PostgresError(code: .unexpectedResult, message: "poll() failed: errno \(errno)")
        }
        var woken = false
        if descriptors.count > 1, descriptors[1].revents != 0 {
            wakeup?.drain()
            woken = true
        }
        if descriptors[0].revents != 0 {
            notifications = try drainNotifications()
        }
        return WaitOutcome(notifications: notifications, woken: woken)
    }
}
