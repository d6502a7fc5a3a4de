//! A rootless lab's holder: started by `up` (`nslab __hold LAB`, in a
//! session of its own, so it outlives `up`), entered by every other
//! command, ended by `down`.

use super::{remove_empty_base, set_paths};
use crate::cli::{fail, Exit};
use nslab_sys::statedir::StateDir;
use nslab_sys::userns::{self, Holder, HOLDER_FILE};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::Stdio;

/// What the lab's holder file says, if it has a well-formed one.
pub(in crate::cli) fn read_holder(lab: &str) -> Option<Holder> {
    let dir = StateDir::find(lab).ok()??;
    let bytes = dir.read(HOLDER_FILE).ok()??;
    Holder::parse(&String::from_utf8_lossy(&bytes))
}

fn enter(h: &Holder) -> Result<(), Exit> {
    userns::enter(h).map_err(fail)
}

/// `up`: the lab's paths and directory, its holder (started when it has
/// no live one), entered. The holder when this started it.
pub(super) fn up(lab: &str) -> Result<Option<Holder>, Exit> {
    set_paths(lab)?;
    let dir = StateDir::open(lab).map_err(fail)?;
    match read_holder(lab) {
        Some(h) if h.alive() => match userns::enter(&h) {
            Ok(()) => return Ok(None),
            Err(_) if gone_soon(&h) => clear_dead(lab, &dir, &h)?,
            Err(e) => return Err(fail(e)),
        },
        Some(h) => clear_dead(lab, &dir, &h)?,
        None => {}
    }
    if let Err(e) = start(lab) {
        // Nothing of the lab was made: leave nothing behind.
        if read_holder(lab).is_none() {
            let _ = dir.remove();
            remove_empty_base();
        }
        return Err(e);
    }
    match read_holder(lab) {
        Some(h) => enter(&h).map(|()| Some(h)),
        None => Err(fail(format!(
            "the holder of lab {lab} is ready but wrote no {HOLDER_FILE} file"
        ))),
    }
}

/// A holder that died (killed, or the machine's processes were) took the
/// lab's namespaces with it: what is left of its processes is killed and
/// its directory emptied, but for the lock held meanwhile.
fn clear_dead(lab: &str, dir: &StateDir, h: &Holder) -> Result<(), Exit> {
    let _guard = dir.lock().map_err(fail)?;
    userns::kill_all_in(h.userns);
    let entries = std::fs::read_dir(dir.path())
        .map_err(|e| fail(format!("cannot list {}: {e}", dir.path().display())))?;
    let paths: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name() != "lock")
        .map(|e| e.path())
        .collect();
    // What the user cannot remove (owned by subordinate ids) is removed
    // in a user namespace with the same map.
    let kept: Vec<PathBuf> = paths
        .into_iter()
        .filter(|p| userns::remove_as_mapped(&userns::IdMap::One, std::slice::from_ref(p)).is_err())
        .collect();
    if !kept.is_empty() {
        userns::remove_as_mapped(&userns::id_map(), &kept).map_err(fail)?;
    }
    remove_uts(lab);
    Ok(())
}

/// Removes the lab's directory `dir` from outside its (gone) user
/// namespace: what the user cannot remove, owned by subordinate ids, in a
/// fresh user namespace with the same map.
fn remove_dir(dir: StateDir) -> Result<(), Exit> {
    let path = dir.path().to_path_buf();
    if let Err(e) = dir.remove() {
        if userns::remove_as_mapped(&userns::id_map(), &[path]).is_err() {
            return Err(fail(e));
        }
    }
    Ok(())
}

/// The lab's UTS namespace files, mounted only in the dead holder's mount
/// namespace: plain files here.
fn remove_uts(lab: &str) {
    if let Ok(d) = nslab_sys::uts::lab_dir(lab) {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Starts `nslab __hold LAB` and waits for its `ready` line. In between,
/// once the holder made its user namespace (its `userns` line), the map:
/// written here with `newuidmap`/`newgidmap` when the user has
/// subordinate ids ([`userns::id_map`]), else by the holder itself.
fn start(lab: &str) -> Result<(), Exit> {
    let exe = crate::services::nslab_exe().map_err(|e| {
        fail(format!(
            "cannot find the nslab binary to start the holder of lab {lab}: {e}"
        ))
    })?;
    let mut child = std::process::Command::new(exe)
        .args(["__hold", lab])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot start the holder of lab {lab}: {e}")))?;
    let mut out = child.stdout.take().map(BufReader::new);
    let mut line = || {
        let mut l = String::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_line(&mut l);
        }
        l.trim().to_string()
    };
    let mut first = line();
    if first == USERNS_LINE {
        let map = userns::id_map();
        let pid = i32::try_from(child.id()).unwrap_or(-1);
        let answer = match userns::set_map(pid, &map) {
            Ok(()) if map == userns::IdMap::One => ANSWER_OWN,
            Ok(()) => ANSWER_WRITTEN,
            Err(e) => {
                drop(child.stdin.take());
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!("the holder of lab {lab}: {e}")));
            }
        };
        if let Some(mut i) = child.stdin.take() {
            let _ = writeln!(i, "{answer}");
        }
        first = line();
    }
    match first.as_str() {
        "ready" => Ok(()),
        "" => {
            let st = child.wait().map(|s| s.to_string()).unwrap_or_default();
            Err(fail(format!(
                "the holder of lab {lab} ended before it was ready ({st})"
            )))
        }
        why => {
            let _ = child.wait();
            Err(fail(format!("the holder of lab {lab}: {why}")))
        }
    }
}

