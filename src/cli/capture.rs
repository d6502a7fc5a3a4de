//! `nslab capture LAB NODE:IFACE [-w FILE] [-c COUNT] [--filter P] [--host A]`:
//! watch an interface of a node (802.1Q tags, ARP who-has/is-at, ICMP and
//! ICMPv6 echo, neighbour discovery, TCP flags, UDP, DNS names, VXLAN and
//! the frame inside) or write a pcap file that tcpdump and Wireshark read —
//! what the tutorials do with `tcpdump -i br01`, without tcpdump. Only
//! frames the filter keeps are printed, written and counted. Once the
//! socket is bound, `listening on NODE:IF` goes to stderr.

use super::exec::node_netns;
use super::{bad_input, fail, fail_unless_root, Exit};
use nslab_probe::capture::{summarize, Capture, Filter, PcapWriter};
use nslab_sys::netns;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// `NODE:IF`, both parts there; bad input (status 2) otherwise.
fn split_target<'a>(lab: &str, target: &'a str) -> Result<(&'a str, &'a str), Exit> {
    target
        .split_once(':')
        .filter(|(n, i)| !n.is_empty() && !i.is_empty())
        .ok_or_else(|| {
            bad_input(format!(
                "`{target}` names no interface: write NODE:INTERFACE, e.g. `{}:eth0` (`nslab show {lab}` lists them)",
                target.trim_end_matches(':')
            ))
        })
}

pub fn run(
    lab: &str,
    target: &str,
    write: Option<&Path>,
    count: Option<u64>,
    seconds: Option<u64>,
    keep: &Filter,
    json: bool,
) -> Exit {
    let (ns, ifname) = match split_target(lab, target)
        .and_then(|(node, ifname)| Ok((node_netns(lab, node)?, ifname)))
    {
        Ok(t) => t,
        Err(e) => return e,
    };
    let fd = match netns::open(&ns) {
        Ok(fd) => fd,
        Err(e) => return fail_unless_root(e),
    };
    let mut cap = match Capture::open(fd.as_fd(), ifname) {
        Ok(c) => c,
        Err(e) => return fail_unless_root(format!("cannot capture on {target}: {e}")),
    };
    let mut pcap = match write {
        Some(p) => match std::fs::File::create(p)
            .and_then(|f| PcapWriter::new(std::io::BufWriter::new(f)))
        {
            Ok(w) => Some(w),
            Err(e) => return fail(format!("cannot write {}: {e}", p.display())),
        },
        None => None,
    };
    // From here on every frame is kept: say so (as tcpdump does), for a
    // script or a test that starts traffic once the capture listens. Not
    // eprintln!: a closed stderr must not end the capture with a panic.
    let _ = writeln!(std::io::stderr(), "listening on {target}");
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut seen = 0u64;
    let stdout = std::io::stdout();
    while count.is_none_or(|c| seen < c) {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            break;
        }
        let p = match cap.next_packet(left.or(Some(Duration::from_millis(500)))) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => return fail(e),
        };
        if !keep.matches(&p.data) {
            continue;
        }
        seen += 1;
        match &mut pcap {
            Some(w) => {
                if let Err(e) = w.write_packet(p.ts, &p.data, p.data.len()) {
                    return fail(e);
                }
            }
            None => {
                let line = if json { json_line(&p) } else { line(&p) };
                let mut out = stdout.lock();
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
        }
    }
    if let Some(mut w) = pcap {
        if let Err(e) = w.flush() {
            return fail(e);
        }
        eprintln!("{seen} packet(s) written");
    }
    Exit::Ok
}

/// `--json`: one object per packet (docs/json.md).
fn json_line(p: &nslab_probe::capture::Packet) -> String {
    let ts =
        p.ts.duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
    serde_json::json!({
        "unix_us": u64::try_from(ts.as_micros()).unwrap_or(u64::MAX),
        "direction": if p.outgoing { "out" } else { "in" },
        "len": p.data.len(),
        "summary": summarize(&p.data),
    })
    .to_string()
}

/// `HH:MM:SS.micros In|Out summary`, as tcpdump prints a packet.
fn line(p: &nslab_probe::capture::Packet) -> String {
    let ts =
        p.ts.duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
    let secs = ts.as_secs() % 86400;
    format!(
        "{:02}:{:02}:{:02}.{:06} {} {}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ts.subsec_micros(),
        if p.outgoing { "Out" } else { "In " },
        summarize(&p.data)
    )
}
