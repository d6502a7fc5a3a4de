//! The ids a lab's user namespace maps ([`id_map`]): the user's own uid
//! and gid as 0 alone, or, when the user has subordinate ids (in
//! `/etc/subuid` and `/etc/subgid`, by name or by uid, as shadow-utils
//! reads them) and `newuidmap`/`newgidmap` are installed (Debian's
//! `uidmap`), also 1.. → those ranges, as rootless Podman maps them. The
//! second map is written by the parent, with `newuidmap`/`newgidmap` on
//! the pid of a process that unshared the namespace ([`set_map`]).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// One range of subordinate ids: `start`, `start + count - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u32,
    pub count: u32,
}

/// The map a lab's user namespace gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdMap {
    /// The user's uid and gid as 0, nothing else (`setgroups` denied): the
    /// process writes it for itself.
    One,
    /// 0 → the user's uid (gid), then 1.. → each subordinate range in
    /// turn; written by `newuidmap`/`newgidmap` (`setgroups` allowed).
    Sub {
        uids: Vec<Range>,
        gids: Vec<Range>,
        newuidmap: PathBuf,
        newgidmap: PathBuf,
    },
}

/// The kernel takes at most 340 lines per map; one is the user's own.
const MAX_RANGES: usize = 339;

impl IdMap {
    /// How many uids the namespace maps: ids 0..this inside.
    pub fn uids_inside(&self) -> u64 {
        match self {
            IdMap::One => 1,
            IdMap::Sub { uids, .. } => 1 + total(uids),
        }
    }

    /// How many gids the namespace maps: ids 0..this inside.
    pub fn gids_inside(&self) -> u64 {
        match self {
            IdMap::One => 1,
            IdMap::Sub { gids, .. } => 1 + total(gids),
        }
    }
}

fn total(r: &[Range]) -> u64 {
    r.iter().map(|r| u64::from(r.count)).sum()
}

/// The ranges of `/etc/subuid` or `/etc/subgid` text that belong to the
/// user `name` (or `id`): lines `owner:start:count`, the owner a name or
/// a number, `#` comments and malformed lines skipped, as shadow-utils
/// does. Ranges that would overflow 32-bit ids, or push the ids inside
/// past them, are left out; at most the kernel's 339 more lines.
pub fn ranges(text: &str, name: Option<&str>, id: u32) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    let mut inside: u64 = 1;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.split(':');
        let (Some(owner), Some(start), Some(count), None) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let mine = Some(owner) == name || owner.parse::<u32>().ok() == Some(id);
        let (Ok(start), Ok(count)) = (start.parse::<u32>(), count.parse::<u32>()) else {
            continue;
        };
        let end = u64::from(start) + u64::from(count);
        if !mine || count == 0 || end > u64::from(u32::MAX) {
            continue;
        }
        if inside + u64::from(count) > u64::from(u32::MAX) || out.len() == MAX_RANGES {
            break;
        }
        inside += u64::from(count);
        out.push(Range { start, count });
    }
    out
}

/// The program `name` in `PATH`, else in the usual directories.
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/bin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The map a lab of this process's (real) user gets: [`IdMap::Sub`] when
/// the user has subordinate uids and gids and `newuidmap` and `newgidmap`
/// are there, else [`IdMap::One`]. `up`, `down`, `validate --rootless` and
/// the facade (through the binary) all ask this.
pub fn id_map() -> IdMap {
    id_map_from(Path::new("/etc/subuid"), Path::new("/etc/subgid"))
}

fn id_map_from(subuid: &Path, subgid: &Path) -> IdMap {
    let uid = nix::unistd::getuid();
    let name = nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name);
    let read = |p: &Path| {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        ranges(&text, name.as_deref(), uid.as_raw())
    };
    let (uids, gids) = (read(subuid), read(subgid));
    match (program("newuidmap"), program("newgidmap")) {
        (Some(newuidmap), Some(newgidmap)) if !uids.is_empty() && !gids.is_empty() => IdMap::Sub {
            uids,
            gids,
            newuidmap,
            newgidmap,
        },
        _ => IdMap::One,
    }
}

/// The arguments of `newuidmap PID` (`newgidmap PID`): `0 own 1`, then
/// each range after the last.
fn map_args(pid: i32, own: u32, ranges: &[Range]) -> Vec<String> {
    let mut a = vec![pid.to_string(), "0".into(), own.to_string(), "1".into()];
    let mut inside: u64 = 1;
    for r in ranges {
        a.extend([inside.to_string(), r.start.to_string(), r.count.to_string()]);
        inside += u64::from(r.count);
    }
    a
}

/// Writes `map` ([`IdMap::Sub`]) for process `pid`, which unshared its
/// user namespace and waits, with `newuidmap` and `newgidmap`. Nothing
/// for [`IdMap::One`] (the process writes that one itself).
pub fn set_map(pid: i32, map: &IdMap) -> Result<(), Error> {
    let IdMap::Sub {
        uids,
        gids,
        newuidmap,
        newgidmap,
    } = map
    else {
        return Ok(());
    };
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    for (prog, own, ranges, op) in [
        (
            newuidmap,
            uid,
            uids,
            "newuidmap (map your subordinate uids, /etc/subuid)",
        ),
        (
            newgidmap,
            gid,
            gids,
            "newgidmap (map your subordinate gids, /etc/subgid)",
        ),
    ] {
        let out = Command::new(prog)
            .args(map_args(pid, own, ranges))
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| Error::path("cannot run", prog, e))?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(Error::Os {
                op,
                source: io::Error::other(format!("{} ({})", said, out.status)),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_by_name_or_uid_in_file_order_and_bad_lines_skipped() {
        let text = "# comment\nalice:100000:65536\n1000:200000:10\nbob:300000:5\n\
                    alice:x:5\nalice:1:2:3\nalice:400000:0\nalice:4294967290:10\n\nalice:500000:1\n";
        let got = ranges(text, Some("alice"), 1000);
        let want = [(100000, 65536), (200000, 10), (500000, 1)];
        let got: Vec<_> = got.iter().map(|r| (r.start, r.count)).collect();
        assert_eq!(got, want);
        assert!(ranges(text, Some("carol"), 7).is_empty());
        assert!(ranges(text, None, 7).is_empty());
        assert_eq!(ranges(text, None, 1000).len(), 1);
    }

    #[test]
    fn the_ids_inside_never_pass_32_bits_nor_the_kernels_lines() {
        let big = format!("u:1:{}\nu:1:{}\n", u32::MAX - 2, 10);
        let r = ranges(&big, Some("u"), 5);
        assert_eq!(r.len(), 1);
        let many: String = (0..400).map(|i| format!("u:{}:1\n", 1000 + i)).collect();
        assert_eq!(ranges(&many, Some("u"), 5).len(), MAX_RANGES);
    }

    #[test]
    fn newuidmap_gets_the_user_as_0_then_each_range() {
        let r = [
            Range {
                start: 100000,
                count: 65536,
            },
            Range {
                start: 300000,
                count: 10,
            },
        ];
        assert_eq!(
            map_args(42, 1000, &r).join(" "),
            "42 0 1000 1 1 100000 65536 65537 300000 10"
        );
        let m = IdMap::Sub {
            uids: r.to_vec(),
            gids: r[..1].to_vec(),
            newuidmap: "x".into(),
            newgidmap: "y".into(),
        };
        assert_eq!((m.uids_inside(), m.gids_inside()), (65547, 65537));
        assert_eq!((IdMap::One.uids_inside(), IdMap::One.gids_inside()), (1, 1));
    }
}
