//! `nslab ls`: the labs that are up, and whether the kernel still has what
//! their file asks for (a link, address or bridge removed by hand is
//! drift, found by planning against the kernel as `nslab plan` does).

use super::Exit;
use crate::lab;
use crate::record;
use nslab_sys::netns;
use nslab_sys::statedir::StateDir;

/// One lab as `ls` lists it.
struct Row {
    lab: String,
    nodes: usize,
    present: usize,
    /// One word: ok, faults, drift, unchecked, degraded, incomplete,
    /// unreadable, unrecorded.
    health: &'static str,
    /// What the word means here and what to do, when not ok.
    detail: Option<String>,
    source: String,
}

/// What `up` would change for a lab brought up from `dir`'s file: none
/// when the kernel matches it; why it cannot be told.
fn drift(dir: &StateDir) -> Result<Option<usize>, String> {
    let bytes = dir
        .read(record::TOPOLOGY)
        .map_err(|e| e.to_string())?
        .ok_or("no copy of the file it was brought up from")?;
    let text = String::from_utf8(bytes).map_err(|e| format!("its file copy: {e}"))?;
    let t = nslab_model::parse_str("", &text, &nslab_model::AnyHostInterfaces)
        .map_err(|e| format!("its file copy: {e}"))?;
    let desired = crate::state::desired::desired(&t);
    // The record was read already (`ls` shows one it cannot read as
    // such): a warning about it here would say the same again.
    let (plan, _) = lab::plan_up(&mut crate::host::linux::Linux::new(&desired.lab), &desired)
        .map_err(|e| e.to_string())?;
    Ok((!plan.is_empty()).then_some(plan.len()))
}

fn recorded(lab: &str, dir: &StateDir, rec: record::Record) -> Row {
    let total = rec.nodes.len();
    let present = rec
        .nodes
        .values()
        .filter(|ns| ns.as_deref().is_none_or(netns::exists))
        .count();
    let (health, detail) = if rec.incomplete {
        (
            "incomplete",
            Some("an up was interrupted: run `nslab up` again, or `nslab down`".to_string()),
        )
    } else if present < total {
        (
            "degraded",
            Some(format!(
                "{} namespace(s) missing: `nslab up` makes them again",
                total - present
            )),
        )
    } else if !rec.faults.is_empty() || !rec.pending.is_empty() {
        // Faults put in on purpose are not drift: `heal` removes them.
        let n = rec.faults.len() + rec.pending.len();
        (
            "faults",
            Some(format!(
                "{n} fault(s) put in: `nslab show {lab}` lists them, `nslab heal {lab}` removes them"
            )),
        )
    } else if rec.source.starts_with(crate::cni::SOURCE) {
        // Its members come and go with the runtime's ADD and DEL: there
        // is no file to plan against.
        (
            "unchecked",
            Some(format!(
                "a CNI network (no file to compare with): `nslab show {lab}` shows it"
            )),
        )
    } else {
        match drift(dir) {
            Ok(Some(n)) => {
                let file = if rec.source == super::load::DEMO_SOURCE {
                    String::new()
                } else {
                    format!(" {}", rec.source)
                };
                (
                    "drift",
                    Some(format!(
                        "{n} change(s) from its file (removed by hand?): `nslab plan{file}` lists them, `nslab up{file}` repairs"
                    )),
                )
            }
            Ok(None) => ("ok", None),
            Err(e) => (
                "unchecked",
                Some(format!("cannot be compared with its file: {e}")),
            ),
        }
    };
    Row {
        lab: lab.to_string(),
        nodes: total,
        present,
        health,
        detail,
        source: rec.source,
    }
}

