import Foundation

extension ErrorInfo {
    /// The error as a failed attempt stores it: type and message, and a traceback made of the
    /// Swift error chain (each error's full reflection, then the errors it wraps, innermost
    /// last) and where it happened (task, attempt, queue, worker). Swift records no stack for
    /// a thrown error, so the chain and the context are what there is to show.
    init(_ error: any Error, in task: ClaimedTask, worker: String) {
        self.init(error)
        guard !(error is TaskFailedError) else { return }
        var lines = ["Traceback (Swift error chain, innermost last):"]
        var seen = 0
        var current: (any Error)? = error
        while let next = current, seen < 8 {
            let prefix = seen == 0 ? "  " : "  caused by: "
            lines.append(prefix + "\(Swift.type(of: next)): " + String(reflecting: next))
            current = Self.underlying(next)
            seen += 1
        }
        lines.append(
            "  in task \(task.label), attempt \(task.attempt) (retries so far: \(task.retries)), queue \(task.queue), worker \(worker)")
        traceback = lines.joined(separator: "\n")
    }

    /// The error `error` wraps, when it says so: `NSUnderlyingErrorKey`, or a property named
    /// `underlying`, `underlyingError` or `cause` holding an error.
    private static func underlying(_ error: any Error) -> (any Error)? {
        let nsError = error as NSError
        if let inner = nsError.userInfo[NSUnderlyingErrorKey] as? any Error { return inner }
        for child in Mirror(reflecting: error).children {
            guard let label = child.label, ["underlying", "underlyingError", "cause"].contains(label) else { continue }
            if let inner = child.value as? any Error { return inner }
            if let optional = child.value as? (any Error)? { return optional }
        }
        return nil
    }
}
