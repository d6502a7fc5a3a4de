//! The [`Lab`]'s probes: `ping`, the file's checks, one check, a
//! scenario (as `nslab ping`, `check` and `test`).

use super::{Backend, Error, Lab};
use crate::check::{self, Check, Outcome};
use crate::scenario::{self, ScenarioResult};
use std::time::Duration;

impl Lab {
    /// Whether `from` gets an ICMP echo reply from `to`'s first address:
    /// `Ok(false)` only when the echo request went out and nothing came
    /// back; [`Error::CouldNotAsk`] when it could not be sent at all.
    pub fn ping(&self, from: &str, to: &str) -> Result<bool, Error> {
        let ip = check::first_address(&self.desired, to).ok_or_else(|| Error::NoAddress {
            node: to.to_string(),
        })?;
        let c = Check {
            text: format!("{from} -> {to}"),
            from: from.to_string(),
            from_netns: self.netns(from)?,
            to_netns: self.netns(to)?,
            to: ip,
            port: None,
            proto: check::Proto::Icmp,
            reply_from: None,
            seen_as: None,
            should_answer: true,
            within: None,
        };
        if let Backend::Child(ch) = &self.backend {
            return ch.ping(from, to);
        }
        let o = check::probe(&c);
        asked(&c, &o)?;
        Ok(o.pass)
    }

    /// The file's `expect:` checks, each with what it saw; an error when
    /// one of them could not be made (it would prove nothing).
    pub fn checks(&self) -> Result<Vec<(Check, Outcome)>, Error> {
        let results = match &self.backend {
            Backend::InProcess => check::run(&self.topology, &self.desired).map_err(no_node)?,
            Backend::Child(c) => c.checks(
                check::resolve_list(&self.topology, &self.desired, &self.topology.expect)
                    .map_err(no_node)?,
            )?,
        };
        for (c, o) in &results {
            asked(c, o)?;
        }
        Ok(results)
    }

    /// One check written as the file writes one: a line (`a -> c`,
    /// `a -x 10.0.0.3`) or a flow map (`{ from: a, to: "c:7000", proto: tcp,
    /// reply-from: c }`), retried for up to `within` as `within:` does:
    /// what it saw. Read by the model against the lab's nodes and their
    /// addresses (a check naming no node of the lab is [`Error::Invalid`],
    /// its place on line 2 of a text holding the check), then resolved
    /// against the lab itself; an error when the probe could not be made.
    pub fn check(&self, expr: &str, within: Option<Duration>) -> Result<(Check, Outcome), Error> {
        let entry = entry_of(expr, within);
        // The lab's nodes, each with its addresses (the model refuses a
        // probe of a node without one): enough for the model to read the
        // check, which is then resolved against the lab itself.
        let nodes: serde_json::Map<String, serde_json::Value> = self
            .topology
            .nodes
            .keys()
            .map(|n| {
                let addrs: std::collections::BTreeSet<String> = self
                    .desired
                    .nodes
                    .get(n.as_str())
                    .map(|s| {
                        s.links
                            .values()
                            .flat_map(|l| l.addresses.iter().map(ToString::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let node = if addrs.is_empty() {
                    serde_json::json!({})
                } else {
                    serde_json::json!({ "interfaces": { "p0": { "kind": "bridge", "addresses": addrs } } })
                };
                (n.to_string(), node)
            })
            .collect();
        let text = format!(
            "{{\"lab\": {}, \"nodes\": {},\n\"expect\": [{entry}]}}",
            serde_json::Value::from(self.name()),
            serde_json::Value::Object(nodes)
        );
        let t = nslab_model::parse_str(
            &format!("check `{expr}`"),
            &text,
            &nslab_model::AnyHostInterfaces,
        )
        .map_err(Error::Invalid)?;
        let checks =
            check::resolve_list(&self.topology, &self.desired, &t.expect).map_err(no_node)?;
        let Some(last) = checks.last().cloned() else {
            return Err(Error::NoCheck {
                given: expr.to_string(),
            });
        };
        let (c, o) = match &self.backend {
            Backend::InProcess => (last, check::run_all(&checks).pop().unwrap_or_else(not_run)),
            Backend::Child(ch) => ch.check_one(&self.topology.source.text, &entry, last)?,
        };
        asked(&c, &o)?;
        Ok((c, o))
    }

    /// Run the file's scenario `name` (healed when it ends).
    pub fn test(&self, name: &str) -> Result<ScenarioResult, Error> {
        let sc = self
            .topology
            .scenarios
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::NoScenario {
                lab: self.name().to_string(),
                scenario: name.to_string(),
                scenarios: self
                    .topology
                    .scenarios
                    .iter()
                    .map(|s| s.name.to_string())
                    .collect(),
            })?;
        if let Backend::Child(c) = &self.backend {
            // Step N's checks, as the scenario resolves them.
            let resolved = |n: usize| match n
                .checked_sub(1)
                .and_then(|i| sc.steps.get(i))
                .map(|s| &s.kind)
            {
                Some(nslab_model::StepKind::Expect(list)) => {
                    check::resolve_list(&self.topology, &self.desired, list).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            return c.test(name, &resolved);
        }
        Ok(scenario::run(
            &self.topology,
            &self.desired,
            sc,
            false,
            &mut |_| {},
        ))
    }
}

/// A probe that could not be made is an error: it proves nothing.
fn asked(c: &Check, o: &Outcome) -> Result<(), Error> {
    if o.asked {
        return Ok(());
    }
    Err(Error::CouldNotAsk {
        check: c.text.clone(),
        why: o.seen.clone(),
    })
}

fn no_node(e: check::CheckError) -> Error {
    match e {
        check::CheckError::NoAddress { node, .. } => Error::NoAddress { node },
        check::CheckError::NoNode { lab, node, nodes } => Error::NoNode { lab, node, nodes },
    }
}

/// What `run_all` gave no outcome for (it gives one per check).
fn not_run() -> Outcome {
    Outcome {
        pass: false,
        seen: "not run".into(),
        took: Duration::ZERO,
        asked: false,
    }
}

/// The check as an `expect:` entry, with `within`.
fn entry_of(expr: &str, within: Option<Duration>) -> String {
    let within = within.map(|w| format!("\"{}ms\"", w.as_millis().max(1)));
    let map = expr.trim();
    match (
        map.strip_prefix('{').and_then(|m| m.strip_suffix('}')),
        within,
    ) {
        (Some(fields), Some(w)) => format!("{{{fields}, within: {w}}}"),
        (Some(_), None) => map.to_string(),
        (None, w) => {
            let mut e = serde_json::json!({ "check": expr }).to_string();
            if let Some(w) = w {
                e.pop();
                e.push_str(&format!(", \"within\": {w}}}"));
            }
            e
        }
    }
}
