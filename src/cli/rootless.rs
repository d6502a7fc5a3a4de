//! Labs without root (`up --rootless`, `NSLAB_ROOTLESS=1`, the default
//! when not root): before a command on a lab does anything else, this
//! chooses the lab's paths under `$XDG_RUNTIME_DIR/nslab/`, starts the
//! lab's holder (`up`) or enters it (every other command), so that the
//! command then runs as root of the lab's user namespace, exactly as with
//! root. `down` ends the holder and every process of the lab after it.
//! See [`nslab_sys::userns`] for the holder and docs/rootless.md.
//!
//! It runs right after the arguments are parsed: the kernel refuses to
//! move a process with more than one thread into a user namespace, and no
//! command has started one yet.

mod holder;
mod ls;

pub(super) use holder::hold;
pub(super) use ls::{lists_for_user, ls, Listed};

use super::args::{Command, FaultCommand};
use super::load::{self, Loaded};
use super::Exit;
use nslab_sys::statedir::StateDir;
use nslab_sys::userns::{self, Holder, Paths};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// What the command needs after it ran: `down` ends the holder.
#[derive(Default)]
pub(super) struct Ctx {
    /// `up`'s file, read once (standard input cannot be read twice).
    pub loaded: Option<Loaded>,
    /// `down` entered this lab's holder: end it afterwards.
    down: Option<(String, Holder)>,
    /// `up` started this lab's holder: ended again when `up` refuses the
    /// file there (an image not in the user's store), nothing made.
    fresh: Option<(String, Holder)>,
}

/// Whether the command runs without root: `--rootless`, else
/// `NSLAB_ROOTLESS` (1/true/yes, or 0/false/no), else when not root.
pub(super) fn wanted(flag: bool) -> bool {
    nslab_sys::userns::wanted(flag)
}

/// The lab a command acts on as written (name or file), for the commands
/// that enter a lab; `None` for the others.
fn lab_arg(cmd: &Command) -> Option<&str> {
    Some(match cmd {
        Command::Down { lab, .. }
        | Command::Show { lab, .. }
        | Command::Exec { lab, .. }
        | Command::Shell { lab, .. }
        | Command::Check { lab, .. }
        | Command::Ping { lab, .. }
        | Command::Capture { lab, .. }
        | Command::Events { lab, .. } => lab,
        Command::Fault(f) => match f {
            FaultCommand::Link { lab, .. }
            | FaultCommand::Impair { lab, .. }
            | FaultCommand::Partition { lab, .. }
            | FaultCommand::Stop { lab, .. }
            | FaultCommand::Start { lab, .. }
            | FaultCommand::Heal { lab, .. }
            | FaultCommand::Test { lab, .. } => lab,
        },
        _ => return None,
    })
}

/// Before the command: for a rootless lab, its paths chosen and its holder
/// started or entered. `Err` ends the command with that status.
pub(super) fn prepare(cmd: &Command) -> Result<Ctx, Exit> {
    let mut ctx = Ctx::default();
    match cmd {
        Command::Up { file, rootless, .. } if wanted(*rootless) => {
            let loaded = load::file_or_demo_rootless(file.as_deref())?;
            let lab = loaded.desired.lab.clone();
            ctx.fresh = holder::up(&lab)?.map(|h| (lab, h));
            ctx.loaded = Some(loaded);
        }
        Command::Demo if wanted(false) => {
            let loaded = load::demo()?;
            holder::up(&loaded.desired.lab)?;
            let h = holder::read_holder(&loaded.desired.lab);
            ctx.down = h.map(|h| (loaded.desired.lab.clone(), h));
        }
        Command::Ls { .. } if wanted(false) => {
            if let Some(lab) = ls::child_lab() {
                holder::enter_existing(&lab)?;
            }
        }
        // `graph` needs no root, `plan FILE` reads the kernel as it always
        // did: a lab of the user's that is up is entered, nothing else changes.
        Command::Graph { lab, .. }
        | Command::Plan {
            lab: Some(lab),
            offline: false,
            script: false,
            ..
        } if wanted(false) => {
            let name = super::labs::lab_name(lab)?;
            let up = base_or_why().is_ok_and(|b| b.join(&name).join(userns::HOLDER_FILE).is_file());
            if up {
                holder::enter_existing(&name)?;
            }
        }
        Command::Down { lab, json } if wanted(false) => {
            let name = super::labs::lab_name(lab)?;
            ctx.down = holder::down(&name, *json)?.map(|h| (name, h));
        }
        _ => {
            if let Some(lab) = lab_arg(cmd).filter(|_| wanted(false)) {
                let name = super::labs::lab_name(lab)?;
                holder::enter_existing(&name)?;
            }
        }
    }
    Ok(ctx)
}

