extension Duration {
    /// The duration in (fractional) seconds.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }

    /// A duration from fractional seconds, saturating at ±1e9 s (about 31 years); NaN is zero.
    public static func fromSeconds(_ value: Double) -> Duration {
        guard !value.isNaN else { return .zero }
        let clamped = min(max(value, -1e9), 1e9)
        return .nanoseconds(Int64((clamped * 1e9).rounded()))
    }
}
