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
        /// Keep only these protocols (comma-separated or repeated): arp, ip,
        /// ip6, icmp, icmp6, ndp, tcp, udp, dns, vxlan, vlan.
        #[arg(long, value_delimiter = ',', value_name = "PROTO")]
        filter: Vec<nslab_probe::capture::Proto>,
        /// Keep only packets to or from ADDR (repeatable; ARP by sender or target).
        #[arg(long, value_name = "ADDR")]
        host: Vec<std::net::IpAddr>,
    },
    /// Watch a lab change: links, carrier, addresses, routes, neighbours, bridge FDB.
    #[command(
        after_help = "Example:\n  nslab events bridge            # every node, until Ctrl-C\n  nslab events bridge net1 --json -c 5"
    )]
    Events {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// Only this node.
        node: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Stop after N events.
        #[arg(short = 'c', long, value_name = "N")]
        count: Option<u64>,
        /// Stop after SECS seconds.
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
    },
    /// The topology as a graph (Graphviz dot or Mermaid).
    Graph {
        lab: String,
        #[arg(long, value_enum, default_value = "dot")]
        format: super::graph::Format,
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
