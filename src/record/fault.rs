//! Faults put into a running lab on purpose (`nslab link`, `impair`,
//! `partition`, `stop`), kept in its record so `show` lists them, `heal`
//! and `up` undo them and `down` removes what they left. Each is recorded
//! as being put in (`Record::pending`) before the kernel is touched, and
//! as in force (`Record::faults`) once applied: a run killed half-way
//! still leaves it recorded and undone, and undoing one that was never
//! applied is harmless; `show` lists as in force only what was applied.

use crate::state::Impair;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "kebab-case")]
pub enum Fault {
    /// `nslab link LAB NODE:IF down`: the interface is administratively
    /// down.
    LinkDown { node: String, ifname: String },
    /// `nslab impair LAB NODE:IF ...`: the interface's egress impairment
    /// at run time (`None`: none, whatever the file says).
    Impair {
        node: String,
        ifname: String,
        impair: Option<Impair>,
    },
    /// `nslab partition LAB a,b c`: packets between nodes of different
    /// groups are dropped (with `one_way`, only from the first group to
    /// the others).
    Partition {
        groups: Vec<Vec<String>>,
        one_way: bool,
    },
    /// `nslab stop LAB NODE`: the node's interfaces `downed` (those that
    /// were up) are down and its processes are frozen.
    Stopped {
        node: String,
        downed: Vec<String>,
        /// What `stop` froze, which `start` thaws (and no more); `None`
        /// (a record from before it was kept): every process of the node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        took: Option<Took>,
    },
}

/// What `stop` froze of a node: its processes that were running (pid
/// and start time), and whether it paused its container. A process or
/// container frozen before `stop` is not listed: `start` leaves it so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Took {
    pub processes: Vec<(i32, u64)>,
    pub paused: bool,
}

impl Fault {
    /// The nodes the fault touches.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Fault::LinkDown { node, .. }
            | Fault::Impair { node, .. }
            | Fault::Stopped { node, .. } => vec![node.as_str()],
            Fault::Partition { groups, .. } => {
                groups.iter().flatten().map(String::as_str).collect()
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::LinkDown { node, ifname } => write!(f, "link {node}:{ifname} down"),
            Fault::Impair {
                node,
                ifname,
                impair,
            } => {
                write!(f, "impair {node}:{ifname}")?;
                match impair {
                    Some(i) => write!(f, "{}", impair_words(i)),
                    None => write!(f, " none"),
                }
            }
            Fault::Partition { groups, one_way } => {
                let g: Vec<String> = groups.iter().map(|g| g.join(",")).collect();
                let sep = if *one_way { " -/-> " } else { " | " };
                write!(f, "partition {}", g.join(sep))?;
                if *one_way {
                    write!(f, " (one way)")?;
                }
                Ok(())
            }
            Fault::Stopped { node, .. } => write!(f, "stop {node}"),
        }
    }
}

/// ` delay 50ms jitter 5ms loss 1% rate 10mbit`, as the flags are written.
pub fn impair_words(i: &Impair) -> String {
    let mut s = String::new();
    let ms = |us: u32| {
        if us.is_multiple_of(1000) {
            format!("{}ms", us / 1000)
        } else {
            format!("{}us", us)
        }
    };
    if let Some(d) = i.delay_us {
        s.push_str(&format!(" delay {}", ms(d)));
    }
    if let Some(j) = i.jitter_us {
        s.push_str(&format!(" jitter {}", ms(j)));
    }
    if let Some(l) = i.loss_ppm {
        let pct = f64::from(l) / 10_000.0;
        s.push_str(&format!(" loss {pct}%"));
    }
    if let Some(r) = i.rate_bps {
        if r.is_multiple_of(1_000_000) {
            s.push_str(&format!(" rate {}mbit", r / 1_000_000));
        } else if r.is_multiple_of(1000) {
            s.push_str(&format!(" rate {}kbit", r / 1000));
        } else {
            s.push_str(&format!(" rate {r}bit"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind reads back as written, and a record without faults (one
    /// written before faults existed) reads as having none.
    #[test]
    fn faults_round_trip_and_old_records_have_none() {
        let all = vec![
            Fault::LinkDown {
                node: "r1".into(),
                ifname: "eth1".into(),
            },
            Fault::Impair {
                node: "a".into(),
                ifname: "eth0".into(),
                impair: Some(Impair {
                    delay_us: Some(50_000),
                    loss_ppm: Some(10_000),
                    ..Impair::default()
                }),
            },
            Fault::Partition {
                groups: vec![vec!["a".into(), "b".into()], vec!["c".into()]],
                one_way: true,
            },
            Fault::Stopped {
                node: "b".into(),
                downed: vec!["eth0".into()],
                took: None,
            },
            Fault::Stopped {
                node: "c".into(),
                downed: Vec::new(),
                took: Some(Took {
                    processes: vec![(42, 7)],
                    paused: true,
                }),
            },
        ];
        let mut r = super::super::Record::new("t");
        r.faults = all.clone();
        let back = super::super::Record::from_json(&r.to_json()).expect("read");
        assert_eq!(back.faults, all);
        let old = br#"{"lab":"t","source":"f","nodes":{},"physical":{},"processes":[],"incomplete":false}"#;
        let old = super::super::Record::from_json(old).expect("old record");
        assert!(old.faults.is_empty());
        let words: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "link r1:eth1 down",
                "impair a:eth0 delay 50ms loss 1%",
                "partition a,b -/-> c (one way)",
                "stop b",
                "stop c"
            ]
        );
    }
}
