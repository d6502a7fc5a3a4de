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
    after_help = "LAB is a lab's name or the path of its topology file. The file format: docs/topology.md.\n\
Commands that change or read the kernel need root, or act on a lab of the user's without root (up --rootless, NSLAB_ROOTLESS=1, the default when not root: docs/rootless.md); validate, graph and plan --offline need neither.\n\
Exit status: 0 success, 1 a check or command failed, 2 bad input (nothing was changed), 3 `plan --exit-code` found changes.\n\n\
Example:\n  nslab demo"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// `LAB`: the same words on every command that takes one.
const LAB: &str = "A lab that is up: its name, or the path of its topology file";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the kernel match FILE (the built-in demo lab when FILE is omitted).
    #[command(after_help = "Example:\n  nslab up examples/bridge.yaml --check")]
    Up {
        /// The topology file (`-` reads standard input); none: the built-in demo lab.
        file: Option<PathBuf>,
        /// Run the file's `expect:` checks afterwards.
        #[arg(long)]
        check: bool,
        /// Print one JSON value (the operations done, and the checks with --check) instead of the summary.
        #[arg(long)]
        json: bool,
        /// Without root: in a user namespace of the user's, kept under $XDG_RUNTIME_DIR/nslab
        /// (also NSLAB_ROOTLESS=1; the default when not root).
        #[arg(long)]
        rootless: bool,
    },
    /// Remove everything the lab owns, and nothing else (a lab that is not up: says so, exit 0).
    #[command(after_help = "Example:\n  nslab down bridge")]
    Down {
        #[arg(help = LAB)]
        lab: String,
        /// Print the operations done as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print what `up` would do, as the equivalent `ip`/`nft` commands, without doing it.
    #[command(after_help = "Example:\n  nslab plan bridge --exit-code")]
    Plan {
        /// A topology file (`-` reads standard input), or the name of a lab that is up (planned
        /// against the file it was brought up from, as kept with it); none: the built-in demo lab.
        #[arg(value_name = "LAB")]
        lab: Option<String>,
        /// Exit 0 when the kernel already matches, 3 when `up` would change something.
        #[arg(long)]
        exit_code: bool,
        /// Plan against an empty machine, without looking at the kernel (needs no root).
        #[arg(long)]
        offline: bool,
        /// Print the operations as a JSON array.
        #[arg(long)]
        json: bool,
        /// Print the whole lab as a POSIX shell script (`ip -batch`, `nft -f`), with `up`
        /// and `down` functions, to keep or run where nslab is not installed (needs no root).
        #[arg(long, conflicts_with_all = ["exit_code", "offline", "json"])]
        script: bool,
    },
    /// Check a topology file: every problem, with file:line:column and a hint.
    #[command(after_help = "Example:\n  nslab validate examples/bridge.yaml")]
    Validate {
        /// The topology file; `-` reads standard input.
        file: PathBuf,
        /// Print the verdict and every problem as one JSON object.
        #[arg(long)]
        json: bool,
        /// Also refuse what a lab without root cannot have (`kind: host`, `physical`,
        /// `owner:` other than root, sysctls the kernel keeps for root): see
        /// docs/rootless.md.
        #[arg(long)]
        rootless: bool,
    },
    /// The labs on this host, their node count and health.
    #[command(after_help = "Example:\n  nslab ls")]
    Ls {
        /// Print the labs as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Interfaces, addresses, routes and peers of a lab's nodes, as the kernel has them now.
    #[command(after_help = "Example:\n  nslab show bridge sw")]
    Show {
        #[arg(help = LAB)]
        lab: String,
        /// Show only this node.
        node: Option<String>,
        /// Print the nodes as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run a command inside a node, as `ip netns exec` would; its exit status is the command's.
    #[command(after_help = "Example:\n  nslab exec bridge net1 -- ip -br addr")]
    Exec {
        #[arg(help = LAB)]
        lab: String,
        /// The node to run the command in.
        node: String,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, num_args = 1..)]
        cmd: Vec<OsString>,
    },
    /// An interactive shell inside a node, its prompt naming the lab and node.
    #[command(after_help = "Example:\n  nslab shell bridge net1")]
    Shell {
        #[arg(help = LAB)]
        lab: String,
        /// The node to open the shell in.
        node: String,
    },
    /// Run the `expect:` checks of the lab (of FILE as it is now, when LAB is a file).
    #[command(after_help = "Example:\n  nslab check bridge --junit checks.xml")]
    Check {
        #[arg(help = LAB)]
        lab: String,
        /// Also write the results as a JUnit XML file, for CI.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Print the results as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Reachability by ICMP echo: one pair, one node to all, or every pair.
    #[command(after_help = "Example:\n  nslab ping bridge net1 net2")]
    Ping {
        #[arg(help = LAB)]
        lab: String,
        /// The node to ping from (none: every node).
        from: Option<String>,
        /// The node to ping (none: every other node); it is pinged at its first address.
        to: Option<String>,
        /// Print one JSON object per pair, in an array.
        #[arg(long)]
        json: bool,
    },
    /// Watch an interface of a node, one line per packet, or write a pcap file.
    #[command(after_help = "Example:\n  nslab capture bridge sw:js -c 10")]
    Capture {
        #[arg(help = LAB)]
        lab: String,
        /// The interface to watch, as NODE:INTERFACE.
        #[arg(value_name = "NODE:IF")]
        target: String,
        /// Write a pcap file instead of one line per packet.
        #[arg(short = 'w', long, value_name = "FILE")]
        write: Option<PathBuf>,
        /// Stop after this many packets.
        #[arg(short = 'c', long, value_name = "N")]
        count: Option<u64>,
        /// Stop after this many seconds.
        #[arg(short = 's', long, value_name = "SECS")]
        seconds: Option<u64>,
        /// Keep only these protocols (comma-separated or repeated): arp, ip,
        /// ip6, icmp, icmp6, ndp, tcp, udp, dns, vxlan, vlan.
        #[arg(long, value_delimiter = ',', value_name = "PROTO")]
        filter: Vec<nslab_probe::capture::Proto>,
        /// Keep only packets to or from ADDR (repeatable; ARP by sender or target).
        #[arg(long, value_name = "ADDR")]
        host: Vec<std::net::IpAddr>,
        /// One JSON object per packet (time, direction, length, summary).
        #[arg(long)]
        json: bool,
    },
    /// Watch a lab change: links, carrier, addresses, routes, neighbours, bridge FDB.
    #[command(after_help = "Example:\n  nslab events bridge net1 --json --count 5")]
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
    /// The topology as a graph (Graphviz dot or Mermaid); needs no root.
    #[command(
        after_help = "Example:\n  nslab graph examples/docker-bridge.yaml | dot -Tsvg > docker.svg"
    )]
    Graph {
        /// A lab that is up, or a topology file.
        #[arg(value_name = "LAB|FILE")]
        lab: String,
        /// The output language.
        #[arg(long, value_enum, default_value = "dot")]
        format: super::graph::Format,
    },
    /// The fault commands and `test` (`link` … `test` in the help).
    #[command(flatten)]
    Fault(FaultCommand),
    /// The built-in demo: up, check, show, down.
    #[command(after_help = "Example:\n  nslab demo")]
    Demo,
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  nslab completions bash > /etc/bash_completion.d/nslab")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), every command's options in it; or write one page per command.
    #[command(after_help = "Example:\n  nslab man --dir /usr/local/share/man/man1")]
    Man {
        /// Write nslab.1 and a page per command (nslab-up.1, ...) into DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Internal: the holder of a lab without root (its user namespace), started by `up`.
    #[command(name = "__hold", hide = true)]
    Hold {
        /// The lab's name.
        #[arg(value_name = "LAB")]
        name: String,
    },
    /// Internal: the built-in responder of `serve:`, run inside a node.
    #[command(name = "__serve", hide = true)]
    Serve {
        /// `<lab>/<node>`, the first word of every answer.
        label: String,
        /// `tcp/PORT` and `udp/PORT`.
        services: Vec<String>,
    },
}

