//! `nslab` as a CNI plugin (spec 1.1; configs 0.3.1 through 1.1.0): what
//! a container runtime (Podman, containerd, CRI-O, Nomad) runs to attach a
//! container to a network. The environment (`CNI_COMMAND`,
//! `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`, `CNI_ARGS`, `CNI_PATH`)
//! and the network configuration on stdin are the request; the result or
//! the spec's error JSON on stdout is the answer. A CNI network is a lab
//! of its own, named after the network: its bridge, veths and nftables
//! table carry the lab's marks and its state directory holds the record
//! and the IPAM store, so `nslab ls`, `show` and `down` see it as a lab.
//! See docs/cni.md.

mod cmd;
pub(crate) use cmd::SOURCE;
mod conf;
mod error;
mod ipam;
mod isolate;
mod net;
mod result;

use error::{CniError, Code};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;

/// What the runtime says about the container, from the environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub command: String,
    pub container_id: String,
    pub netns: String,
    pub ifname: String,
}

impl Env {
    fn from_process() -> Env {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        Env {
            command: var("CNI_COMMAND"),
            container_id: var("CNI_CONTAINERID"),
            netns: var("CNI_NETNS"),
            ifname: var("CNI_IFNAME"),
        }
    }

    /// The variables `names` must be set (code 4 names the first missing).
    fn require(&self, names: &[&str]) -> Result<(), CniError> {
        for n in names {
            let v = match *n {
                "CNI_CONTAINERID" => &self.container_id,
                "CNI_NETNS" => &self.netns,
                _ => &self.ifname,
            };
            if v.is_empty() {
                return Err(CniError::new(Code::InvalidEnv, format!("{n} is not set")));
            }
        }
        if !self.netns.is_empty() && !self.netns.starts_with('/') {
            return Err(CniError::new(
                Code::InvalidEnv,
                "CNI_NETNS is not an absolute path",
            ));
        }
        if self.ifname.parse::<nslab_model::IfName>().is_err() && !self.ifname.is_empty() {
            return Err(CniError::new(
                Code::InvalidEnv,
                format!("CNI_IFNAME {:?} is not an interface name", self.ifname),
            ));
        }
        Ok(())
    }
}

/// Whether this process is the plugin: called `nslab-cni`, called as
/// `nslab cni`, or with `CNI_COMMAND` set and no arguments (how a runtime
/// runs `$CNI_PATH/nslab`).
pub fn is_plugin(args: &[OsString]) -> bool {
    let name = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str());
    name == Some("nslab-cni")
        || args.get(1).is_some_and(|a| a == "cni")
        || (args.len() == 1 && std::env::var_os("CNI_COMMAND").is_some())
}

/// Runs the plugin: reads the request, prints the answer.
pub fn main() -> ExitCode {
    let env = Env::from_process();
    let mut stdin = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut stdin);
    let version = conf::version_of(&stdin);
    let (out, ok) = match run(&env, &stdin) {
        Ok(out) => (out, true),
        Err(e) => (Some(e.to_json(&version)), false),
    };
    if let Some(out) = out {
        let mut so = std::io::stdout().lock();
        let _ = writeln!(so, "{out}");
        let _ = so.flush();
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One command: its output (`None`: nothing is printed), or its error.
pub fn run(env: &Env, stdin: &[u8]) -> Result<Option<String>, CniError> {
    if env.command == "VERSION" {
        return Ok(Some(version_answer(&conf::version_of(stdin))));
    }
    let conf = conf::parse(stdin)?;
    match env.command.as_str() {
        "ADD" => {
            env.require(&["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"])?;
            cmd::add(env, &conf).map(|v| Some(v.to_string()))
        }
        "DEL" => {
            env.require(&["CNI_CONTAINERID", "CNI_IFNAME"])?;
            cmd::del(env, &conf).map(|()| None)
        }
        "CHECK" => {
            env.require(&["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"])?;
            cmd::check(env, &conf).map(|()| None)
        }
        "GC" => cmd::gc(&conf).map(|()| None),
        "STATUS" => Ok(None),
        other => Err(CniError::new(
            Code::InvalidEnv,
            format!("CNI_COMMAND {other:?} is not ADD, DEL, CHECK, STATUS, GC or VERSION"),
        )),
    }
}

/// VERSION's answer: no state, no kernel (runtimes ask before every
/// command).
fn version_answer(asked: &str) -> String {
    let v = if conf::supported(asked) {
        asked
    } else {
        "1.1.0"
    };
    serde_json::json!({
        "cniVersion": v,
        "supportedVersions": conf::SUPPORTED,
    })
    .to_string()
}
