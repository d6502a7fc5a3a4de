//! `nslab capture LAB NODE:IFACE [-w FILE] [-c COUNT]`: watch an interface
//! of a node (ARP who-has/is-at, ICMP echo, TCP flags, UDP) or write a pcap
//! file that tcpdump and Wireshark read — what the tutorials do with
//! `tcpdump -i br01`, without tcpdump.

use super::exec::node_netns;
use super::{bad_input, fail, fail_unless_root, Exit};
use nslab_probe::capture::{summarize, Capture, PcapWriter};
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
        seen += 1;
        match &mut pcap {
            Some(w) => {
                if let Err(e) = w.write_packet(p.ts, &p.data, p.data.len()) {
                    return fail(e);
                }
            }
            None => {
                let ts =
                    p.ts.duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                let secs = ts.as_secs() % 86400;
                let line = format!(
                    "{:02}:{:02}:{:02}.{:06} {} {}",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60,
                    ts.subsec_micros(),
                    if p.outgoing { "Out" } else { "In " },
                    summarize(&p.data)
                );
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
