//! Which kernel modules this kernel has: loaded, built in, installed (so
//! the kernel loads it when a lab first asks for what it provides), or
//! missing — read from files, no process started, nothing loaded:
//!
//! | file | says |
//! |---|---|
//! | `/proc/modules` | the modules loaded now |
//! | `/lib/modules/<release>/modules.builtin` | the modules built into the kernel |
//! | `/lib/modules/<release>/modules.dep` | the modules installed (loadable) |
//! | `/proc/config.gz`, else `/boot/config-<release>` | the kernel's configuration: `CONFIG_X=y` built in, `=m` a module, `is not set` neither |
//!
//! `<release>` is `/proc/sys/kernel/osrelease` (what `uname -r` prints).
//! A kernel without module support has no `/proc/modules` and often no
//! `/lib/modules`; its configuration, when it exposes one, still says what
//! is built in. When no file can tell, the answer is [`Have::Unknown`].
//! Every path is under a root that tests choose ([`Modules::read_at`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A kernel module, by its name (as `/proc/modules` and `modprobe` write
/// it) and the configuration symbol that builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Module {
    /// `8021q`, `sch_netem`...
    pub name: &'static str,
    /// `CONFIG_VLAN_8021Q`, `CONFIG_NET_SCH_NETEM`...
    pub config: &'static str,
}

/// Whether this kernel has a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Have {
    /// Loaded now.
    Loaded,
    /// Built into the kernel.
    BuiltIn,
    /// Installed: the kernel loads it when it is first needed.
    Loadable,
    /// Neither: why the files say so.
    Missing(String),
    /// No file here tells.
    Unknown,
}

/// What the files say about the kernel's modules.
#[derive(Debug, Clone, Default)]
pub struct Modules {
    release: String,
    modules_dir: PathBuf,
    /// `None`: no `/proc/modules` (a kernel without module support).
    loaded: Option<BTreeSet<String>>,
    builtin: Option<BTreeSet<String>>,
    installed: Option<BTreeSet<String>>,
    /// The configuration and where it was read.
    config: Option<(String, BTreeMap<String, String>)>,
}

/// The largest kernel configuration read (a few hundred KiB in practice).
const CONFIG_MAX: usize = 16 << 20;

impl Modules {
    /// Reads this machine's files (under `NSLAB_MODULES_ROOT` instead of
    /// `/` when that is set: for tests only).
    pub fn read() -> Modules {
        match std::env::var_os("NSLAB_MODULES_ROOT").filter(|v| !v.is_empty()) {
            Some(root) => Modules::read_at(Path::new(&root)),
            None => Modules::read_at(Path::new("/")),
        }
    }

    /// Reads the files under `root` instead of `/` (`root/proc/modules`,
    /// `root/lib/modules/<release>/...`): for tests.
    pub fn read_at(root: &Path) -> Modules {
        let text = |p: &Path| std::fs::read_to_string(p).ok();
        let release = text(&root.join("proc/sys/kernel/osrelease"))
            .map(|r| r.trim().to_string())
            .unwrap_or_default();
        let modules_dir = root.join("lib/modules").join(&release);
        let loaded = text(&root.join("proc/modules")).map(|t| {
            t.lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(normalize)
                .collect()
        });
        let builtin = (!release.is_empty())
            .then(|| text(&modules_dir.join("modules.builtin")))
            .flatten()
            .map(|t| t.lines().filter_map(module_of_path).collect());
        let installed = (!release.is_empty())
            .then(|| text(&modules_dir.join("modules.dep")))
            .flatten()
            .map(|t| {
                t.lines()
                    .filter_map(|l| l.split(':').next())
                    .filter_map(module_of_path)
                    .collect()
            });
        let proc_config = root.join("proc/config.gz");
        let boot_config = root.join(format!("boot/config-{release}"));
        let config = gunzip_file(&proc_config)
            .map(|t| (proc_config.display().to_string(), t))
            .or_else(|| {
                (!release.is_empty())
                    .then(|| text(&boot_config))
                    .flatten()
                    .map(|t| (boot_config.display().to_string(), t))
            })
            .map(|(from, t)| (from, parse_config(&t)));
        Modules {
            release,
            modules_dir,
            loaded,
            builtin,
            installed,
            config,
        }
    }

