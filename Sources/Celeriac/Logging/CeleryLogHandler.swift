import Foundation
import Logging
import Synchronization

/// A swift-log handler printing Celery's line format to standard error:
/// `[2026-01-30 20:30:26,956: INFO/MainProcess] message`.
///
/// The logger's label is the "process" part (`MainProcess`, `AsyncPoolWorker-2`).
/// Metadata values whose key contains "password" or "secret" are never printed.
public struct CeleryLogHandler: LogHandler {
    /// The label printed after the level.
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = Self.line(
            timestamp: Self.timestamp(), level: event.level, label: label, message: "\(event.message)",
            metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        Self.output.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// The metadata a task's own logger carries (``TaskContext/logger``): the task's id,
    /// name and attempt and the worker's node name, for any swift-log backend.
    static let taskKeys: Set<String> = ["task_id", "task_name", "task_attempt", "worker"]

    /// One line: `[time: LEVEL/label] message key=value…`. A task's own logger prints as
    /// Celery's task logger does, `[time: LEVEL/label] name[id]: message`, its task metadata
    /// said once there rather than repeated after the message.
    static func line(
        timestamp: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        var line = "[\(timestamp): \(name(of: level))/\(label)] "
        var rest = metadata
        if case .string(let task)? = metadata["task_name"], case .string(let id)? = metadata["task_id"] {
            line += "\(task)[\(id)]: "
            for key in taskKeys { rest[key] = nil }
        }
        line += message
        if !rest.isEmpty {
            let rendered = rest.sorted { $0.key < $1.key }.map { key, value in
                let lowered = key.lowercased()
                let safe = lowered.contains("password") || lowered.contains("secret") ? "**" : "\(value)"
                return "\(key)=\(safe)"
            }
            line += " " + rendered.joined(separator: " ")
        }
        return line
    }

    /// Celery's level names.
    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    private static let output = Mutex(())

    /// `2026-01-30 20:30:26,956` in local time.
    public static func timestamp(_ date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        let milliseconds = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d,%03d",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds
        )
    }

    /// Parses `--loglevel` values (`INFO`, `debug`, `warning`…).
    public static func level(named name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "trace": .trace
        case "debug": .debug
        case "info": .info
        case "notice": .notice
        case "warning", "warn": .warning
        case "error": .error
        case "critical", "fatal": .critical
        default: nil
        }
    }
}
