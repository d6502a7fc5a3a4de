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

/// Raise the soft limit on open files to the hard limit: a lab holds a
/// namespace fd and a netlink socket per node, and the soft limit is
/// often 1024 (a 5000-node lab needs over 10000). nslab uses no
/// `select(2)`, the reason the soft limit is low by default.
pub fn raise_open_files_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            // Keeps the soft limit if refused: only large labs need more.
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// From now on, SIGINT (Ctrl-C) and SIGTERM only set a flag that
/// [`interrupted`] reads, so a long run can clean up before it ends. They
/// stay caught: a second Ctrl-C does not cut the clean-up short (SIGKILL
/// ends the process at once, leaving what `down` removes).
pub fn catch_interrupts() -> std::io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is a valid value to fill in; the
        // handler only stores to an atomic (async-signal-safe), and the
        // struct lives across the call.
        let r = unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_interrupt as *const () as usize;
            act.sa_flags = 0;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut())
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}
