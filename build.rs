//! Copies the README's Rust block out of README.md, as a block expression,
//! for `tests/readme.rs`: it is compiled with the tests and run there in a
//! sandbox, so the README's example cannot drift from the library.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=README.md");
    let readme = std::fs::read_to_string("README.md").unwrap_or_default();
    let block = readme
        .split("\n```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next());
    let code = match block {
        Some(b) => format!("{{\n{b}\n}}\n"),
        None => "compile_error!(\"README.md has no ```rust block\")\n".to_string(),
    };
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return;
    };
    if let Err(e) = std::fs::write(Path::new(&out).join("readme_rust.rs"), code) {
        println!("cargo:warning=cannot write the README's Rust block: {e}");
    }
}
