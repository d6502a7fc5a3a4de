//! `nslab plan --script`: a plan as a POSIX shell script that makes what
//! `up` makes, exactly — the same objects with the same marks (the lab's
//! alias on every link and on each namespace's `lo`, nslab's route
//! protocol, the NAT table's comment), so that `nslab` run afterwards
//! sees its own lab, and a `down` function that removes it. Unlike the
//! plan's lines (`show.rs`), which are for reading, every line here is
//! run as written: `ip -batch` and `nft -f` here-documents, in the order
//! of the plan's steps.

mod nft;
mod parts;
mod words;

use super::{At, NewEnd, Op, Plan};
use crate::state::{DeviceKind, LinkKind};
use nslab_types::names;
use std::fmt::Write as _;
use words::{end_opts, kind_words, route_words};

/// nslab's route protocol (`RTPROT_NSLAB` of the netlink crate, which only
/// the host layer names; `tests/script.rs` compares the routes a script
/// makes with those of `up`, protocol included).
pub const ROUTE_PROTOCOL: u8 = 231;

/// A run of commands: `ip` lines for one namespace (one `ip -batch`), or
/// a shell line of its own.
enum Block {
    Ip {
        netns: Option<String>,
        lines: Vec<String>,
    },
    Sh(String),
}

/// The blocks of one function (`up` or `down`).
struct Body {
    lab: String,
    mark: String,
    blocks: Vec<Block>,
}

impl Body {
    fn new(lab: &str) -> Body {
        Body {
            lab: lab.to_string(),
            mark: names::lab_mark(lab),
            blocks: Vec::new(),
        }
    }

    /// An `ip` line run in `at`'s namespace; joins the batch before it
    /// when that one runs there too.
    fn ip(&mut self, at: &At, line: String) {
        if let Some(Block::Ip { netns, lines }) = self.blocks.last_mut() {
            if *netns == at.netns {
                lines.push(line);
                return;
            }
        }
        self.blocks.push(Block::Ip {
            netns: at.netns.clone(),
            lines: vec![line],
        });
    }

    fn sh(&mut self, line: String) {
        self.blocks.push(Block::Sh(line));
    }

