#![deny(unsafe_code)]
//! The `nslab` binary: everything is in the library; see `nslab::run_cli`.

fn main() -> std::process::ExitCode {
    // The responder writes to sockets peers may close at any time: it keeps
    // SIGPIPE ignored (an error, not a signal). Everything else ends
    // quietly when its output pipe closes.
    if std::env::args_os().nth(1).is_none_or(|a| a != "__serve") {
        nslab_sys::process::default_sigpipe();
    }
    nslab_sys::process::raise_open_files_limit();
    nslab::run_cli()
}
