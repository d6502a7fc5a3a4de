//! What the user typed, and nothing more (no syscalls): parsed by clap and
//! tested flag by flag.

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "nslab",
    version,
    about = "Virtual networks on one Linux machine, from one topology file, straight over netlink",
    after_help = "LAB is a lab's name or the path of its topology file.\nExit status: 0 success, 1 a check or command failed, 2 bad input (nothing was changed), 3 `plan --exit-code` found changes."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the kernel match FILE (the built-in demo lab when FILE is omitted).
    Up {
        file: Option<PathBuf>,
        /// Run the file's `expect:` checks afterwards.
        #[arg(long)]
        check: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove everything the lab owns, and nothing else.
    Down {
        lab: String,
        #[arg(long)]
        json: bool,
    },
    /// Print what `up` would do, without doing it.
    Plan {
        file: Option<PathBuf>,
        /// Exit 0 when the kernel already matches, 3 when `up` would change something.
        #[arg(long)]
        exit_code: bool,
        /// Plan against an empty machine, without looking at the kernel.
        #[arg(long)]
        offline: bool,
        #[arg(long)]
        json: bool,
    },
    /// Check a topology file: every problem, with file:line:column and a hint.
    Validate {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The labs on this host.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Interfaces, addresses, routes and peers of a lab's nodes.
    Show {
        lab: String,
        node: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run a command inside a node, as `ip netns exec` would.
    Exec {
        lab: String,
        node: String,
        #[arg(last = true, required = true, num_args = 1..)]
        cmd: Vec<OsString>,
    },
    /// An interactive shell inside a node.
    Shell { lab: String, node: String },
    /// Run the lab's `expect:` checks.
    Check {
        lab: String,
        #[arg(long)]
        junit: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Reachability: one pair, one node to all, or every pair.
    Ping {
        lab: String,
        from: Option<String>,
        to: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Watch an interface of a node, or write a pcap file.
    Capture {
        lab: String,
        /// NODE:INTERFACE
        target: String,
        /// Write a pcap file instead of one line per packet.
        #[arg(short = 'w', long)]
        write: Option<PathBuf>,
        /// Stop after this many packets.
        #[arg(short = 'c', long)]
        count: Option<u64>,
        /// Stop after this many seconds.
        #[arg(short = 's', long)]
        seconds: Option<u64>,
    },
    /// The topology as a graph (Graphviz dot or Mermaid).
    Graph {
        lab: String,
        #[arg(long, value_enum, default_value = "dot")]
        format: super::graph::Format,
    },
    /// Take an interface down or up again at run time (a fault; `heal` undoes it).
    Link {
        lab: String,
        /// NODE:INTERFACE
        target: String,
        #[arg(value_enum)]
        state: super::faults::UpDown,
        /// Both ends of the link (the far end of the veth too).
        #[arg(long)]
        both: bool,
    },
    /// Change an interface's impairment at run time (netem, in place; `heal` undoes it).
    Impair {
        lab: String,
        /// NODE:INTERFACE
        target: String,
        #[command(flatten)]
        flags: super::faults::ImpairFlags,
    },
    /// Drop every packet between nodes of different groups (`a,b c`); partitions add up.
    Partition {
        lab: String,
        /// Two or more groups, each node names joined by commas.
        #[arg(required = true, num_args = 2..)]
        groups: Vec<String>,
        /// Only from the first group to the others.
        #[arg(long)]
        one_way: bool,
    },
    /// A failed host: every interface of NODE down and its processes frozen.
    Stop { lab: String, node: String },
    /// Bring a stopped node back as it was.
    Start { lab: String, node: String },
    /// Remove every fault: the lab as its file says.
    Heal {
        lab: String,
        #[arg(long)]
        json: bool,
    },
    /// Run the file's scenarios (all, or those named) against the lab; faults healed after each.
    Test {
        lab: String,
        scenarios: Vec<String>,
        /// Write JUnit XML: one test suite per scenario, one test case per step.
        #[arg(long)]
        junit: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Go on after a failed step (the scenario still fails).
        #[arg(long)]
        keep_going: bool,
    },
    /// The built-in demo: up, check, show, down.
    Demo,
    /// Internal: the built-in responder of `serve:`, run inside a node.
    #[command(name = "__serve", hide = true)]
    Serve {
        label: String,
        services: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        let mut v = vec!["nslab"];
        v.extend_from_slice(args);
        Args::try_parse_from(v).map(|a| a.command)
    }

    #[test]
    fn up_without_a_file_is_the_demo_lab() {
        assert!(matches!(
            parse(&["up"]),
            Ok(Command::Up {
                file: None,
                check: false,
                ..
            })
        ));
        assert!(matches!(
            parse(&["up", "x.yaml", "--check"]),
            Ok(Command::Up {
                file: Some(_),
                check: true,
                ..
            })
        ));
    }

    #[test]
    fn exec_takes_everything_after_the_double_dash() {
        let Ok(Command::Exec { lab, node, cmd }) =
            parse(&["exec", "demo", "h1", "--", "ip", "-br", "addr"])
        else {
            panic!("exec did not parse");
        };
        assert_eq!((lab.as_str(), node.as_str()), ("demo", "h1"));
        assert_eq!(cmd, vec![OsString::from("ip"), "-br".into(), "addr".into()]);
        assert!(
            parse(&["exec", "demo", "h1"]).is_err(),
            "a command is required"
        );
    }

    #[test]
    fn plan_flags() {
        assert!(matches!(
            parse(&["plan", "f.yaml", "--exit-code", "--json"]),
            Ok(Command::Plan {
                exit_code: true,
                json: true,
                offline: false,
                ..
            })
        ));
    }

    #[test]
    fn down_needs_a_lab() {
        assert!(parse(&["down"]).is_err());
    }
}