    /// The lab's mark on `ifname` in `at` (the kernel ignores an alias in
    /// a create request, as the host layer says).
    fn mark(&mut self, at: &At, ifname: &str) {
        let line = format!("link set {ifname} alias {}", self.mark);
        self.ip(at, line);
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::CreateNetns { netns, .. } => {
                self.sh(format!("ip netns add {}", quote(netns)));
                let at = At {
                    node: String::new(),
                    netns: Some(netns.clone()),
                };
                self.mark(&at, "lo");
            }
            Op::DeleteNetns { netns, .. } => self.sh(format!("ip netns del {}", quote(netns))),
            Op::SetLo { at, up } => self.ip(at, format!("link set lo {}", updown(*up))),
            Op::SetSysctl { at, key, value } => self.sysctl(at, key, value),
            Op::AddVeth { a, b } => self.add_veth(a, b),
            Op::AddLink {
                end,
                kind,
                parent_at,
            } => self.add_link(end, kind, parent_at.as_ref()),
            Op::DeleteLink { at, ifname } => self.ip(at, format!("link del {ifname}")),
            Op::MoveIn { at, ifname, from } => {
                let host = host_at(at);
                // Down as it moves, as the host layer moves it.
                match &at.netns {
                    Some(ns) => self.ip(
                        &host,
                        format!("link set {from} netns {ns} name {ifname} down"),
                    ),
                    None => self.ip(&host, format!("link set {from} name {ifname} down")),
                }
                let mark = names::physical_mark(&self.lab, from);
                self.ip(at, format!("link set {ifname} alias \"{mark}\""));
            }
            Op::MoveOut { at, ifname, to } => {
                self.ip(at, format!("link set {ifname} netns 1 name {to} down"));
                self.ip(&host_at(at), format!("link set {to} alias \"\""));
            }
            Op::SetLink { at, ifname, change } => {
                for part in crate::plan::link_change_parts(change) {
                    self.ip(at, format!("link set {ifname}{}", parts::words(&part)));
                }
            }
            Op::AddAddress { at, ifname, cidr } => {
                let nodad = if cidr.is_ipv6() { " nodad" } else { "" };
                self.ip(at, format!("addr add {cidr} dev {ifname}{nodad}"));
            }
            Op::DelAddress { at, ifname, cidr } => {
                self.ip(at, format!("addr del {cidr} dev {ifname}"))
            }
            Op::AddRoute { at, route } => self.ip(at, format!("route add {}", route_words(route))),
            Op::DelRoute { at, route } => self.ip(at, format!("route del {}", route_words(route))),
            Op::SetNat { at, table, nat } => {
                let text = nft::table_text(table, &self.mark, nat.as_ref());
                let nft = match &at.netns {
                    Some(ns) => format!("ip netns exec {} nft", quote(ns)),
                    None => "nft".to_string(),
                };
                self.sh(heredoc(&format!("{nft} -f -"), &text));
            }
            // `tc` lines are run as written already.
            Op::SetImpair { .. } => self.sh(op.to_string()),
            // A node's private directories are a view nslab gives the
            // processes it starts; a script cannot give it.
            Op::WriteFile { at, path, .. } => self.sh(format!(
                "# left to nslab: write {path} in node {}'s private directories",
                at.node
            )),
            Op::RemoveFile { at, path } => self.sh(format!(
                "# left to nslab: remove {path} from node {}'s private directories",
                at.node
            )),
        }
    }

    fn sysctl(&mut self, at: &At, key: &str, value: &str) {
        let path = sysctl_path(key);
        let write = format!("echo {} > {}", quote(value), quote(&path));
        match &at.netns {
            Some(ns) => self.sh(format!(
                "ip netns exec {} sh -c {}",
                quote(ns),
                quote(&write)
            )),
            None => self.sh(write),
        }
    }

    fn add_veth(&mut self, a: &NewEnd, b: &NewEnd) {
        // Made from the host node's end when it has one: `netns` names
        // only namespaces under /run/netns.
        let (a, b) = if a.at.netns.is_some() && b.at.netns.is_none() {
            (b, a)
        } else {
            (a, b)
        };
        let mut line = format!(
            "link add {}{} type veth peer name {}{}",
            a.ifname,
            end_opts(a),
            b.ifname,
            end_opts(b)
        );
        if let Some(ns) = b.at.netns.as_ref().filter(|_| b.at.netns != a.at.netns) {
            let _ = write!(line, " netns {ns}");
        }
        self.ip(&a.at, line);
        self.mark(&a.at, &a.ifname);
        self.mark(&b.at, &b.ifname);
    }

    fn add_link(&mut self, end: &NewEnd, kind: &LinkKind, parent_at: Option<&At>) {
        let Some(device) = kind.device() else {
            self.sh(format!(
                "echo 'nslab cannot create a link of kind {}' >&2; exit 1",
                kind.name()
            ));
            return;
        };
        if let DeviceKind::Tap(t) = device {
            let user = t.owner.map(|o| format!(" user {o}")).unwrap_or_default();
            self.ip(
                &end.at,
                format!("tuntap add dev {} mode tap{user}", end.ifname),
            );
            let opts = end_opts(end);
            if !opts.is_empty() {
                self.ip(&end.at, format!("link set {}{opts}", end.ifname));
            }
            self.mark(&end.at, &end.ifname);
            return;
        }
        let at = parent_at.unwrap_or(&end.at);
        let mut line = "link add".to_string();
        if let Some(p) = kind.parent() {
            let _ = write!(line, " link {}", p.ifname);
        }
        let _ = write!(line, " name {}{}", end.ifname, end_opts(end));
        if at.netns != end.at.netns {
            let _ = write!(line, " netns {}", end.at.netns.as_deref().unwrap_or("1"));
        }
        let _ = write!(line, " {}", kind_words(device));
        self.ip(at, line);
        self.mark(&end.at, &end.ifname);
    }

    fn text(&self, out: &mut String) {
        for b in &self.blocks {
            match b {
                Block::Sh(line) => {
                    out.push_str(&indent(line));
                }
                Block::Ip { netns, lines } => {
                    let cmd = match netns {
                        Some(ns) => format!("ip -n {} -batch -", quote(ns)),
                        None => "ip -batch -".to_string(),
                    };
                    out.push_str(&indent(&heredoc(&cmd, &(lines.join("\n") + "\n"))));
                }
            }
        }
    }
}

