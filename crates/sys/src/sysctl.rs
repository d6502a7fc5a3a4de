//! `net.*` sysctls of the calling thread's network namespace.
//!
//! `/proc/sys/net` is resolved against the namespace of the thread that
//! opens the file, so call these on a thread inside the target namespace:
//! `netns::run_in(fd, || sysctl::write("net.ipv4.ip_forward", "1"))`.
//!
//! Keys are dotted, as for `sysctl(8)`: `net.ipv4.ip_forward` is
//! `/proc/sys/net/ipv4/ip_forward`. Interface names may contain dots
//! (`eth0.100`), which makes `net.ipv4.conf.eth0.100.rp_filter` ambiguous;
//! when the plain dots-to-slashes path does not exist, the components
//! between the third and the last are taken as one directory name
//! (`net/ipv4/conf/eth0.100/rp_filter`), which covers the per-interface
//! trees (`conf`, `neigh`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::Error;

const PROC_SYS: &str = "/proc/sys";

/// Writes `value` to the sysctl `key` (only `net.*` keys) in the calling
/// thread's network namespace.
pub fn write(key: &str, value: &str) -> Result<(), Error> {
    let mut file = open(key, OpenOptions::new().write(true))?;
    file.write_all(value.as_bytes())
        .map_err(|source| Error::Sysctl {
            key: key.to_string(),
            source,
        })
}

/// Reads the sysctl `key` (only `net.*` keys) in the calling thread's
/// network namespace, without the trailing newline.
pub fn read(key: &str) -> Result<String, Error> {
    let mut text = String::new();
    open(key, OpenOptions::new().read(true))?
        .read_to_string(&mut text)
        .map_err(|source| Error::Sysctl {
            key: key.to_string(),
            source,
        })?;
    Ok(text.trim_end_matches('\n').to_string())
}

/// Opens the file of `key`: the plain path, else (when that does not
/// exist) the literal one for an interface name with dots. No `stat`
/// first: with many namespaces every path lookup under /proc/sys/net
/// walks one dentry per namespace, so each lookup saved counts.
fn open(key: &str, how: &OpenOptions) -> Result<File, Error> {
    open_in(Path::new(PROC_SYS), key, how)
}

fn open_in(base: &Path, key: &str, how: &OpenOptions) -> Result<File, Error> {
    let (plain, literal) = paths_in(base, key)?;
    let err = |source| Error::Sysctl {
        key: key.to_string(),
        source,
    };
    match how.open(&plain) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => match literal {
            Some(l) => how.open(l).map_err(|_| err(e)),
            None => Err(err(e)),
        },
        r => r.map_err(err),
    }
}

/// The files under `base` (normally `/proc/sys`) for `key`: the plain
/// dots-to-slashes path, and for keys of five components or more the
/// literal one (`net.<family>.<tree>.<interface with dots>.<leaf>`).
pub(crate) fn paths_in(base: &Path, key: &str) -> Result<(PathBuf, Option<PathBuf>), Error> {
    let bad = |reason| Error::SysctlKey {
        key: key.to_string(),
        reason,
    };
    if !key.starts_with("net.") {
        return Err(bad("only net.* keys can be set"));
    }
    if key.contains('/') || key.contains('\0') || key.chars().any(char::is_whitespace) {
        return Err(bad("a key holds no `/`, NUL or white space"));
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() < 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(bad("expected dotted components like net.ipv4.ip_forward"));
    }
    let plain: PathBuf = parts.iter().fold(base.to_path_buf(), |p, c| p.join(c));
    let n = parts.len();
    let literal = (n >= 5).then(|| {
        base.join(parts[0])
            .join(parts[1])
            .join(parts[2])
            .join(parts[3..n - 1].join("."))
            .join(parts[n - 1])
    });
    Ok((plain, literal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_net_keys_are_accepted() {
        let base = Path::new("/nonexistent");
        for bad in [
            "kernel.hostname",
            "net",
            "net.",
            "net..ipv4",
            "net.ipv4.",
            "net.ipv4/../../x",
            "net.ipv4.a b",
            "netx.ipv4.ip_forward",
        ] {
            assert!(
                matches!(paths_in(base, bad), Err(Error::SysctlKey { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            paths_in(base, "net.ipv4.ip_forward").unwrap(),
            (Path::new("/nonexistent/net/ipv4/ip_forward").into(), None)
        );
    }

    #[test]
    fn an_interface_name_with_dots_is_found_literally() {
        let base = std::env::temp_dir().join(format!("nslab-sysctl-test-{}", std::process::id()));
        let conf = base.join("net/ipv4/conf");
        std::fs::create_dir_all(conf.join("eth0.100")).unwrap();
        std::fs::create_dir_all(conf.join("eth1")).unwrap();
        std::fs::write(conf.join("eth0.100/rp_filter"), "0\n").unwrap();
        std::fs::write(conf.join("eth1/rp_filter"), "1\n").unwrap();
        let read = |key| {
            let mut text = String::new();
            open_in(&base, key, OpenOptions::new().read(true))
                .map(|mut f| f.read_to_string(&mut text).map(|_| text))
        };
        let dotted = read("net.ipv4.conf.eth0.100.rp_filter");
        let plain = read("net.ipv4.conf.eth1.rp_filter");
        let missing = read("net.ipv4.conf.eth9.7.rp_filter");
        std::fs::remove_dir_all(&base).unwrap();
        assert_eq!(dotted.unwrap().unwrap(), "0\n");
        assert_eq!(plain.unwrap().unwrap(), "1\n");
        // Neither path exists: the error names the key and the plain
        // path's error.
        let e = missing.unwrap_err().to_string();
        assert!(
            e.contains("net.ipv4.conf.eth9.7.rp_filter") && e.contains("No such file"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_key_and_the_os_error() {
        let e = read("net.ipv4.no_such_sysctl_here").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("net.ipv4.no_such_sysctl_here"), "{text}");
        assert!(text.contains("No such file"), "{text}");
    }
}
