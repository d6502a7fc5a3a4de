//! Podman, for nodes that are containers (`image:`): the one place nslab
//! starts `podman`, always as a program with its arguments (no shell),
//! found on `PATH`. Podman keeps its own state (its storage, its
//! `containers.conf`, as `CONTAINERS_CONF` and `CONTAINERS_STORAGE_CONF`
//! say); nslab only asks it and never pulls an image.
//!
//! Every container nslab makes carries the label [`LAB_LABEL`]`=<lab>`:
//! [`lab_containers`] finds a lab's by it alone (without the lab's record,
//! after a killed `up`), and nothing without it is ever removed.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

#[path = "podman_rootless.rs"]
mod rootless;
pub use rootless::image_store;

/// The program.
pub const PROGRAM: &str = "podman";
/// The label naming the lab a container is of.
pub const LAB_LABEL: &str = nslab_types::names::CONTAINER_LAB_LABEL;
/// The label naming the node a container is.
pub const NODE_LABEL: &str = "nslab.node";
/// The label holding a digest of what the container was started with
/// ([`Spec::digest`]): a container whose digest differs is replaced.
pub const SPEC_LABEL: &str = "nslab.spec";

/// What went wrong asking Podman.
#[derive(Debug, thiserror::Error)]
pub enum PodmanError {
    /// `podman` could not be started.
    #[error("cannot run `podman {op}`: {source}")]
    Spawn { op: String, source: io::Error },
    /// It ran and said no.
    #[error("`podman {op}` failed: {words}")]
    Failed { op: String, words: String },
}

fn words(o: &Output) -> String {
    let e = String::from_utf8_lossy(&o.stderr).trim().to_string();
    if e.is_empty() {
        format!("exit status {}", o.status)
    } else {
        e
    }
}

/// Runs `podman ARGS` and returns its output, whatever its status.
fn output(args: &[OsString]) -> Result<Output, PodmanError> {
    let op = || {
        args.iter()
            .take(2)
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    };
    rootless::command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PodmanError::Spawn { op: op(), source })
}

/// Runs `podman ARGS`; its standard output when it succeeded.
fn run(args: &[&str]) -> Result<String, PodmanError> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let o = output(&args)?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(PodmanError::Failed {
            op: args
                .iter()
                .take(2)
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            words: words(&o),
        })
    }
}

/// Whether the image is in the local store (`podman image exists`: 0 yes,
/// 1 no, anything else Podman's own trouble).
pub fn image_exists(image: &str) -> Result<bool, PodmanError> {
    let o = output(&["image".into(), "exists".into(), image.into()])?;
    match o.status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(PodmanError::Failed {
            op: "image exists".into(),
            words: words(&o),
        }),
    }
}

/// One node's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `<lab>-<node>`.
    pub name: String,
    pub lab: String,
    pub node: String,
    /// The node's network namespace, a path (`/run/netns/<netns>`).
    pub netns: PathBuf,
    pub hostname: String,
    pub image: String,
    /// `None`: the image's own command.
    pub cmd: Option<Vec<String>>,
    /// `--env K=V`, in order.
    pub env: Vec<(String, String)>,
    /// `-v SRC:DEST[:OPTS]`, in order.
    pub volumes: Vec<String>,
}