    /// Whether the kernel has `m`.
    pub fn have(&self, m: &Module) -> Have {
        let name = normalize(m.name);
        let listed = |set: &Option<BTreeSet<String>>| set.as_ref().map(|s| s.contains(&name));
        if listed(&self.loaded) == Some(true) {
            return Have::Loaded;
        }
        if listed(&self.builtin) == Some(true) {
            return Have::BuiltIn;
        }
        if listed(&self.installed) == Some(true) {
            return Have::Loadable;
        }
        if let Some((from, config)) = &self.config {
            match config.get(m.config).map(String::as_str) {
                Some("y") => return Have::BuiltIn,
                // A module the configuration builds: whether it is
                // installed, only the list of installed ones says.
                Some("m") if self.installed.is_none() && self.loaded.is_some() => {
                    return Have::Unknown
                }
                Some("m") if self.installed.is_none() => {
                    return Have::Missing(format!(
                        "{from} builds it as a module ({}=m), but this kernel loads no modules \
                         (no /proc/modules)",
                        m.config
                    ))
                }
                Some("m") => {
                    return Have::Missing(format!(
                        "{from} builds it as a module ({}=m), but it is not installed (not in {})",
                        m.config,
                        self.modules_dir.join("modules.dep").display()
                    ))
                }
                _ => {
                    return Have::Missing(format!(
                        "the kernel is built without it ({} is not set in {from})",
                        m.config
                    ))
                }
            }
        }
        match (&self.builtin, &self.installed) {
            (Some(_), Some(_)) => Have::Missing(format!(
                "it is not loaded, not built in and not installed (not in {} nor modules.builtin)",
                self.modules_dir.join("modules.dep").display()
            )),
            _ => Have::Unknown,
        }
    }

    /// The kernel release the files are for (`uname -r`), empty if unknown.
    pub fn release(&self) -> &str {
        &self.release
    }
}

/// A module's name as the kernel writes it: `-` is `_`.
fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

/// The module a `modules.dep` or `modules.builtin` path names:
/// `kernel/net/8021q/8021q.ko.zst` → `8021q`.
fn module_of_path(path: &str) -> Option<String> {
    let file = path.trim().rsplit('/').next()?;
    let (stem, _) = file.split_once(".ko")?;
    (!stem.is_empty()).then(|| normalize(stem))
}

/// `CONFIG_X=value` lines; `# CONFIG_X is not set` is `n`.
fn parse_config(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(sym) = line
            .strip_prefix("# ")
            .and_then(|l| l.strip_suffix(" is not set"))
        {
            out.insert(sym.to_string(), "n".to_string());
        } else if let Some((sym, value)) = line.split_once('=') {
            if sym.starts_with("CONFIG_") {
                out.insert(sym.to_string(), value.trim_matches('"').to_string());
            }
        }
    }
    out
}

/// The text of a gzip file (`/proc/config.gz`), if it is one.
fn gunzip_file(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(CONFIG_MAX as u64)
        .read_to_end(&mut bytes)
        .ok()?;
    let body = gzip_body(&bytes)?;
    let text = miniz_oxide::inflate::decompress_to_vec_with_limit(body, CONFIG_MAX).ok()?;
    String::from_utf8(text).ok()
}

/// The deflate stream of a gzip member (RFC 1952): past the header and
/// its optional fields.
fn gzip_body(b: &[u8]) -> Option<&[u8]> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if b.len() < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 {
        return None;
    }
    let flags = b[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = usize::from(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]));
        at += 2 + len;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            at += b.get(at..)?.iter().position(|&c| c == 0)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    b.get(at..)
}

#[cfg(test)]
mod tests;
