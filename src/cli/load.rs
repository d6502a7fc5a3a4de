//! From a path (or the built-in demo) to a validated topology and its
//! desired state; bad input is printed with file:line:column and a hint and
//! ends the command with status 2 before anything is changed.

use super::Exit;
use crate::state::{desired::desired, State};
use nslab_model::{Host, HostInterfaces, HostPrograms, ProgramLookup, Topology};
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
        self.moved_in.iter().any(|m| m == name) || crate::host::query::interface_exists(name)
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

/// Programs as `execvp` finds them when `run:` starts one: argv\[0\] with
/// a `/` is a path; without, the first executable `PATH` entry of that name
/// (`PATH` unset: /bin:/usr/bin, as glibc does).
struct FileSystemPrograms;

impl FileSystemPrograms {
    fn executable(path: &Path) -> ProgramLookup {
        match std::fs::metadata(path) {
            Err(_) => ProgramLookup::Missing,
            Ok(m) if !m.is_file() => ProgramLookup::NotExecutable,
            Ok(_) => {
                if nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok() {
                    ProgramLookup::Found
                } else {
                    ProgramLookup::NotExecutable
                }
            }
        }
    }
}

impl HostPrograms for FileSystemPrograms {
    fn lookup(&self, argv0: &str) -> ProgramLookup {
        if argv0.is_empty() || argv0.contains('\0') {
            return ProgramLookup::Missing;
        }
        if argv0.contains('/') {
            return Self::executable(Path::new(argv0));
        }
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
        let mut seen = ProgramLookup::Missing;
        for dir in std::env::split_paths(&path) {
            // An empty entry is the current directory, as for execvp.
            let dir = if dir.as_os_str().is_empty() {
                std::path::PathBuf::from(".")
            } else {
                dir
            };
            match Self::executable(&dir.join(argv0)) {
                ProgramLookup::Found => return ProgramLookup::Found,
                ProgramLookup::NotExecutable => seen = ProgramLookup::NotExecutable,
                ProgramLookup::Missing => {}
            }
        }
        seen
    }
}

/// The machine nslab runs on, as the model asks about it.
fn host(interfaces: &KernelInterfaces) -> Host<'_> {
    Host {
        interfaces,
        programs: &FileSystemPrograms,
    }
}

/// What is allowed but almost surely a mistake: a NAT rule the file asks
/// for twice in one node (`nat.masquerade` and a network's own
/// `masquerade`, say). The kernel would evaluate both; the first decides.
pub fn warnings(desired: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(nat) = &n.nat else { continue };
        let mut seen = std::collections::BTreeMap::new();
        for r in &nat.rules {
            let count = seen.entry(r).or_insert(0u32);
            *count += 1;
            // Once per rule: at its second occurrence.
            if *count == 2 {
                out.push(format!(
                    "node {node}: the NAT rule `{r}` is asked for twice (a `nat:` entry and a network's \
                     `masquerade`/`publish` may say the same); drop one — the second never matches a packet"
                ));
            }
        }
    }
    out
}

pub fn parse(name: &str, text: &str) -> Result<Loaded, Exit> {
    let interfaces = KernelInterfaces::for_file(text);
    match nslab_model::parse_str_on(name, text, host(&interfaces)) {
        Ok(topology) => {
            let desired = desired(&topology);
            for w in warnings(&desired) {
                eprintln!("{name}: warning: {w}");
            }
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

/// The file's text, read with the model's bound (`/dev/zero` or a 100 MB
/// file is refused after 4 MiB, with the file and the limit named).
fn read(path: &Path) -> Result<String, nslab_model::Problems> {
    nslab_model::read_file(path)
}

pub fn from_file(path: &Path) -> Result<Loaded, Exit> {
    let text = match read(path) {
        Ok(t) => t,
        Err(problems) => {
            eprint!("{}", problems.render_plain());
            eprintln!("{problems}; nothing was changed");
            return Err(Exit::BadInput);
        }
    };
    let source = if path == Path::new("-") {
        "(standard input)".to_string()
    } else {
        let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        full.display().to_string()
    };
    parse(&path.display().to_string(), &text).map(|mut l| {
        l.source = source;
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
    let parsed = read(path).and_then(|text| {
        nslab_model::parse_str_on(&name, &text, host(&KernelInterfaces::for_file(&text)))
    });
    match parsed {
        Ok(t) => {
            let warnings = warnings(&desired(&t));
            println!(
                "{}",
                serde_json::json!({"file": name, "ok": true, "lab": t.lab.as_str(), "nodes": t.nodes.len(), "warnings": warnings})
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
