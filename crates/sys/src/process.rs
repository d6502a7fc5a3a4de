//! Process-wide settings for the `nslab` binary.

/// Restore the default action for SIGPIPE, as command-line tools have:
/// `nslab plan | head` then ends quietly when `head` closes the pipe,
/// instead of Rust's ignored SIGPIPE turning the write error into a panic.
/// Call once, first thing in `main`, before any thread exists.
pub fn default_sigpipe() {
    // SAFETY: SIG_DFL is a valid disposition for SIGPIPE, no handler code
    // runs, and this is called before any other thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
