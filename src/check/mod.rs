//! `expect:` checks: each one a probe from inside a node (ICMP echo over a
//! raw socket, or a TCP/UDP/HTTP client talking to the built-in responder),
//! run in parallel, each passing or failing on its own.

pub mod junit;
mod run;

pub use run::{cli, demo, ping_cli, run_checks};

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Icmp,
    Tcp,
    Udp,
    Http,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Icmp => "icmp",
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Http => "http",
        })
    }
}

/// One check, resolved: where from (a namespace), to which address.
#[derive(Debug, Clone)]
pub struct Check {
    /// How the file wrote it, for the report.
    pub text: String,
    pub from: String,
    /// `None` for the host node.
    pub from_netns: Option<String>,
    pub to: IpAddr,
    pub port: Option<u16>,
    pub proto: Proto,
    /// `<lab>/<node>` the answer must come from.
    pub reply_from: Option<String>,
    pub seen_as: Option<IpAddr>,
    /// `false` for `-x` and `expect: fail`: passes when nothing answers.
    pub should_answer: bool,
}

/// What a check saw.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub pass: bool,
    /// What was seen, in words ("answered by demo/nginx as 10.0.0.2",
    /// "timeout after 1s", "refused").
    pub seen: String,
    pub took: Duration,
}

/// Judge one probe result against the check. `answer` is `Ok((label,
/// seen_as))` when something answered, `Err(reason)` when nothing did.
pub fn judge(
    check: &Check,
    answer: Result<(Option<String>, Option<IpAddr>), String>,
) -> (bool, String) {
    match (answer, check.should_answer) {
        (Err(why), true) => (false, why),
        (Err(why), false) => (true, format!("no answer, as expected ({why})")),
        (Ok((label, seen)), should) => {
            let who = match (&label, &seen) {
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
                if seen != Some(want) {
                    let got = seen
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
            to: "10.0.0.2".parse().expect("ip"),
            port: Some(80),
            proto: Proto::Tcp,
            reply_from: Some("t/nginx".into()),
            seen_as: Some("10.0.0.1".parse().expect("ip")),
            should_answer: should,
        }
    }

    #[test]
    fn the_right_node_seen_as_the_right_address_passes() {
        let ok = judge(
            &check(true),
            Ok((
                Some("t/nginx".into()),
                Some("10.0.0.1".parse().expect("ip")),
            )),
        );
        assert!(ok.0, "{}", ok.1);
    }

    #[test]
    fn the_wrong_node_or_source_fails_and_says_why() {
        let (pass, why) = judge(
            &check(true),
            Ok((
                Some("t/gitlab".into()),
                Some("10.0.0.1".parse().expect("ip")),
            )),
        );
        assert!(!pass);
        assert!(why.contains("t/gitlab") && why.contains("t/nginx"), "{why}");
        let (pass, why) = judge(
            &check(true),
            Ok((
                Some("t/nginx".into()),
                Some("172.17.0.1".parse().expect("ip")),
            )),
        );
        assert!(!pass);
        assert!(why.contains("seen as 172.17.0.1"), "{why}");
    }

    #[test]
    fn no_answer_fails_a_positive_check_and_passes_a_negative_one() {
        assert!(!judge(&check(true), Err("timeout".into())).0);
        assert!(judge(&check(false), Err("timeout".into())).0);
        assert!(!judge(&check(false), Ok((None, None))).0);
    }
}