/// After the command: `down` (and `demo`) end the lab's holder and every
/// process left in its user namespace, and remove what is left.
pub(super) fn finish(ctx: Ctx, exit: Exit) -> Exit {
    let refused = matches!(exit, Exit::BadInput);
    let Some((lab, h)) = ctx.down.or(ctx.fresh.filter(|_| refused)) else {
        return exit;
    };
    let left = userns::kill_all_in(h.userns);
    if let Ok(Some(dir)) = StateDir::find(&lab) {
        if let Err(e) = dir.remove() {
            return super::fail(e);
        }
    }
    remove_empty_base();
    if left > 0 {
        return super::fail(format!(
            "{left} process(es) of lab {lab} did not exit after SIGKILL; run `nslab down {lab}` again"
        ));
    }
    exit
}

/// `$XDG_RUNTIME_DIR/nslab` (and its `.uts`) when nothing is left in it.
fn remove_empty_base() {
    if let Some(p) = userns::paths() {
        let _ = std::fs::remove_dir(p.base.join(".uts"));
        let _ = std::fs::remove_dir(&p.base);
    }
}

/// `$XDG_RUNTIME_DIR/nslab`, once `XDG_RUNTIME_DIR` is checked: set, a
/// directory, the user's. Else bad input (status 2), nothing made.
pub(super) fn base() -> Result<PathBuf, Exit> {
    base_or_why().map_err(|why| {
        super::bad_input(format!(
            "{why}; nslab without root keeps its labs under $XDG_RUNTIME_DIR/nslab\n  \
             hint: log in through a session that sets it (systemd-logind's /run/user/<uid>), or \
             `export XDG_RUNTIME_DIR=DIR` for a directory of your own with mode 0700; \
             a lab of root's needs root (sudo)"
        ))
    })
}

/// [`base`], or what is wrong with `XDG_RUNTIME_DIR` (nothing printed).
fn base_or_why() -> Result<PathBuf, String> {
    let Some(x) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) else {
        return Err("XDG_RUNTIME_DIR is not set".into());
    };
    let x = PathBuf::from(x);
    let shown = x.display();
    let m = std::fs::metadata(&x).map_err(|e| format!("XDG_RUNTIME_DIR={shown}: {e}"))?;
    if !m.is_dir() {
        return Err(format!("XDG_RUNTIME_DIR={shown} is not a directory"));
    }
    let me = nix::unistd::geteuid().as_raw();
    if m.uid() != me {
        return Err(format!(
            "XDG_RUNTIME_DIR={shown} belongs to uid {}, not to uid {me} who runs nslab",
            m.uid()
        ));
    }
    Ok(x.join("nslab"))
}

/// Chooses the rootless paths of `lab` for this process.
fn set_paths(lab: &str) -> Result<PathBuf, Exit> {
    if lab.is_empty() || lab.starts_with('.') || lab.contains('/') || lab.contains('\0') {
        return Err(super::bad_input(format!("{lab:?} is no lab's name")));
    }
    let base = base()?;
    userns::set_paths(Paths {
        base: base.clone(),
        lab: lab.to_string(),
    })
    .map_err(super::fail)?;
    Ok(base)
}
