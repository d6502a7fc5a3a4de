#![deny(unsafe_code)]
//! The `nslab` binary: everything is in the library; see `nslab::cli`.

fn main() -> std::process::ExitCode {
    nslab_sys::process::default_sigpipe();
    nslab::cli::main()
}