/// Every lab that is up: by its state directory, or by the marks on its
/// namespaces when it has no record.
/// The namespaces of a lab with a readable record are found by that
/// record (and its drift check enters only those); only the namespaces no
/// record lists are entered to read their marks.
fn rows() -> Result<Vec<Row>, nslab_sys::Error> {
    let labs = StateDir::list_labs()?;
    let mut looked = Vec::new();
    let mut claimed = std::collections::BTreeSet::new();
    for name in &labs {
        let seen = match StateDir::find(name) {
            Ok(Some(dir)) => lab::look(&dir).map(|r| (r, dir)).map_err(|e| e.to_string()),
            Ok(None) => continue,
            Err(e) => Err(e.to_string()),
        };
        if let Ok((lab::Recorded::Found(r), _)) = &seen {
            claimed.extend(r.nodes.values().flatten().cloned());
        }
        looked.push((name, seen));
    }
    let marked = lab::marked_namespaces(&claimed);
    let mut rows = Vec::new();
    for (name, seen) in looked {
        match seen {
            Ok((lab::Recorded::Found(r), dir)) => rows.push(recorded(name, &dir, *r)),
            // No record: listed below if its namespaces carry its mark.
            Ok((lab::Recorded::Missing, _)) => {}
            Ok((lab::Recorded::Unreadable(why), _)) => rows.push(unreadable(name, &marked, why)),
            Err(e) => rows.push(unreadable(name, &marked, e)),
        }
    }
    // Labs whose namespaces carry their mark but whose record is gone.
    for (name, namespaces) in marked {
        if !rows.iter().any(|r| r.lab == name) {
            let n = namespaces.len();
            rows.push(Row {
                detail: Some(format!(
                    "no record: `nslab down {name}` removes it by its marks"
                )),
                lab: name,
                nodes: n,
                present: n,
                health: "unrecorded",
                source: String::new(),
            });
        }
    }
    Ok(rows)
}

/// The user's labs without root, from the rows each lab's child printed.
fn user_rows(listed: super::rootless::Listed) -> Vec<Row> {
    let mut out = Vec::new();
    for (lab, rows) in listed {
        match rows {
            Ok(values) => out.extend(values.iter().filter_map(row_of)),
            Err(why) => out.push(Row {
                lab,
                nodes: 0,
                present: 0,
                health: "unreadable",
                detail: Some(why),
                source: String::new(),
            }),
        }
    }
    out
}

/// A row back from its `--json` form.
fn row_of(v: &serde_json::Value) -> Option<Row> {
    const WORDS: [&str; 8] = [
        "ok",
        "faults",
        "drift",
        "unchecked",
        "degraded",
        "incomplete",
        "unreadable",
        "unrecorded",
    ];
    let h = v["health"].as_str()?;
    Some(Row {
        lab: v["lab"].as_str()?.to_string(),
        nodes: usize::try_from(v["nodes"].as_u64()?).ok()?,
        present: usize::try_from(v["present"].as_u64()?).ok()?,
        health: WORDS.iter().find(|w| **w == h)?,
        detail: v["detail"].as_str().map(str::to_string),
        source: v["source"].as_str().unwrap_or_default().to_string(),
    })
}

fn unreadable(
    name: &str,
    marked: &std::collections::BTreeMap<String, Vec<String>>,
    why: String,
) -> Row {
    let n = marked.get(name).map_or(0, Vec::len);
    Row {
        lab: name.to_string(),
        nodes: n,
        present: n,
        health: "unreadable",
        detail: Some(format!(
            "record unreadable ({why}): `nslab down {name}` removes the lab by its marks"
        )),
        source: String::new(),
    }
}

