//! `impair:` — netem delay, loss and rate on an interface's egress, set
//! over netlink. This machine's kernel has no netem: these tests run in the
//! VM lane (tests/vm/run), with a stock Debian kernel.

mod common;
use common::*;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

fn lab(impair: &str) -> String {
    format!(
        "lab: imp\nnodes:\n  a:\n    interfaces:\n      eth0: {{ addresses: [10.0.0.1/24]{impair} }}\n  b:\n    interfaces:\n      eth0: {{ addresses: [10.0.0.2/24] }}\nlinks:\n  - [a:eth0, b:eth0]\nexpect:\n  - a -> b\n"
    )
}

#[test]
#[ignore = "needs sch_netem, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_delay_raises_the_round_trip_time_and_changes_in_place() {
    if !sandbox("vm_delay_raises_the_round_trip_time_and_changes_in_place") {
        return;
    }
    let plain = write("plain.yaml", &lab(""));
    let delayed = write("delayed.yaml", &lab(", impair: { delay: 50ms }"));
    nslab_ok(&["up", &plain], 0);
    let before = rtt_ms("imp", "a", "b");
    let change = nslab_ok(&["plan", &delayed], 0);
    nslab_ok(&["up", &delayed], 0);
    let after = rtt_ms("imp", "a", "b");
    let idempotent = nslab(&["plan", "--exit-code", &delayed]);
    let show = nslab_ok(&["show", "imp", "a"], 0);
    let tc = sh("ip netns exec imp-a tc qdisc show dev eth0");
    nslab_ok(&["up", &plain], 0);
    let removed = rtt_ms("imp", "a", "b");
    nslab_ok(&["down", "imp"], 0);
    assert_nothing_left("imp");
    assert!(
        change.contains("qdisc replace dev eth0 root netem delay 50ms") && !change.contains("link"),
        "{change}"
    );
    // netem holds every echo 50ms, so no round trip can be shorter: a
    // lower bound that does not depend on how busy the (emulated) machine
    // is. The upper bound is generous for the same reason.
    assert!(
        after >= 50.0 && after <= before + 80.0,
        "with a 50ms delay the round trip is {after:.1}ms (was {before:.1})"
    );
    assert_eq!(idempotent.status.code(), Some(0), "{}", text(&idempotent));
    assert!(show.contains("impair delay 50ms"), "{show}");
    assert!(
        tc.contains("netem") && tc.contains("delay 50ms"),
        "tc sees it: {tc}"
    );
    assert!(
        removed < 50.0,
        "impairment removed, yet the round trip is {removed:.1}ms"
    );
}

#[test]
#[ignore = "needs sch_netem, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_total_loss_makes_a_check_fail() {
    if !sandbox("vm_total_loss_makes_a_check_fail") {
        return;
    }
    let f = write("loss.yaml", &lab(", impair: { loss: 100% }"));
    nslab_ok(&["up", &f], 0);
    let check = nslab(&["check", "imp"]);
    nslab_ok(&["down", "imp"], 0);
    assert_nothing_left("imp");
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(text(&check).contains("✗ a -> 10.0.0.2"), "{}", text(&check));
}

/// A 10 mbit rate caps a TCP transfer from a to b within ±20%.
#[test]
#[ignore = "needs sch_netem, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_rate_caps_a_tcp_transfer() {
    if !sandbox("vm_rate_caps_a_tcp_transfer") {
        return;
    }
    let f = write("rate.yaml", &lab(", impair: { rate: 10mbit }"));
    nslab_ok(&["up", &f], 0);
    let a = nslab_sys::netns::open("imp-a").expect("netns a");
    let b = nslab_sys::netns::open("imp-b").expect("netns b");
    let listener =
        nslab_sys::netns::run_in(b.as_fd(), || std::net::TcpListener::bind("10.0.0.2:5001"))
            .expect("enter b")
            .expect("listen");
    let receiver = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = vec![0u8; 65536];
        let mut total = 0usize;
        let mut first: Option<Instant> = None;
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    first.get_or_insert_with(Instant::now);
                    total += n;
                }
            }
        }
        (total, first.map(|t| t.elapsed()).unwrap_or_default())
    });
    let mut conn =
        nslab_sys::netns::run_in(a.as_fd(), || std::net::TcpStream::connect("10.0.0.2:5001"))
            .expect("enter a")
            .expect("connect");
    let chunk = vec![0x5a_u8; 16384];
    let end = Instant::now() + Duration::from_secs(4);
    while Instant::now() < end {
        if conn.write_all(&chunk).is_err() {
            break;
        }
    }
    drop(conn);
    let (bytes, took) = receiver.join().expect("receiver");
    nslab_ok(&["down", "imp"], 0);
    assert_nothing_left("imp");
    let mbit = bytes as f64 * 8.0 / took.as_secs_f64() / 1e6;
    assert!(
        (8.0..=12.0).contains(&mbit),
        "10mbit rate gave {mbit:.2} Mbit/s ({bytes} bytes in {took:?})"
    );
}
