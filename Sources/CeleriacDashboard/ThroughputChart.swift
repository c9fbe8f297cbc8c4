import Celeriac
import Foundation

/// The throughput chart, drawn as SVG on the server: one bar per minute, successes in green
/// with failures stacked in red. Only numbers go into it, so nothing in it needs escaping.
struct ThroughputChart {
    var points: [CeleriacApp.ThroughputPoint]
    /// Minutes shown, ending with the current one.
    var minutes: Int = 60
    var width = 720
    var height = 160

    func svg(now: Date = Date()) -> String {
        let end = (now.timeIntervalSince1970 / 60).rounded(.down) * 60
        let start = end - Double(minutes - 1) * 60
        var byMinute: [Int: CeleriacApp.ThroughputPoint] = [:]
        for point in points {
            let index = Int(((point.minute.timeIntervalSince1970 - start) / 60).rounded())
            if (0..<minutes).contains(index) { byMinute[index] = point }
        }
        let peak = max(1, byMinute.values.map { $0.succeeded + $0.failed }.max() ?? 1)
        let plot = Double(height - 20)
        let barWidth = Double(width - 40) / Double(minutes)
        var bars = ""
        for index in 0..<minutes {
            guard let point = byMinute[index] else { continue }
            let x = 35 + Double(index) * barWidth
            let ok = plot * Double(point.succeeded) / Double(peak)
            let bad = plot * Double(point.failed) / Double(peak)
            let format = { (value: Double) in String(format: "%.1f", value) }
            bars +=
                "<rect class=\"ok\" x=\"\(format(x))\" y=\"\(format(plot - ok))\" width=\"\(format(barWidth * 0.8))\" height=\"\(format(ok))\"/>"
            if bad > 0 {
                bars +=
                    "<rect class=\"bad\" x=\"\(format(x))\" y=\"\(format(plot - ok - bad))\" width=\"\(format(barWidth * 0.8))\" height=\"\(format(bad))\"/>"
            }
        }
        return """
            <svg class="chart" xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" aria-label="tasks finished per minute">
            <text x="2" y="12">\(peak)</text><text x="2" y="\(height - 22)">0</text>
            <text x="35" y="\(height - 5)">-\(minutes) min</text><text x="\(width - 40)" y="\(height - 5)">now</text>
            \(bars)
            </svg>
            """
    }
}
