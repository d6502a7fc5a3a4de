//! A node's files (`files:`): desired state like any other. A file the
//! node lacks or that differs (bytes, mode, owner) is written; one the
//! lab wrote before and the file no longer lists is removed. Each undo
//! puts back what was observed.

use super::{step, At, Op, Phases};
use crate::state::{fs::FileState, NodeState};

/// Same bytes, mode and owner (what was written as `owner:`/`from:` is not
/// observed).
fn same(a: &FileState, b: &FileState) -> bool {
    a.content == b.content && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid
}

pub(super) fn files_in(ph: &mut Phases, here: &At, d: &NodeState, o: &NodeState) {
    if d.netns.is_none() {
        return;
    }
    for (path, f) in &d.fs.files {
        let old = o.fs.files.get(path);
        if old.is_some_and(|old| same(old, f)) {
            continue;
        }
        let undo = match old {
            Some(old) => Op::WriteFile {
                at: here.clone(),
                path: path.clone(),
                file: old.clone(),
            },
            None => Op::RemoveFile {
                at: here.clone(),
                path: path.clone(),
            },
        };
        let op = Op::WriteFile {
            at: here.clone(),
            path: path.clone(),
            file: f.clone(),
        };
        ph.files.push(step(op, Some(undo)));
    }
    for (path, old) in &o.fs.files {
        if d.fs.files.contains_key(path) {
            continue;
        }
        let undo = Op::WriteFile {
            at: here.clone(),
            path: path.clone(),
            file: old.clone(),
        };
        let op = Op::RemoveFile {
            at: here.clone(),
            path: path.clone(),
        };
        ph.files.push(step(op, Some(undo)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::State;

    fn file(content: &str, mode: u32) -> FileState {
        FileState {
            content: content.into(),
            mode,
            uid: 0,
            gid: 0,
            owner: Some("root".into()),
            from: None,
        }
    }

    fn lab(files: &[(&str, FileState)]) -> State {
        let mut n = NodeState::new(Some("l-a".into()));
        n.fs.files = files
            .iter()
            .map(|(p, f)| (p.to_string(), f.clone()))
            .collect();
        let mut s = State {
            lab: "l".into(),
            nodes: Default::default(),
        };
        s.nodes.insert("a".into(), n);
        s
    }

    /// The class: every way a file can differ (missing, bytes, mode, owner,
    /// no longer listed) is one step whose undo brings back what was
    /// observed; nothing differs, nothing planned (`owner:`/`from:` as
    /// written are not compared: they are not observed).
    /// (what, desired files, observed files, steps as (op, undo)).
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, FileState)>,
        Vec<(&'a str, FileState)>,
        Vec<(Op, Op)>,
    );

    #[test]
    fn each_difference_is_one_step_undone_to_what_was_seen() {
        let want = file("x\n", 0o644);
        let mut observed_as = file("x\n", 0o644);
        observed_as.owner = None;
        let mut other_owner = want.clone();
        other_owner.uid = 7;
        let path = "/d/f";
        let remove = Op::RemoveFile {
            at: At {
                node: "a".into(),
                netns: Some("l-a".into()),
            },
            path: path.into(),
        };
        let write = |f: &FileState| Op::WriteFile {
            at: At {
                node: "a".into(),
                netns: Some("l-a".into()),
            },
            path: path.into(),
            file: f.clone(),
        };
        let table: Vec<Case> = vec![
            (
                "same",
                vec![(path, want.clone())],
                vec![(path, observed_as)],
                vec![],
            ),
            (
                "missing",
                vec![(path, want.clone())],
                vec![],
                vec![(write(&want), remove.clone())],
            ),
            (
                "bytes",
                vec![(path, want.clone())],
                vec![(path, file("y\n", 0o644))],
                vec![(write(&want), write(&file("y\n", 0o644)))],
            ),
            (
                "mode",
                vec![(path, want.clone())],
                vec![(path, file("x\n", 0o600))],
                vec![(write(&want), write(&file("x\n", 0o600)))],
            ),
            (
                "owner",
                vec![(path, want.clone())],
                vec![(path, other_owner.clone())],
                vec![(write(&want), write(&other_owner))],
            ),
            (
                "not listed",
                vec![],
                vec![(path, want.clone())],
                vec![(remove.clone(), write(&want))],
            ),
        ];
        for (what, d, o, steps) in table {
            let p = crate::plan::plan(&lab(&d), &lab(&o));
            let got: Vec<(Op, Op)> = p
                .steps
                .iter()
                .map(|s| (s.op.clone(), s.undo.clone().unwrap_or_default().remove(0)))
                .collect();
            assert_eq!(got, steps, "{what}");
        }
    }
}
