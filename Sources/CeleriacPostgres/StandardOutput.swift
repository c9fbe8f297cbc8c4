import CLibPQ

/// Process-wide output settings that need C's `stdout`.
package enum StandardOutput {
    /// Flushes standard output at every newline, so task output and log lines keep their
    /// order when stdout is a pipe or a file (as under `make demo` or a process manager).
    package static func useLineBuffering() {
        celeriac_line_buffer_stdout()
    }
}