/// The file of sysctl `key` under /proc/sys: dots are slashes, but for
/// those of an interface (`net.ipv4.conf.eth0.100.forwarding`), whose name
/// keeps its dots.
fn sysctl_path(key: &str) -> String {
    for prefix in [
        "net.ipv4.conf.",
        "net.ipv6.conf.",
        "net.ipv4.neigh.",
        "net.ipv6.neigh.",
    ] {
        if let Some((ifname, leaf)) = key
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once('.'))
        {
            let dir = prefix.trim_end_matches('.').replace('.', "/");
            return format!("/proc/sys/{dir}/{ifname}/{leaf}");
        }
    }
    format!("/proc/sys/{}", key.replace('.', "/"))
}

/// The host node's place (where a physical interface is before it moves).
fn host_at(at: &At) -> At {
    At {
        node: at.node.clone(),
        netns: None,
    }
}

fn updown(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}

/// Each line of `text` indented one tab (a function's body); a
/// here-document's lines too, which `<<` keeps as they are (its end
/// marker is unindented).
fn indent(text: &str) -> String {
    let mut out = String::new();
    let mut in_doc = false;
    for line in text.lines() {
        if in_doc || line == "EOF" {
            out.push_str(line);
        } else {
            out.push('\t');
            out.push_str(line);
        }
        if line.ends_with("<<'EOF'") {
            in_doc = true;
        } else if line == "EOF" {
            in_doc = false;
        }
        out.push('\n');
    }
    out
}

/// `cmd` fed `text` as a quoted here-document (nothing in it expanded).
fn heredoc(cmd: &str, text: &str) -> String {
    format!("{cmd} <<'EOF'\n{text}EOF\n")
}

/// A word for the shell: as it is when it is plain, else single-quoted.
pub(super) fn quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The whole script of lab `lab`: `up` carries out `up`, `down` carries
/// out `down` (the plan from the lab to nothing); `source` names the file.
/// `left_out`: what of this lab the script does not do, one line each.
pub fn script(lab: &str, source: &str, up: &Plan, down: &Plan, left_out: &[String]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "#!/bin/sh\n\
         # Lab {lab} from {source}, written by `nslab plan --script`.\n\
         # `sh THIS up` (the default) makes it as `nslab up` does, marks included\n\
         # (`nslab ls`, `show`, `down` and `plan` see it as nslab's); `sh THIS down`\n\
         # removes it. Needs root, `ip` (iproute2) and, for NAT, `nft`.\n\
         # Not done here (they need nslab): `serve:`/`run:` processes, `expect:`\n\
         # checks and scenarios, node host names (a UTS namespace nslab keeps)\n\
         # and the lab's /etc/netns/<netns>/hosts files.\n"
    );
    if !left_out.is_empty() {
        out.push_str("# This lab's, left out:\n");
    }
    for line in left_out {
        let _ = writeln!(out, "#   {}", line.replace('\n', " "));
    }
    let _ = write!(
        out,
        "set -eu\n\n\
         if [ \"$(id -u)\" != 0 ]; then\n\
         \techo \"$0: needs root\" >&2\n\
         \texit 1\n\
         fi\n\n"
    );
    for (name, plan) in [("up", up), ("down", down)] {
        let mut body = Body::new(lab);
        for s in &plan.steps {
            body.op(&s.op);
        }
        let _ = writeln!(out, "{name}() {{");
        if body.blocks.is_empty() {
            out.push_str("\t:\n");
        }
        body.text(&mut out);
        out.push_str("}\n\n");
    }
    out.push_str(
        "case \"${1:-up}\" in\n\
         up) up ;;\n\
         down) down ;;\n\
         *)\n\
         \techo \"usage: $0 [up|down]\" >&2\n\
         \texit 2\n\
         \t;;\n\
         esac\n",
    );
    out
}

#[cfg(test)]
mod tests;