/// The commands that put faults in, take them out, or run scenarios.
#[derive(Debug, Subcommand)]
pub enum FaultCommand {
    /// Take an interface down or up again at run time (a fault; `heal` undoes it).
    #[command(after_help = "Example:\n  nslab link failover rb:p1 down --both")]
    Link {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// NODE:INTERFACE
        #[arg(value_name = "NODE:IF")]
        target: String,
        /// The interface's new admin state.
        #[arg(value_enum)]
        state: super::faults::UpDown,
        /// Both ends of the link (the far end of the veth too).
        #[arg(long)]
        both: bool,
    },
    /// Change an interface's impairment at run time (netem, in place; `heal` undoes it).
    #[command(after_help = "Example:\n  nslab impair failover a:eth0 --delay 50ms --loss 1%")]
    Impair {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// NODE:INTERFACE
        #[arg(value_name = "NODE:IF")]
        target: String,
        #[command(flatten)]
        flags: super::faults::ImpairFlags,
    },
    /// Drop every packet between nodes of different groups (`a,b c`); partitions add up.
    #[command(after_help = "Example:\n  nslab partition partition n1,n2 n3")]
    Partition {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// Two or more groups, each node names joined by commas.
        #[arg(required = true, num_args = 2..)]
        groups: Vec<String>,
        /// Only from the first group to the others.
        #[arg(long)]
        one_way: bool,
    },
    /// A failed host: every interface of NODE down and its processes frozen.
    #[command(after_help = "Example:\n  nslab stop partition n3")]
    Stop {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// The node to stop.
        node: String,
    },
    /// Bring a stopped node back as it was.
    #[command(after_help = "Example:\n  nslab start partition n3")]
    Start {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// The node to start again.
        node: String,
    },
    /// Remove every fault: the lab as its file says.
    #[command(after_help = "Example:\n  nslab heal failover")]
    Heal {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// What was healed, as one JSON value.
        #[arg(long)]
        json: bool,
    },
    /// Run the file's scenarios (all, or those named) against the lab; faults healed after each.
    #[command(after_help = "Example:\n  nslab test failover --junit failover.xml")]
    Test {
        /// The lab's name, or the path of its topology file.
        lab: String,
        /// Only these scenarios (default: all, in the file's order).
        #[arg(value_name = "SCENARIO")]
        scenarios: Vec<String>,
        /// Write JUnit XML: one test suite per scenario, one test case per step.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// The results as one JSON value.
        #[arg(long)]
        json: bool,
        /// Go on after a failed step (the scenario still fails).
        #[arg(long)]
        keep_going: bool,
    },
}

#[cfg(test)]
mod tests;