impl Spec {
    /// The arguments of `podman run` for this container.
    pub fn run_args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = ["run", "-d", "--pull=never", "--name"]
            .map(OsString::from)
            .to_vec();
        a.push(self.name.clone().into());
        for (k, v) in [
            (LAB_LABEL, self.lab.as_str()),
            (NODE_LABEL, self.node.as_str()),
            (SPEC_LABEL, self.digest().as_str()),
        ] {
            a.push("--label".into());
            a.push(format!("{k}={v}").into());
        }
        let mut net = OsString::from("ns:");
        net.push(self.netns.as_os_str());
        a.extend(["--network".into(), net]);
        a.extend(["--hostname".into(), self.hostname.clone().into()]);
        for (k, v) in &self.env {
            a.extend(["--env".into(), format!("{k}={v}").into()]);
        }
        for v in &self.volumes {
            a.extend(["-v".into(), v.clone().into()]);
        }
        // Everything after the image is the container's command.
        a.push(self.image.clone().into());
        a.extend(self.cmd.iter().flatten().map(OsString::from));
        a
    }

    /// A digest of everything the container is started with (FNV-1a,
    /// 64 bits, hex): equal specs, equal digests.
    pub fn digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |s: &str| {
            for b in s.bytes().chain([0u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(&self.netns.to_string_lossy());
        eat(&self.hostname);
        eat(&self.image);
        eat(&format!("{:?}", self.cmd));
        eat(&format!("{:?}", self.env));
        eat(&format!("{:?}", self.volumes));
        format!("{h:016x}")
    }
}

/// Starts the container (`podman run -d`). The `podman` process carries
/// the lab's mark in its environment (as `run:` processes do, see
/// [`crate::procs`]; the container does not inherit it): [`wait_starting`]
/// finds it if this nslab is killed while it runs.
pub fn start(spec: &Spec) -> Result<(), PodmanError> {
    rootless::prepare_start()?;
    let o = rootless::command()
        .args(spec.run_args())
        .env(crate::procs::LAB_VAR, &spec.lab)
        .env(crate::procs::NODE_VAR, &spec.node)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PodmanError::Spawn {
            op: "run".into(),
            source,
        })?;
    if o.status.success() {
        Ok(())
    } else {
        Err(PodmanError::Failed {
            op: "run".into(),
            words: words(&o),
        })
    }
}

/// A container as Podman reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    /// [`LAB_LABEL`]'s value (empty: none).
    pub lab: String,
    /// [`SPEC_LABEL`]'s value.
    pub digest: String,
    /// `running`, `paused`, `exited`, `created`...
    pub state: String,
    pub image: String,
}

/// `podman inspect --format`: name, [`LAB_LABEL`], [`SPEC_LABEL`], state,
/// image (tab-separated).
fn inspect_format() -> String {
    format!(
        "{{{{.Name}}}}\t{{{{index .Config.Labels \"{LAB_LABEL}\"}}}}\t{{{{index .Config.Labels \"{SPEC_LABEL}\"}}}}\t{{{{.State.Status}}}}\t{{{{.ImageName}}}}"
    )
}

/// The container named `name`, if there is one.
pub fn inspect(name: &str) -> Result<Option<Container>, PodmanError> {
    let o = output(&[
        "container".into(),
        "inspect".into(),
        "--format".into(),
        inspect_format().into(),
        name.into(),
    ])?;
    if !o.status.success() {
        let w = words(&o);
        if w.contains("no such") {
            return Ok(None);
        }
        return Err(PodmanError::Failed {
            op: "container inspect".into(),
            words: w,
        });
    }
    let text = String::from_utf8_lossy(&o.stdout);
    Ok(text.lines().next().map(|l| {
        let mut f = l.split('\t').map(|s| s.replace("<no value>", ""));
        let mut next = || f.next().unwrap_or_default();
        Container {
            name: next(),
            lab: next(),
            digest: next(),
            state: next(),
            image: next(),
        }
    }))
}

