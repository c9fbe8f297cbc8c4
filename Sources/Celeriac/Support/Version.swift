/// Celeriac's version, shown in banners and stored in the worker registry.
public enum CeleriacVersion {
    /// Semantic version of this build.
    public static let string = "0.1.0"
}
