//! `expect:` checks: each one a probe from inside a node (ICMP echo over a
//! raw socket, or a TCP/UDP/HTTP client talking to the built-in responder),
//! run in parallel, each passing or failing on its own. Checks return what
//! they saw; printing it is the cli's job.

pub mod junit;
mod ping;
mod run;

pub use ping::{ping, Pinged};
pub use run::{first_address, probe, resolve_list, run, run_all};

use std::net::IpAddr;
use std::time::Duration;

/// What a check sends (the model's `proto:`).
pub use nslab_model::ProbeProto as Proto;

/// Why checks cannot be run at all (bad input: nothing was probed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("check from {from}: node {node} has no address to probe")]
    NoAddress { from: String, node: String },
    #[error("lab {lab} has no node {node}; its nodes: {}", nodes.join(", "))]
    NoNode {
        lab: String,
        node: String,
        nodes: Vec<String>,
    },
}

/// One check, resolved: where from (a namespace), to which address.
#[derive(Debug, Clone)]
pub struct Check {
    /// How the file wrote it, for the report.
    pub text: String,
    pub from: String,
    /// `None` for the host node.
    pub from_netns: Option<String>,
    /// The node the check targets by name, and its namespace (`None`: the
    /// check names an address, or the target is the host node).
    pub to_netns: Option<String>,
    pub to: IpAddr,
    pub port: Option<u16>,
    pub proto: Proto,
    /// `<lab>/<node>` the answer must come from.
    pub reply_from: Option<String>,
    pub seen_as: Option<IpAddr>,
    /// `false` for `-x` and `expect: fail`: passes when nothing answers.
    pub should_answer: bool,
    /// `within: 5s`: retried until it holds or the time is up.
    pub within: Option<Duration>,
}

/// What a check saw.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub pass: bool,
    /// What was seen, in words ("answered by demo/nginx as 10.0.0.2",
    /// "timeout after 1s", "refused").
    pub seen: String,
    pub took: Duration,
    /// Whether the probe could be made at all: `false` when it could not
    /// (a namespace gone, a socket refused), which proves nothing about
    /// the network and fails the check either way.
    pub asked: bool,
}

/// What a probe found. "Nobody answered" and "could not ask" are
/// different outcomes: the first is what a negative check wants, the second
/// fails every check, because it proves nothing about the network.
// `NoAnswer` and `Answered` say what they are; the shared word is the point.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Something answered: nslab's responder (with its label and the source
    /// address it saw), another server, or an echo reply.
    Answered {
        label: Option<String>,
        seen_as: Option<IpAddr>,
    },
    /// Something answered, but not in the form a probe expects (a TCP peer
    /// that reset the connection, an HTTP reply that does not parse).
    Unexpected(String),
    /// The probe went out and nothing came back: a timeout, a refused port,
    /// an ICMP error from a router, or the local kernel refusing to send
    /// because of the network as configured (no route, a firewall rule).
    NoAnswer(String),
    /// The probe could not be made: the node's namespace is gone, a socket
    /// could not be opened, the target node does not exist any more.
    CouldNotAsk(String),
}

/// Judge one probe result against the check.
pub fn judge(check: &Check, answer: Answer) -> (bool, String) {
    match (answer, check.should_answer) {
        (Answer::CouldNotAsk(why), _) => (false, format!("could not probe: {why}")),
        (Answer::NoAnswer(why), true) => (false, why),
        (Answer::NoAnswer(why), false) => (true, format!("no answer, as expected ({why})")),
        (Answer::Unexpected(what), true) => (false, what),
        (Answer::Unexpected(what), false) => (
            false,
            format!("something answered ({what}), but must not be reachable"),
        ),
        (Answer::Answered { label, seen_as }, should) => {
            let who = match (&label, &seen_as) {
                (Some(l), Some(s)) => format!("answered by {l} as seen from {s}"),
                (Some(l), None) => format!("answered by {l}"),
                _ => "answered".to_string(),
            };
            if !should {
                return (false, format!("{who}, but must not be reachable"));
            }
            if let Some(want) = &check.reply_from {
                if label.as_deref() != Some(want.as_str()) {
                    let got =
                        label.unwrap_or_else(|| "something that is not nslab's responder".into());
                    return (false, format!("answered by {got}, expected {want}"));
                }
            }
            if let Some(want) = check.seen_as {
                if seen_as != Some(want) {
                    let got = seen_as
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "unknown".into());
                    return (false, format!("seen as {got}, expected {want}"));
                }
            }
            (true, who)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(should: bool) -> Check {
        Check {
            text: "a -> b".into(),
            from: "a".into(),
            from_netns: Some("t-a".into()),
            to_netns: Some("t-b".into()),
            to: "10.0.0.2".parse().expect("ip"),
            port: Some(80),
            proto: Proto::Tcp,
            reply_from: Some("t/nginx".into()),
            seen_as: Some("10.0.0.1".parse().expect("ip")),
            should_answer: should,
            within: None,
        }
    }

    fn answered(label: &str, seen: &str) -> Answer {
        Answer::Answered {
            label: Some(label.into()),
            seen_as: Some(seen.parse().expect("ip")),
        }
    }

    #[test]
    fn the_right_node_seen_as_the_right_address_passes() {
        let ok = judge(&check(true), answered("t/nginx", "10.0.0.1"));
        assert!(ok.0, "{}", ok.1);
    }

    #[test]
    fn the_wrong_node_or_source_fails_and_says_why() {
        let (pass, why) = judge(&check(true), answered("t/gitlab", "10.0.0.1"));
        assert!(!pass);
        assert!(why.contains("t/gitlab") && why.contains("t/nginx"), "{why}");
        let (pass, why) = judge(&check(true), answered("t/nginx", "172.17.0.1"));
        assert!(!pass);
        assert!(why.contains("seen as 172.17.0.1"), "{why}");
    }

    #[test]
    fn no_answer_fails_a_positive_check_and_passes_a_negative_one() {
        let none = || Answer::NoAnswer("timed out".into());
        assert!(!judge(&check(true), none()).0);
        assert!(judge(&check(false), none()).0);
        let anon = Answer::Answered {
            label: None,
            seen_as: None,
        };
        assert!(!judge(&check(false), anon).0);
    }

    /// Every way a probe can fail to be made fails the check, whichever
    /// way the check points; so does an unexpected answer to a negative
    /// check.
    #[test]
    fn could_not_ask_and_unexpected_answers_fail_both_kinds_of_check() {
        let outcomes = [
            Answer::CouldNotAsk("cannot enter node a: No such file or directory".into()),
            Answer::CouldNotAsk("raw ICMP socket: Operation not permitted".into()),
            Answer::CouldNotAsk("node b's namespace t-b does not exist".into()),
        ];
        for o in outcomes {
            for should in [true, false] {
                let (pass, why) = judge(&check(should), o.clone());
                assert!(!pass, "{o:?} with should_answer={should} passed");
                assert!(why.starts_with("could not probe: "), "{why}");
            }
        }
        let (pass, why) = judge(
            &check(false),
            Answer::Unexpected("connection reset after connecting".into()),
        );
        assert!(!pass);
        assert!(why.contains("must not be reachable"), "{why}");
        assert!(!judge(&check(true), Answer::Unexpected("bad reply".into())).0);
    }
}
