//! The [`Lab`](super::Lab) of a process without root: the kernel refuses
//! to move a process with more than one thread (a test harness, Python)
//! into the lab's user namespace, so each operation runs the `nslab`
//! binary, which enters the lab itself (`nslab up --rootless`, then
//! `exec`, `ping --json`, `check --json`, `link`, ..., `down`), and its
//! output is read back into the facade's own types. See docs/rootless.md.

mod probes;

use super::Error;
use crate::record::Fault;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Whether the facade works without root: `NSLAB_ROOTLESS` (1/true/yes,
/// or 0/false/no), else when not root — the choice `nslab` makes for a
/// command given no `--rootless`, so the facade and the binary it runs
/// agree on where the lab is.
pub(super) fn rootless() -> bool {
    nslab_sys::userns::wanted(false)
}

/// What the `nslab` binary said went wrong, in its words (its `error:`
/// lines): the cause inside an [`Error`].
#[derive(Debug)]
pub(super) struct Said(pub(super) String);

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Said {}

/// The `nslab` binary, run for one lab.
pub(super) struct Child {
    bin: PathBuf,
    lab: String,
}

/// What one run of `nslab` gave: its output, and its stderr as lines.
pub(super) struct Ran {
    pub(super) out: Output,
    lines: Vec<String>,
}

/// A line of stderr without the CLI's colour codes.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match rest.find('m') {
            Some(m) => rest = &rest[m + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

impl Ran {
    /// The lines of stderr that start with `word: `, without it.
    pub(super) fn said(&self, word: &str) -> Vec<String> {
        let prefix = format!("{word}: ");
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }

    pub(super) fn ok(&self) -> bool {
        self.out.status.success()
    }

    /// Why it failed: its `error:` lines, else all it said, else its status.
    pub(super) fn why(&self, what: &str) -> Said {
        let errors = self.said("error");
        if !errors.is_empty() {
            return Said(errors.join("\n"));
        }
        let all: Vec<&str> = self
            .lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        if !all.is_empty() {
            return Said(all.join("\n"));
        }
        Said(format!("`nslab {what}` failed ({})", self.out.status))
    }

    /// Standard output as one JSON value.
    pub(super) fn json(&self, what: &str) -> Result<serde_json::Value, Said> {
        serde_json::from_slice(&self.out.stdout).map_err(|e| {
            let why = self.why(what);
            if self.ok() {
                Said(format!("`nslab {what}` printed no JSON ({e})"))
            } else {
                why
            }
        })
    }
}

impl Child {
    /// The binary (as for `serve:`: `NSLAB_BIN`, else this program when
    /// it is `nslab`, else `nslab` in `PATH`) for lab `lab`.
    pub(super) fn new(lab: &str) -> Result<Child, std::io::Error> {
        Ok(Child {
            bin: crate::services::nslab_exe()?,
            lab: lab.to_string(),
        })
    }

    pub(super) fn lab(&self) -> &str {
        &self.lab
    }

    /// Run `nslab ARGS` (its stdin `input`, or none) and wait for it.
    pub(super) fn run(&self, args: &[&str], input: Option<&str>) -> Result<Ran, Said> {
        let what = args.join(" ");
        let cannot = |e: std::io::Error| {
            Said(format!(
                "cannot run {} ({what}) for lab {}: {e}; set NSLAB_BIN to the nslab binary",
                self.bin.display(),
                self.lab
            ))
        };
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env("NSLAB_ROOTLESS", "1")
            .env("NO_COLOR", "1")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(cannot)?;
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(text.as_bytes()).map_err(cannot)?;
        }
        let out = child.wait_with_output().map_err(cannot)?;
        let lines = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(plain)
            .collect();
        Ok(Ran { out, lines })
    }

    /// `nslab up --rootless` of `file`, or of `text` on standard input:
    /// the warnings and notes it printed.
    pub(super) fn up(&self, file: Option<&Path>, text: &str) -> Result<Ran, Error> {
        let up_err = |cause: Said| Error::Up {
            lab: self.lab.clone(),
            cause: Box::new(cause),
        };
        let ran = match file {
            Some(f) => {
                let f = std::path::absolute(f).map_err(|e| up_err(Said(e.to_string())))?;
                let f = f.to_string_lossy().into_owned();
                self.run(&["up", "--rootless", "--json", &f], None)
            }
            None => self.run(&["up", "--rootless", "--json", "-"], Some(text)),
        }
        .map_err(up_err)?;
        if !ran.ok() {
            return Err(up_err(ran.why("up")));
        }
        Ok(ran)
    }

    /// A fault command (`link`, `partition`, `heal`, ...) on the lab.
    pub(super) fn fault(&self, cmd: &str, rest: &[String]) -> Result<(), Error> {
        let mut args = vec![cmd, self.lab.as_str()];
        args.extend(rest.iter().map(String::as_str));
        let fault_err = |cause: Said| Error::Fault {
            lab: self.lab.clone(),
            cause: Box::new(cause),
        };
        let ran = self.run(&args, None).map_err(fault_err)?;
        if ran.ok() {
            Ok(())
        } else {
            Err(fault_err(ran.why(cmd)))
        }
    }

    /// `nslab down LAB`: the holder and every process of the lab ended,
    /// its files removed.
    pub(super) fn down(&self) -> Result<(), Error> {
        let down_err = |cause: Said| Error::Down {
            lab: self.lab.clone(),
            cause: Box::new(cause),
        };
        let ran = self.run(&["down", &self.lab], None).map_err(down_err)?;
        if ran.ok() {
            Ok(())
        } else {
            Err(down_err(ran.why("down")))
        }
    }

    /// The faults in force, from the lab's record under
    /// `$XDG_RUNTIME_DIR/nslab` (the user's own file: nothing to enter).
    pub(super) fn faults(&self) -> Result<Vec<Fault>, Error> {
        let err = |why: String| Error::Fault {
            lab: self.lab.clone(),
            cause: Box::new(Said(why)),
        };
        let Some(x) = std::env::var_os("XDG_RUNTIME_DIR").filter(|x| !x.is_empty()) else {
            return Err(err("XDG_RUNTIME_DIR is not set".into()));
        };
        let base = PathBuf::from(x).join("nslab");
        let dir = nslab_sys::statedir::StateDir::find_in(&base, &self.lab)
            .map_err(|e| err(e.to_string()))?;
        let Some(dir) = dir else {
            return Ok(Vec::new());
        };
        match crate::lab::look(&dir).map_err(|e| err(e.to_string()))? {
            crate::lab::Recorded::Found(r) => {
                let mut all = r.faults;
                for f in r.pending {
                    if !all.contains(&f) {
                        all.push(f);
                    }
                }
                Ok(all)
            }
            crate::lab::Recorded::Missing => Ok(Vec::new()),
            crate::lab::Recorded::Unreadable(why) => Err(err(format!(
                "the record of lab {} cannot be read: {why}",
                self.lab
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn ran(code: i32, stderr: &str) -> Ran {
        let out = Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        };
        let lines = stderr.lines().map(plain).collect();
        Ran { out, lines }
    }

    /// What `nslab` prints as `warning:`, `note:` and `error:` lines, in
    /// colour or not, is what the facade gives as warnings, notes and the
    /// error's words; a line that only mentions the word is not one.
    #[test]
    fn the_childs_lines_are_read_by_their_first_word() {
        let r = ran(
            1,
            "\u{1b}[33mwarning:\u{1b}[0m a NAT rule is asked for twice\n\
             note: eth9 came back as eth9-1\n\
             (string): warning: the file's own, kept by the facade already\n\
             \u{1b}[31merror:\u{1b}[0m node b has no interface nosuch\n\
             error: lab x was not removed completely\n",
        );
        assert_eq!(r.said("warning"), ["a NAT rule is asked for twice"]);
        assert_eq!(r.said("note"), ["eth9 came back as eth9-1"]);
        assert!(!r.ok());
        assert_eq!(
            r.why("link").0,
            "node b has no interface nosuch\nlab x was not removed completely"
        );
        // No `error:` line: all it said; nothing said: its status.
        assert_eq!(ran(1, "  something odd\n\n").why("down").0, "something odd");
        assert!(ran(3, "").why("down").0.contains("exit status: 3"));
    }
}
