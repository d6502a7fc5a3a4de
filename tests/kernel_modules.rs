//! `validate` and `plan` warn, before `up` fails, about each kernel
//! module a file needs that the kernel has neither loaded, built in nor
//! installed; the exit status stays what it was. The kernel's files are
//! faked under `NSLAB_MODULES_ROOT` (nothing here touches the kernel).

mod common;

use common::{example_files, examples, nslab_bin};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fake modules root: release 6.1.0-test, `loaded` in /proc/modules,
/// `installed` in modules.dep, nothing built in. Removed when dropped.
struct Root(PathBuf);

impl Root {
    fn new(tag: &str, loaded: &[&str], installed: &[&str]) -> Root {
        let root = std::env::temp_dir().join(format!("nslab-modroot-{tag}-{}", std::process::id()));
        let dir = root.join("lib/modules/6.1.0-test");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::create_dir_all(root.join("proc/sys/kernel")).expect("mkdir");
        std::fs::write(root.join("proc/sys/kernel/osrelease"), "6.1.0-test\n").expect("write");
        let proc_modules: String = loaded
            .iter()
            .map(|m| format!("{m} 16384 0 - Live 0x0\n"))
            .collect();
        std::fs::write(root.join("proc/modules"), proc_modules).expect("write");
        std::fs::write(dir.join("modules.builtin"), "").expect("write");
        let dep: String = installed
            .iter()
            .map(|m| format!("kernel/net/{m}/{m}.ko.zst:\n"))
            .collect();
        std::fs::write(dir.join("modules.dep"), dep).expect("write");
        Root(root)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Exit status and stderr of `nslab ARGS` with the modules of `root`.
fn run(root: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(nslab_bin())
        .args(args)
        .env("NSLAB_MODULES_ROOT", root)
        .output()
        .expect("run nslab");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The README's examples table: each example file with the kernel modules
/// its last column names.
fn readme_table() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in readme.lines() {
        if line.starts_with("| file | what | kernel modules |") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let file = cells[0].trim_matches('`').to_string();
        let modules = cells[cells.len() - 1]
            .split(", ")
            .map(|m| m.trim_matches('`').to_string())
            .filter(|m| m != "—")
            .collect();
        rows.push((file, modules));
    }
    rows
}

/// The modules the warnings of `stderr` name.
fn warned(stderr: &str) -> Vec<String> {
    let mut out: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .filter_map(|l| l.split("kernel module ").nth(1))
        .filter_map(|rest| rest.split(',').next())
        .map(str::to_string)
        .collect();
    out.sort();
    out
}

#[test]
fn the_readme_names_every_examples_modules() {
    let table = readme_table();
    let mut files: Vec<String> = std::fs::read_dir(examples())
        .expect("examples/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = table.iter().map(|(f, _)| f.clone()).collect();
    listed.sort();
    assert_eq!(
        listed, files,
        "the README's examples table lists every example"
    );
    // Nothing loaded, built in or installed: each module the file needs is
    // warned about, and the README's column is that list.
    let none = Root::new("none", &[], &[]);
    for (file, modules) in &table {
        let path = examples().join(file);
        let (code, err) = run(&none.0, &["validate", path.to_str().expect("utf-8")]);
        assert_eq!(code, Some(0), "{file}: {err}");
        let mut want = modules.clone();
        want.sort();
        assert_eq!(
            warned(&err),
            want,
            "{file}: the README's modules vs what it needs:\n{err}"
        );
    }
}

#[test]
fn validate_and_plan_warn_about_each_missing_module_and_exit_as_before() {
    for (file, modules) in readme_table() {
        let path = examples().join(&file);
        let path = path.to_str().expect("utf-8");
        for missing in &modules {
            // One module missing, the others loaded or installed.
            let present: Vec<&str> = modules
                .iter()
                .map(String::as_str)
                .filter(|m| m != missing)
                .collect();
            let (loaded, installed) = present.split_at(present.len() / 2);
            let root = Root::new("one", loaded, installed);
            for args in [&["validate", path][..], &["plan", "--offline", path][..]] {
                let (code, err) = run(&root.0, args);
                assert_eq!(code, Some(0), "{args:?} with {missing} missing:\n{err}");
                assert_eq!(
                    warned(&err),
                    std::slice::from_ref(missing),
                    "{args:?}:\n{err}"
                );
                assert!(
                    err.contains(&format!("{path}: warning: "))
                        && err.contains("`nslab up` will fail"),
                    "{err}"
                );
            }
        }
        // Every one loaded, or every one installed: no warning.
        let all: Vec<&str> = modules.iter().map(String::as_str).collect();
        for root in [
            Root::new("loaded", &all, &[]),
            Root::new("installed", &[], &all),
        ] {
            let (code, err) = run(&root.0, &["validate", path]);
            assert_eq!(code, Some(0), "{err}");
            assert!(!err.contains("warning"), "{file}: {err}");
        }
    }
}

/// Where the files cannot tell (no /proc/modules, no /lib/modules, no
/// configuration), nothing is claimed.
#[test]
fn without_anything_to_read_nothing_is_warned() {
    let root = std::env::temp_dir().join(format!("nslab-modroot-empty-{}", std::process::id()));
    std::fs::create_dir_all(&root).expect("mkdir");
    let path = examples().join("vlan.yaml");
    let (code, err) = run(&root, &["validate", path.to_str().expect("utf-8")]);
    let _ = std::fs::remove_dir_all(&root);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// `validate --json` says what plain `validate` says: the same kernel
/// module warnings, as data, for every example.
#[test]
fn validate_json_has_the_kernel_module_warnings_validate_prints() {
    let none = Root::new("json", &[], &[]);
    let files = example_files();
    let mut warned_any = false;
    for path in &files {
        let path = path.to_str().expect("utf-8");
        let (_, plain) = run(&none.0, &["validate", path]);
        let o = Command::new(nslab_bin())
            .args(["validate", "--json", path])
            .env("NSLAB_MODULES_ROOT", &none.0)
            .output()
            .expect("run nslab");
        assert_eq!(o.status.code(), Some(0), "{path}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let json: String = v["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str())
            .map(|w| format!("warning: {w}\n"))
            .collect();
        let want = warned(&plain);
        warned_any |= !want.is_empty();
        assert_eq!(warned(&json), want, "{path}: {v}\nvs\n{plain}");
    }
    assert!(warned_any, "no example warned: the fake root is not read");
}
