//! From a path (or the built-in demo) to a validated topology and its
//! desired state; bad input is printed with file:line:column and a hint and
//! ends the command with status 2 before anything is changed.

use super::Exit;
use crate::state::{desired::desired, State};
use nslab_model::{HostInterfaces, Topology};
use nslab_netlink as nl;
use nslab_sys::statedir::StateDir;
use std::io::IsTerminal;
use std::path::Path;

/// The built-in demo lab: the Docker bridge setup of the spec.
pub const DEMO: &str = include_str!("../../examples/docker-bridge.yaml");

pub struct Loaded {
    pub topology: Topology,
    pub desired: State,
    /// The file's text, kept in the state directory for `check`.
    pub text: String,
    /// Where it came from, for `ls`.
    pub source: String,
}

/// Interfaces of the namespace nslab runs in, asked over netlink
/// (`/sys/class/net` would show the namespace sysfs was mounted in), and
/// those the file's lab has moved into its nodes (they are not in the host
/// while the lab is up, yet the file is right to name them).
#[derive(Default)]
struct KernelInterfaces {
    moved_in: Vec<String>,
}

impl HostInterfaces for KernelInterfaces {
    fn exists(&self, name: &str) -> bool {
        // One socket per question: only `physical` interfaces are asked about.
        self.moved_in.iter().any(|m| m == name)
            || nl::Socket::open()
                .ok()
                .and_then(|mut s| s.link_by_name(name).ok().flatten())
                .is_some()
    }
}

impl KernelInterfaces {
    /// For a file with `physical` interfaces: the host interfaces its lab's
    /// record says are in the lab's nodes now.
    fn for_file(text: &str) -> KernelInterfaces {
        if !text.contains("physical") {
            return KernelInterfaces::default();
        }
        let Ok(t) = nslab_model::parse_str("", text, &nslab_model::AnyHostInterfaces) else {
            return KernelInterfaces::default();
        };
        let lab = t.lab.as_str();
        // What the record says, and what the marks on the interfaces in
        // the lab's namespaces say (the record may be lost).
        let mut moved_in: Vec<String> = Vec::new();
        if let Ok(Some(dir)) = StateDir::find(lab) {
            if let Ok(crate::lab::Recorded::Found(rec)) = crate::lab::look(&dir) {
                moved_in.extend(
                    rec.physical
                        .iter()
                        .filter(|(key, _)| {
                            let node = key.rsplit_once(':').map_or(key.as_str(), |(n, _)| n);
                            matches!(rec.nodes.get(node), Some(Some(ns)) if nslab_sys::netns::exists(ns))
                        })
                        .map(|(_, from)| from.clone()),
                );
            }
        }
        let owned: Vec<(String, Option<String>)> = crate::lab::owned_namespaces(lab)
            .into_iter()
            .map(|ns| (ns.clone(), Some(ns)))
            .collect();
        moved_in.extend(crate::lab::physical_marks(lab, &owned).into_values());
        KernelInterfaces { moved_in }
    }
}

pub fn parse(name: &str, text: &str) -> Result<Loaded, Exit> {
    let host = KernelInterfaces::for_file(text);
    match nslab_model::parse_str(name, text, &host) {
        Ok(topology) => {
            let desired = desired(&topology);
            Ok(Loaded {
                topology,
                desired,
                text: text.to_string(),
                source: name.to_string(),
            })
        }
        Err(problems) => {
            // On a terminal, miette's report: the file's lines with a label
            // under each value. Otherwise (pipes, CI) one line per problem.
            let mut fancy = String::new();
            let graphical = std::io::stderr().is_terminal()
                && miette::GraphicalReportHandler::new()
                    .render_report(&mut fancy, &problems)
                    .is_ok();
            if graphical {
                eprint!("{fancy}");
            }
            eprint!("{}", problems.render_plain());
            eprintln!("{problems}; nothing was changed");
            Err(Exit::BadInput)
        }
    }
}

pub fn from_file(path: &Path) -> Result<Loaded, Exit> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return Err(Exit::BadInput);
        }
    };
    let name = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    parse(&path.display().to_string(), &text).map(|mut l| {
        l.source = name.display().to_string();
        l
    })
}

/// The source recorded for a lab brought up from the built-in demo.
pub const DEMO_SOURCE: &str = "(built-in demo)";

pub fn demo() -> Result<Loaded, Exit> {
    parse(DEMO_SOURCE, DEMO)
}

/// FILE, or the built-in demo lab when there is none (`up`, `plan`).
pub fn file_or_demo(file: Option<&Path>) -> Result<Loaded, Exit> {
    match file {
        Some(f) => from_file(f),
        None => demo(),
    }
}

/// `validate --json`: the verdict and every problem as data, for editors
/// and scripts (`{"file", "ok", "lab"}` or `{"file", "ok": false,
/// "problems": [{code, message, line, column, hint}]}`).
pub fn validate_json(path: &Path) -> Exit {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let problem = serde_json::json!({"code": "nslab::io", "message": format!("cannot read {name}: {e}"), "line": 0, "column": 0, "hint": "check the path"});
            println!(
                "{}",
                serde_json::json!({"file": name, "ok": false, "problems": [problem]})
            );
            return Exit::BadInput;
        }
    };
    match nslab_model::parse_str(&name, &text, &KernelInterfaces::for_file(&text)) {
        Ok(t) => {
            println!(
                "{}",
                serde_json::json!({"file": name, "ok": true, "lab": t.lab.as_str(), "nodes": t.nodes.len()})
            );
            Exit::Ok
        }
        Err(problems) => {
            let list: Vec<_> = problems
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "code": p.kind.code(),
                        "message": p.message,
                        "line": p.loc.line,
                        "column": p.loc.col,
                        "hint": p.hint,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({"file": name, "ok": false, "problems": list})
            );
            Exit::BadInput
        }
    }
}
