import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A self-pipe: any thread may `signal()` it to wake a thread blocked in `poll()` on
/// ``readDescriptor`` at once. Signals coalesce: many calls cause one wake-up.
///
/// `@unchecked Sendable`: the descriptors are fixed after init and `write`/`read` on a
/// pipe are thread-safe system calls.
public final class WakeupPipe: @unchecked Sendable {
    /// The end to watch for `POLLIN`.
    public let readDescriptor: Int32
    private let writeDescriptor: Int32

    public init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PostgresError(code: .unexpectedResult, message: "pipe() failed: errno \(errno)")
        }
        readDescriptor = fds[0]
        writeDescriptor = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Wakes the waiting thread (async-signal-safe).
    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Blocks until ``signal()`` is called or `timeout` passes; returns whether it was signalled.
    @discardableResult
    public func wait(timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
        let ready = poll(&descriptor, 1, milliseconds)
        guard ready > 0, descriptor.revents != 0 else { return false }
        drain()
        return true
    }

    /// Empties the pipe after a wake-up.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}