/// The names of every container carrying the lab's label.
pub fn lab_containers(lab: &str) -> Result<Vec<String>, PodmanError> {
    let filter = format!("label={LAB_LABEL}={lab}");
    let out = run(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// The `podman` processes starting a container of the lab (they carry
/// the lab's mark, see [`start`]).
fn starting(lab: &str) -> Vec<crate::procs::Handle> {
    crate::procs::scan()
        .into_iter()
        .filter(|q| q.mark.as_ref().is_some_and(|(l, _)| l == lab))
        .filter(|q| {
            std::fs::read_to_string(format!("/proc/{}/comm", q.pid))
                .is_ok_and(|c| c.trim() == PROGRAM)
        })
        .filter_map(|q| crate::procs::Handle::open(q.pid, q.stat.start))
        .collect()
}

/// Waits (up to `wait`) for the `podman run`s of the lab that are still
/// going (an `up` killed while one ran), so that none makes a container
/// after `down` looked; stops those still there then. A `podman run`
/// killed half-way leaves its container's mounts behind (`podman rm`
/// then fails with `EBUSY`): it is let finish rather than killed. How
/// many were stopped.
pub fn wait_starting(lab: &str, wait: std::time::Duration) -> usize {
    let end = std::time::Instant::now() + wait;
    loop {
        let left = starting(lab);
        if left.is_empty() {
            return 0;
        }
        if std::time::Instant::now() >= end {
            return crate::procs::stop(&left, std::time::Duration::from_secs(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Removes the containers (`podman rm -f`, no grace: a lab's `down`).
pub fn remove(names: &[String]) -> Result<(), PodmanError> {
    if names.is_empty() {
        return Ok(());
    }
    let mut args = vec!["rm", "-f", "-t", "0"];
    args.extend(names.iter().map(String::as_str));
    run(&args).map(|_| ())
}

/// `podman pause NAME`.
pub fn pause(name: &str) -> Result<(), PodmanError> {
    run(&["pause", name]).map(|_| ())
}

/// `podman unpause NAME`.
pub fn unpause(name: &str) -> Result<(), PodmanError> {
    run(&["unpause", name]).map(|_| ())
}

/// A command that runs `argv` inside the container (`podman exec`), with
/// standard input kept open (`-i`) and a terminal when `tty`.
pub fn exec_command(name: &str, argv: &[OsString], tty: bool) -> Command {
    let mut cmd = rootless::command();
    cmd.arg("exec").arg("-i");
    if tty {
        cmd.arg("-t");
    }
    cmd.arg(name).args(argv);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec {
            name: "l-a".into(),
            lab: "l".into(),
            node: "a".into(),
            netns: "/run/netns/l-a".into(),
            hostname: "a".into(),
            image: "localhost/i:1".into(),
            cmd: Some(vec!["httpd".into(), "-f".into()]),
            env: vec![("TZ".into(), "UTC".into())],
            volumes: vec!["/run/nslab/l/fs/a/data:/data".into()],
        }
    }

    /// The image is the last option: everything after it is the command,
    /// and each value is an argument of its own (no shell, no splitting).
    #[test]
    fn run_arguments_end_with_the_image_and_its_command() {
        let a: Vec<String> = spec()
            .run_args()
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        let at = a.iter().position(|x| x == "localhost/i:1").expect("image");
        assert_eq!(&a[at + 1..], ["httpd", "-f"]);
        for pair in [
            ["--network", "ns:/run/netns/l-a"],
            ["--hostname", "a"],
            ["--label", "nslab.lab=l"],
            ["--env", "TZ=UTC"],
            ["-v", "/run/nslab/l/fs/a/data:/data"],
        ] {
            assert!(a[..at].windows(2).any(|w| w == pair), "{pair:?} in {a:?}");
        }
    }

    /// What `inspect` asks Podman for, as Podman's templates read it.
    #[test]
    fn the_inspect_template_names_the_labels() {
        assert_eq!(
            inspect_format(),
            "{{.Name}}\t{{index .Config.Labels \"nslab.lab\"}}\t{{index .Config.Labels \"nslab.spec\"}}\t{{.State.Status}}\t{{.ImageName}}"
        );
    }

    /// Any change of what the container runs with changes the digest.
    #[test]
    fn every_field_is_in_the_digest() {
        let base = spec();
        let changes: [fn(&mut Spec); 7] = [
            |s| s.netns = "/run/netns/x".into(),
            |s| s.hostname = "b".into(),
            |s| s.image = "localhost/i:2".into(),
            |s| s.cmd = None,
            |s| s.cmd = Some(vec!["httpd -f".into()]),
            |s| s.env.clear(),
            |s| s.volumes.push("/x:/y".into()),
        ];
        for (i, c) in changes.iter().enumerate() {
            let mut s = base.clone();
            c(&mut s);
            assert_ne!(s.digest(), base.digest(), "change {i}");
        }
        assert_eq!(spec().digest(), base.digest());
    }
}
