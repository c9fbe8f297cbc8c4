import Foundation
import Tracing

/// Distributed tracing through swift-distributed-tracing, with whatever tracer the process
/// bootstrapped (swift-otel, or `withTracer` in a test; none costs next to nothing):
///
/// - **Producers** write the trace context active when a task is sent (the web request's span,
///   say) into the task row's options, `"trace": {"traceparent": …, "tracestate": …}` for
///   W3C propagation, as the tracer's instrument injects it.
/// - **Workers** run each task attempt inside a span named after the task, of kind
///   `consumer`, child of the span that sent it, with the task's id, queue and attempt as
///   attributes. A failure is recorded on the span. Tasks sent from inside a task carry the
///   task's span on, so a chain or a fan-out stays one trace.
enum TaskTracing {
    /// The trace context to carry in a task sent now, or nil when there is none.
    static func currentCarrier() -> [String: String]? {
        guard let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier.isEmpty ? nil : carrier
    }

    /// Runs one attempt of a task inside its span.
    static func run(
        task name: String, id: UUID, queue: String, attempt: Int, carrier: [String: String]?,
        _ body: () async throws -> String
    ) async throws -> String {
        var parent = ServiceContext.topLevel
        if let carrier { InstrumentationSystem.instrument.extract(carrier, into: &parent, using: DictionaryExtractor()) }
        return try await withSpan(name, context: parent, ofKind: .consumer) { span in
            span.attributes["messaging.system"] = "celeriac"
            span.attributes["messaging.operation.type"] = "process"
            span.attributes["messaging.destination.name"] = queue
            span.attributes["messaging.message.id"] = id.celeryString
            span.attributes["celeriac.task.name"] = name
            span.attributes["celeriac.task.attempt"] = attempt
            return try await body()
        }
    }
}

/// Writes trace headers into a task row's `trace` object.
struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

/// Reads trace headers from a task row's `trace` object.
struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