/// The table: columns as wide as their widest cell, no trailing spaces;
/// what a health word means on its own line below the lab.
fn table(rows: &[Row], colour: bool) -> String {
    let lab_w = rows.iter().map(|r| r.lab.len()).max().unwrap_or(0).max(3);
    let health_w = rows
        .iter()
        .map(|r| r.health.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(format!(
        "{:<lab_w$}  {:>5}  {:<health_w$}  source",
        "lab", "nodes", "health"
    ));
    for r in rows {
        // Padded before it is painted: escape codes take no columns.
        let code = if r.health == "ok" { "32" } else { "33" };
        let health =
            super::term::paint(colour, code, r.health) + &" ".repeat(health_w - r.health.len());
        line(format!(
            "{:<lab_w$}  {:>5}  {health}  {}",
            r.lab, r.nodes, r.source
        ));
        if let Some(d) = &r.detail {
            line(format!("  {d}"));
        }
    }
    out
}

pub(super) fn ls(json: bool) -> Exit {
    let rows = if super::rootless::lists_for_user() {
        match super::rootless::ls() {
            Ok(l) => user_rows(l),
            Err(e) => return e,
        }
    } else {
        match rows() {
            Ok(r) => r,
            Err(e) => return super::fail(e),
        }
    };
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"lab": r.lab, "nodes": r.nodes, "present": r.present, "health": r.health, "detail": r.detail, "source": r.source})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if rows.is_empty() {
        println!("no labs are up");
    } else {
        print!("{}", table(&rows, super::term::colour_stdout()));
    }
    Exit::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell_and_lines_end_without_spaces() {
        let row = |lab: &str, health, detail: Option<&str>| Row {
            lab: lab.into(),
            nodes: 3,
            present: 3,
            health,
            detail: detail.map(str::to_string),
            source: String::new(),
        };
        let t = table(
            &[
                row("a-very-long1", "ok", None),
                row("b", "unreadable", Some("record unreadable")),
            ],
            false,
        );
        for l in t.lines() {
            assert_eq!(l, l.trim_end(), "trailing spaces: {l:?}");
        }
        let col = |l: &str, word: &str| l.find(word).expect("word");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(col(lines[0], "health"), col(lines[1], "ok"), "{t}");
        assert_eq!(col(lines[0], "health"), col(lines[2], "unreadable"), "{t}");
        assert_eq!(lines[3], "  record unreadable");
    }

    /// A lab of `n` nodes in pairs, each pair joined by a veth.
    fn pairs(lab: &str, n: usize) -> String {
        let mut t = format!("lab: {lab}\nnodes:\n");
        for i in 0..n {
            t.push_str(&format!("  n{i}: {{ interfaces: {{ eth0: {{}} }} }}\n"));
        }
        t.push_str("links:\n");
        for i in (0..n).step_by(2) {
            t.push_str(&format!("  - [n{i}:eth0, n{}:eth0]\n", i + 1));
        }
        t
    }

    fn up(name: &str, text: &str) {
        let l = crate::launch::parse(name, text).expect("valid");
        let mut host = crate::host::linux::Linux::new(&l.desired.lab);
        crate::launch::up(&mut host, &l, &mut |_, _| {}).expect("up");
    }

    /// How many namespace entries `f` takes.
    fn entries<T>(f: impl FnOnce() -> T) -> (u64, T) {
        let start = netns::entries();
        let r = f();
        (netns::entries() - start, r)
    }

    /// `ls` enters no namespace of a lab with a record but through that
    /// lab's own drift check (its own namespaces), however many other
    /// labs' namespaces there are; only namespaces no record lists are
    /// entered, once, to find a lab whose record is gone by its mark.
    #[test]
    fn ls_enters_each_labs_namespaces_only_for_its_own_check() {
        if !nslab_sys::sandbox::Sandbox::new()
            .with_pid_namespace()
            .enter("cli::ls::tests::ls_enters_each_labs_namespaces_only_for_its_own_check")
        {
            return;
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bridge.yaml");
        up(path, &std::fs::read_to_string(path).expect("example"));
        up("other.yaml", &pairs("other", 20));
        // A lab whose record is gone (its namespace carries its mark), and
        // a namespace of no lab's.
        let ip = |args: &[&str]| {
            let o = std::process::Command::new("ip").args(args).output();
            assert!(o.is_ok_and(|o| o.status.success()), "ip {args:?}");
        };
        ip(&["netns", "add", "plain"]);
        ip(&["netns", "add", "lost-a"]);
        ip(&["-n", "lost-a", "link", "set", "lo", "alias", "nslab:lost"]);
        let check = |lab: &str| {
            let dir = StateDir::find(lab).expect("dir").expect("up");
            let (n, d) = entries(|| drift(&dir));
            assert_eq!(d, Ok(None), "{lab} matches its file");
            n
        };
        let checks = check("bridge") + check("other");
        let (n, rows) = entries(|| rows().expect("rows"));
        let health: Vec<(&str, usize, &str)> = rows
            .iter()
            .map(|r| (r.lab.as_str(), r.nodes, r.health))
            .collect();
        assert_eq!(
            health,
            vec![
                ("bridge", 3, "ok"),
                ("other", 20, "ok"),
                ("lost", 1, "unrecorded")
            ]
        );
        assert_eq!(
            n,
            checks + 2,
            "entries of ls vs the labs' own checks ({checks}) and the 2 namespaces no record lists"
        );
    }
}
