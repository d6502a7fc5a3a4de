//! A network's `isolate` and `internal` (issue 18, item 2): their
//! defaults, what they rule out together with `masquerade` and
//! `publish` (each refused at its own place, the file otherwise read),
//! and wrong types refused.

use nslab_model::{parse_str, Loc, NoHostInterfaces, ProblemKind, ProblemKind::*};

const HEAD: &str = "lab: f\nnodes:\n  gw: {}\nnetworks:\n  br0: { node: gw, subnet: 10.1.0.0/24";

/// The network's entry with `extra` keys (and a member `m` with
/// `member` keys).
fn file(extra: &str, member: &str) -> String {
    format!("{HEAD}{extra}, members: {{ m: {{ {member} }} }} }}\n")
}

fn problems(text: &str) -> Vec<(ProblemKind, Loc)> {
    match parse_str("f.yaml", text, &NoHostInterfaces) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(|p| (p.kind, p.loc)).collect(),
    }
}

/// Column (1-based) of the first `what` in line 5 of `text`.
fn at(text: &str, what: &str) -> Loc {
    let line = text.lines().nth(4).unwrap_or_default();
    let col = line.find(what).map_or(0, |c| c + 1);
    Loc::new(5, u32::try_from(col).unwrap_or(0))
}

/// Every combination of the three booleans written or left out: the
/// file is read, with the documented defaults, exactly when it does not
/// ask for a masquerade out of an internal network.
#[test]
fn the_flags_and_their_defaults() {
    let opts = [None, Some(false), Some(true)];
    for isolate in opts {
        for internal in opts {
            for masquerade in opts {
                let mut extra = String::new();
                for (k, v) in [
                    ("isolate", isolate),
                    ("internal", internal),
                    ("masquerade", masquerade),
                ] {
                    if let Some(v) = v {
                        extra.push_str(&format!(", {k}: {v}"));
                    }
                }
                let text = file(&extra, "");
                let int = internal.unwrap_or(false);
                let refused = int && masquerade == Some(true);
                match parse_str("f.yaml", &text, &NoHostInterfaces) {
                    Ok(t) => {
                        assert!(!refused, "read: {text}");
                        let net = t.networks.values().next().expect("one network");
                        assert_eq!(net.isolate, isolate.unwrap_or(true), "{text}");
                        assert_eq!(net.internal, int, "{text}");
                        assert_eq!(net.masquerade, masquerade.unwrap_or(!int), "{text}");
                    }
                    Err(p) => {
                        assert!(refused, "refused: {text}\n{}", p.render_plain());
                        let got: Vec<_> = p.iter().map(|p| (p.kind, p.loc)).collect();
                        // At the value `true` of `masquerade: true`.
                        let key = at(&text, "masquerade: true");
                        let value = Loc::new(key.line, key.col + 12);
                        assert_eq!(got, [(InvalidValue, value)], "{text}");
                    }
                }
            }
        }
    }
}

/// A member of an internal network cannot publish a port (nothing from
/// outside reaches it); the same member of another network can.
#[test]
fn publish_on_an_internal_network_is_refused() {
    let publish = "publish: [\"8080:80\"]";
    let text = file(", internal: true", publish);
    assert_eq!(problems(&text), [(InvalidValue, at(&text, "m: {"))]);
    assert_eq!(problems(&file(", isolate: false", publish)), []);
}

#[test]
fn flags_are_booleans() {
    for key in ["isolate", "internal"] {
        let text = file(&format!(", {key}: maybe"), "");
        assert_eq!(problems(&text), [(WrongType, at(&text, "maybe"))]);
    }
}