/// The holder's line once its user namespace is made, and the answers.
const USERNS_LINE: &str = "userns";
const ANSWER_OWN: &str = "own";
const ANSWER_WRITTEN: &str = "mapped";

/// In the holder: says its user namespace is made, and reads how it is
/// mapped (no answer: `up` is gone, and the holder ends).
fn ask_mapping() -> Result<userns::Mapping, nslab_sys::Error> {
    println!("{USERNS_LINE}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    match answer.trim() {
        ANSWER_OWN => Ok(userns::Mapping::Own),
        ANSWER_WRITTEN => Ok(userns::Mapping::Written),
        _ => Err(nslab_sys::Error::Os {
            op: "map the holder's user namespace",
            source: std::io::Error::other("`up` gave no answer"),
        }),
    }
}

/// `nslab __hold LAB`: become the lab's holder, say `ready`, and wait to be
/// killed by `down`. A failure is one line on standard output, for `up`.
pub(in crate::cli) fn hold(lab: &str) -> Exit {
    let _ = nix::unistd::setsid();
    let _ = std::env::set_current_dir("/");
    match become_holder(lab) {
        Ok(mine) => {
            println!("ready");
            let _ = std::io::stdout().flush();
            if !mine {
                return Exit::Ok;
            }
        }
        Err(why) => {
            println!("{why}");
            return Exit::Failed;
        }
    }
    loop {
        nix::unistd::pause();
    }
}

/// `Ok(true)`: this process holds the lab now; `Ok(false)`: another
/// holder, alive, was there first (this one ends).
fn become_holder(lab: &str) -> Result<bool, String> {
    set_paths(lab).map_err(|_| "XDG_RUNTIME_DIR cannot be used".to_string())?;
    let h = userns::become_holder(ask_mapping).map_err(|e| e.to_string())?;
    let dir = StateDir::find(lab)
        .map_err(|e| e.to_string())?
        .ok_or("the lab's directory is gone (a `down` removed it)")?;
    // Under the lab's lock: a `down` that removed the directory meanwhile
    // leaves no holder behind.
    let _guard = dir
        .lock_existing()
        .map_err(|e| e.to_string())?
        .ok_or("the lab's directory is gone (a `down` removed it)")?;
    if read_holder(lab).is_some_and(|o| o.alive()) {
        return Ok(false);
    }
    dir.write_atomic(HOLDER_FILE, h.line().as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(true)
}

/// Every command on a lab that is up but `up` and `down`: enter its holder.
/// No holder: the command runs and says the lab is not up (or that a lab
/// of that name is root's).
pub(super) fn enter_existing(lab: &str) -> Result<(), Exit> {
    let roots = root_base().join(lab);
    set_paths(lab)?;
    match read_holder(lab) {
        Some(h) if h.alive() => enter(&h),
        Some(_) => Err(fail(format!(
            "the holder of lab {lab} is gone, and the lab's namespaces with it; \
             `nslab down {lab}` removes what is left"
        ))),
        None if roots.is_dir() && StateDir::find(lab).ok().flatten().is_none() => Err(
            crate::cli::fail_unless_root(format!("lab {lab} was brought up by root")),
        ),
        None => Ok(()),
    }
}

/// Whether the holder `h`, found alive but not entered, ends within a
/// second (its namespaces go first, then the process).
fn gone_soon(h: &Holder) -> bool {
    for _ in 0..50 {
        if !h.alive() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

/// Where root's labs are (before the rootless paths are chosen).
fn root_base() -> PathBuf {
    nslab_sys::statedir::base_dir()
}

/// `down`: enter the holder and return it (ended after the command), or,
/// when it is gone, remove what is left here and end the command.
pub(super) fn down(lab: &str, json: bool) -> Result<Option<Holder>, Exit> {
    let roots = root_base().join(lab);
    set_paths(lab)?;
    let Some(dir) = StateDir::find(lab).map_err(fail)? else {
        if roots.is_dir() {
            return Err(crate::cli::fail_unless_root(format!(
                "lab {lab} was brought up by root"
            )));
        }
        return Ok(None);
    };
    let Some(guard) = dir.lock_existing().map_err(fail)? else {
        return Ok(None);
    };
    let found = read_holder(lab);
    if let Some(h) = found.filter(Holder::alive) {
        match userns::enter(&h) {
            // The command takes the lock again, from inside.
            Ok(()) => return Ok(Some(h)),
            // It was ending as we looked (a killed `up`'s): as gone.
            Err(_) if gone_soon(&h) => {}
            Err(e) => return Err(fail(e)),
        }
    }
    if let Some(h) = found {
        userns::kill_all_in(h.userns);
    }
    remove_dir(dir)?;
    remove_uts(lab);
    drop(guard);
    remove_empty_base();
    if json {
        let mut v = crate::cli::json::plan_report(lab, &crate::plan::Plan::default());
        v["was_up"] = true.into();
        println!("{v}");
    } else {
        println!("lab {lab} is down: its holder was gone (and its namespaces with it); what was left is removed");
    }
    Err(Exit::Ok)
}
