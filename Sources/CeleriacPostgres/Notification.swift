/// A message received through `LISTEN`.
public struct Notification: Sendable, Hashable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload (empty when none was sent).
    public var payload: String
    /// The process id of the sending backend.
    public var senderPID: Int32

    public init(channel: String, payload: String, senderPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}
