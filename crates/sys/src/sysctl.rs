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

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

const PROC_SYS: &str = "/proc/sys";

/// Writes `value` to the sysctl `key` (only `net.*` keys) in the calling
/// thread's network namespace.
pub fn write(key: &str, value: &str) -> Result<(), Error> {
    let path = resolve_in(Path::new(PROC_SYS), key)?;
    let err = |source| Error::Sysctl {
        key: key.to_string(),
        source,
    };
    let mut file = OpenOptions::new().write(true).open(&path).map_err(err)?;
    file.write_all(value.as_bytes()).map_err(err)
}

/// Reads the sysctl `key` (only `net.*` keys) in the calling thread's
/// network namespace, without the trailing newline.
pub fn read(key: &str) -> Result<String, Error> {
    let path = resolve_in(Path::new(PROC_SYS), key)?;
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Sysctl {
        key: key.to_string(),
        source,
    })?;
    Ok(text.trim_end_matches('\n').to_string())
}

/// The file under `base` (normally `/proc/sys`) for `key`.
pub(crate) fn resolve_in(base: &Path, key: &str) -> Result<PathBuf, Error> {
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
    if plain.exists() || parts.len() < 5 {
        return Ok(plain);
    }
    // net.<family>.<tree>.<interface with dots>.<leaf>
    let n = parts.len();
    let literal = base
        .join(parts[0])
        .join(parts[1])
        .join(parts[2])
        .join(parts[3..n - 1].join("."))
        .join(parts[n - 1]);
    Ok(if literal.exists() { literal } else { plain })
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
                matches!(resolve_in(base, bad), Err(Error::SysctlKey { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            resolve_in(base, "net.ipv4.ip_forward").unwrap(),
            Path::new("/nonexistent/net/ipv4/ip_forward")
        );
    }

    #[test]
    fn an_interface_name_with_dots_is_found_literally() {
        let base = std::env::temp_dir().join(format!("nslab-sysctl-test-{}", std::process::id()));
        let conf = base.join("net/ipv4/conf");
        std::fs::create_dir_all(conf.join("eth0.100")).unwrap();
        std::fs::create_dir_all(conf.join("eth1")).unwrap();
        std::fs::write(conf.join("eth0.100/rp_filter"), "0\n").unwrap();
        std::fs::write(conf.join("eth1/rp_filter"), "0\n").unwrap();
        let dotted = resolve_in(&base, "net.ipv4.conf.eth0.100.rp_filter").unwrap();
        let plain = resolve_in(&base, "net.ipv4.conf.eth1.rp_filter").unwrap();
        let missing = resolve_in(&base, "net.ipv4.conf.eth9.7.rp_filter").unwrap();
        std::fs::remove_dir_all(&base).unwrap();
        assert_eq!(dotted, conf.join("eth0.100/rp_filter"));
        assert_eq!(plain, conf.join("eth1/rp_filter"));
        assert_eq!(missing, conf.join("eth9/7/rp_filter"));
    }

    #[test]
    fn errors_name_the_key_and_the_os_error() {
        let e = read("net.ipv4.no_such_sysctl_here").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("net.ipv4.no_such_sysctl_here"), "{text}");
        assert!(text.contains("No such file"), "{text}");
    }
}
