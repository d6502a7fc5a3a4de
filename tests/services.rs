//! Networks, NAT, the built-in responder, `run:`, checks and the demo:
//! what issue "Docker-style networks, NAT, services and self-checks"
//! promises, on the real kernel in sandboxes.

mod common;
use common::*;
use std::os::unix::process::CommandExt;

/// Processes whose command line mentions `needle`.
fn processes(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            out.push(cmd);
        }
    }
    out
}

const SVC: &str = "lab: svc\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.0.0.1/24] }\n    run: [\"sh -c 'sleep 1001 & sleep 1002'\"]\n  b:\n    interfaces:\n      eth0: { addresses: [10.0.0.2/24] }\n    serve: [tcp/80, udp/53]\nlinks:\n  - [a:eth0, b:eth0]\nexpect:\n  - { from: a, to: 10.0.0.2:80, proto: tcp, reply-from: b, seen-as: 10.0.0.1 }\n  - { from: a, to: 10.0.0.2:53, proto: udp, reply-from: b }\n  - { from: a, to: b, proto: http, reply-from: b }\n  - { from: a, to: 10.0.0.2:81, proto: tcp, expect: fail }\n";

/// The responder answers TCP, UDP and HTTP as `<lab>/<node> <client>`;
/// `run:` commands and their children run until `down` stops them.
#[test]
fn serve_and_run_live_from_up_to_down() {
    if !sandbox("serve_and_run_live_from_up_to_down") {
        return;
    }
    let f = write("svc.yaml", SVC);
    nslab_ok(&["up", &f, "--check"], 0);
    // The `sh -c` of `run:`, its background child, and the responder.
    let running = (
        processes("sh -c sleep 1001 & sleep 1002").len(),
        processes("sleep 1001").len() - 1,
        processes("__serve svc/b").len(),
    );
    let again = nslab_ok(&["up", &f], 0);
    let still = processes("__serve svc/b").len();
    nslab_ok(&["down", "svc"], 0);
    assert_nothing_left("svc");
    assert_eq!(running, (1, 1, 1), "run: and serve: processes");
    assert_eq!(still, 1, "a second up starts nothing twice: {again}");
    assert!(
        processes("sleep 100").is_empty(),
        "run: children left: {:?}",
        processes("sleep 100")
    );
    assert!(processes("__serve").is_empty(), "responders left");
}

/// A check that should fail is reported as ✗ with the reason, and `check`
/// exits 1; `--junit` writes the same results.
#[test]
fn failing_checks_say_why_and_exit_1() {
    if !sandbox("failing_checks_say_why_and_exit_1") {
        return;
    }
    let wrong = SVC.replace(
        "reply-from: b, seen-as: 10.0.0.1",
        "reply-from: a, seen-as: 10.0.0.9",
    ) + "  - a -> 10.0.0.77\n  - a -x 10.0.0.1\n";
    let f = write("wrong.yaml", &wrong);
    nslab_ok(&["up", &f], 0);
    let junit = "/run/test-files/junit.xml";
    let o = nslab(&["check", "svc", "--junit", junit]);
    let t = text(&o);
    let xml = std::fs::read_to_string(junit).unwrap_or_default();
    nslab_ok(&["down", "svc"], 0);
    assert_nothing_left("svc");
    assert_eq!(o.status.code(), Some(1), "{t}");
    let line = |needle: &str| {
        t.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in\n{t}"))
            .to_string()
    };
    let l = line("reply-from a");
    assert!(
        l.contains('✗') && l.contains("answered by svc/b, expected svc/a"),
        "{l}"
    );
    let l = line("a -> 10.0.0.77");
    assert!(
        l.contains('✗') && (l.contains("no echo reply") || l.contains("nreachable")),
        "{l}"
    );
    let l = line("a -x 10.0.0.1");
    assert!(
        l.contains('✗') && l.contains("must not be reachable"),
        "{l}"
    );
    assert!(line("udp reply-from b").contains('✓'));
    assert!(t.contains("3 passed, 3 failed"), "{t}");
    assert!(xml.contains("tests=\"6\" failures=\"3\""), "{xml}");
}

/// The tables nslab installs, as `nft` (test-only) reads them back.
#[test]
fn docker_nat_rules_as_nft_sees_them() {
    if !sandbox("docker_nat_rules_as_nft_sees_them") {
        return;
    }
    let ex = examples().join("docker-bridge.yaml");
    nslab_ok(&["up", ex.to_str().expect("utf-8")], 0);
    let rules = sh("ip netns exec docker-docker nft list ruleset");
    let json = sh("ip netns exec docker-docker nft -j list ruleset");
    let elsewhere = sh("ip netns exec docker-nginx nft list ruleset");
    nslab_ok(&["down", "docker"], 0);
    assert_nothing_left("docker");
    for want in [
        "table inet nslab-docker",
        "ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade",
        "fib daddr type local tcp dport 8080 dnat ip to 172.17.10.10:80",
        "fib daddr type local tcp dport 9090 dnat ip to 172.17.10.20:80",
        "ct status dnat ip saddr 172.17.0.0/16 oifname \"docker0\" masquerade",
    ] {
        assert!(rules.contains(want), "`{want}` not in\n{rules}");
    }
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("nft -j is JSON");
    let n_rules = v["nftables"]
        .as_array()
        .map(|a| a.iter().filter(|x| x.get("rule").is_some()).count());
    assert_eq!(n_rules, Some(6), "{json}");
    assert!(
        !elsewhere.contains("nslab"),
        "only the network's node has a table: {elsewhere}"
    );
}

/// `nslab ping`: one pair, and one node to all, with loss and rtt.
#[test]
fn ping_reports_loss_and_round_trip_times() {
    if !sandbox("ping_reports_loss_and_round_trip_times") {
        return;
    }
    let ex = examples().join("bridge.yaml");
    nslab_ok(&["up", ex.to_str().expect("utf-8")], 0);
    let pair = nslab_ok(&["ping", "bridge", "net1", "net2"], 0);
    let all = nslab(&["ping", "bridge", "net1"]);
    nslab_ok(&["down", "bridge"], 0);
    assert_nothing_left("bridge");
    assert!(
        pair.contains("net1 -> net2 (10.0.1.2): 3/3 received, 0% loss"),
        "{pair}"
    );
    assert!(pair.contains("rtt min/avg/max"), "{pair}");
    // sw has no address: it is skipped; net2 is reached.
    assert_eq!(all.status.code(), Some(0), "{}", text(&all));
}

/// `nslab demo`, the newcomer's first command: up, check, show, down, 0.
#[test]
fn demo_runs_and_leaves_nothing() {
    if !sandbox("demo_runs_and_leaves_nothing") {
        return;
    }
    let out = nslab_ok(&["demo"], 0);
    assert_nothing_left("docker");
    assert!(
        out.contains(" passed, 0 failed") && !out.contains('✗'),
        "{out}"
    );
    assert!(
        out.contains("== nslab show docker") && out.contains("peer nginx:eth0"),
        "{out}"
    );
    assert!(processes("__serve").is_empty());
}

/// `nat: forward` with `in:` and UDP, a TCP forward that also works from
/// behind the target's bridge (hairpin), and a dual-stack network: every
/// member gets an address in both subnets and both default routes.
#[test]
fn forwards_udp_in_and_hairpin_and_dual_stack_networks() {
    if !sandbox("forwards_udp_in_and_hairpin_and_dual_stack_networks") {
        return;
    }
    let f = write(
        "fwd.yaml",
        r#"lab: fwd
nodes:
  out:
    interfaces:
      wan: { addresses: [10.5.0.2/24] }
  gw:
    interfaces:
      ens41: { addresses: [10.5.0.1/24] }
      br0: { kind: bridge, addresses: [10.6.0.1/24] }
      p1: { master: br0 }
      p2: { master: br0 }
    nat:
      forward:
        - { proto: udp, port: 5353, to: 10.6.0.10:53, in: ens41 }
        - { port: 8080, to: 10.6.0.10:80 }
  srv:
    interfaces:
      eth0: { addresses: [10.6.0.10/24] }
    routes: [default via 10.6.0.1]
    serve: [udp/53, tcp/80]
  nb:
    interfaces:
      eth0: { addresses: [10.6.0.11/24] }
    routes: [default via 10.6.0.1]
  c6: { serve: [tcp/80] }
  d6: {}
links:
  - [out:wan, gw:ens41]
  - [gw:p1, srv:eth0]
  - [gw:p2, nb:eth0]
networks:
  dual:
    node: gw
    subnets: [10.7.0.0/24, "fd07::/64"]
    members:
      c6: {}
      d6: {}
expect:
  - { from: out, to: 10.5.0.1:5353, proto: udp, reply-from: srv, seen-as: 10.5.0.2 }
  - { from: gw, to: 10.5.0.1:5353, proto: udp, expect: fail }
  - { from: out, to: 10.5.0.1:8080, proto: http, reply-from: srv }
  - { from: gw, to: 10.5.0.1:8080, proto: http, reply-from: srv }
  - { from: nb, to: 10.5.0.1:8080, proto: http, reply-from: srv }
  - { from: srv, to: 10.5.0.1:8080, proto: http, reply-from: srv }
  - { from: d6, to: "[fd07::2]:80", proto: tcp, reply-from: c6 }
  - d6 -> fd07::1
  - d6 -> 10.7.0.1
"#,
    );
    let up = nslab(&["up", &f, "--check"]);
    let show = nslab_ok(&["show", "fwd", "d6"], 0);
    nslab_ok(&["down", "fwd"], 0);
    assert_nothing_left("fwd");
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(
        show.contains("10.7.0.3/24") && show.contains("fd07::3/64"),
        "{show}"
    );
    assert!(
        show.contains("default via 10.7.0.1") && show.contains("default via fd07::1"),
        "{show}"
    );
}

/// What tutorial 000 watches with tcpdump on the bridge: the ARP exchange
/// and the echo requests and replies between two namespaces — and a pcap
/// file with the same frames.
#[test]
fn capture_on_the_bridge_sees_arp_and_echo() {
    if !sandbox("capture_on_the_bridge_sees_arp_and_echo") {
        return;
    }
    let ex = examples().join("bridge.yaml");
    nslab_ok(&["up", ex.to_str().expect("utf-8")], 0);
    let cap = spawn_ready(&["capture", "bridge", "sw:js", "-s", "3"], "listening on ");
    let pcap = spawn_ready(
        &[
            "capture",
            "bridge",
            "net1:eth1",
            "-s",
            "3",
            "-w",
            "/run/test.pcap",
        ],
        "listening on ",
    );
    nslab_ok(&["ping", "bridge", "net1", "net2"], 0);
    let (_, out, _) = finish_ready(cap);
    let _ = finish_ready(pcap);
    let file = std::fs::read("/run/test.pcap").unwrap_or_default();
    nslab_ok(&["down", "bridge"], 0);
    assert_nothing_left("bridge");
    let lines = out;
    assert!(
        lines.contains("ARP, Request who-has 10.0.1.2 tell 10.0.1.1"),
        "{lines}"
    );
    assert!(lines.contains("ARP, Reply 10.0.1.2 is-at"), "{lines}");
    assert!(
        lines.contains("IP 10.0.1.1 > 10.0.1.2: ICMP echo request"),
        "{lines}"
    );
    assert!(
        lines.contains("IP 10.0.1.2 > 10.0.1.1: ICMP echo reply"),
        "{lines}"
    );
    // pcap: the classic magic number, Ethernet link type, and frames.
    assert!(file.len() > 24 + 16 + 42, "pcap of {} bytes", file.len());
    assert_eq!(&file[0..4], &0xa1b2c3d4u32.to_le_bytes());
    assert_eq!(&file[20..24], &1u32.to_le_bytes());
}

/// Whether process `pid` is alive (not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()))
        .is_some_and(|r| !r.starts_with('Z') && !r.starts_with('X'))
}

/// Adds a process entry to the lab's record, as a crafted or stale record
/// would have it.
fn add_recorded(lab: &str, node: &str, pid: u32, start: u64) {
    let path = format!("/run/nslab/{lab}/state.json");
    let text = std::fs::read_to_string(&path).expect("record");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["processes"]
        .as_array_mut()
        .expect("processes")
        .push(serde_json::json!({"node": node, "pid": pid, "start": start, "what": "sleep 300"}));
    std::fs::write(&path, v.to_string()).expect("write record");
}

/// A recorded pid whose start time does not match is another process (the
/// recorded one exited and its pid was reused): neither `up` nor `down`
/// signals it.
#[test]
fn a_reused_pid_is_never_signalled() {
    if !sandbox("a_reused_pid_is_never_signalled") {
        return;
    }
    let f = write("svc.yaml", SVC);
    nslab_ok(&["up", &f], 0);
    // A group leader, as a reused pid often is (daemons, shells' jobs).
    let mut other = std::process::Command::new("sleep")
        .arg("300")
        .process_group(0)
        .spawn()
        .expect("sleep");
    let pid = other.id();
    let start: u64 = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .expect("stat")
        .rsplit_once(')')
        .and_then(|(_, r)| r.split_whitespace().nth(19).map(str::to_string))
        .and_then(|s| s.parse().ok())
        .expect("start time");
    add_recorded("svc", "a", pid, start + 1);
    nslab_ok(&["up", &f], 0);
    let after_up = alive(pid);
    add_recorded("svc", "b", pid, 0);
    nslab_ok(&["down", "svc"], 0);
    let after_down = alive(pid);
    let _ = other.kill();
    let _ = other.wait();
    assert_nothing_left("svc");
    assert!(after_up, "up signalled an unrelated process");
    assert!(after_down, "down signalled an unrelated process");
}

/// With the state directory gone, `down` still finds the lab (by its
/// namespaces) and stops its processes (by the namespace they live in).
#[test]
fn down_without_state_stops_the_processes() {
    if !sandbox("down_without_state_stops_the_processes") {
        return;
    }
    let f = write("svc.yaml", SVC);
    nslab_ok(&["up", &f], 0);
    std::fs::remove_dir_all("/run/nslab/svc").expect("rm state");
    nslab_ok(&["down", "svc"], 0);
    assert_nothing_left("svc");
    assert!(
        processes("sleep 100").is_empty(),
        "{:?}",
        processes("sleep 100")
    );
}

/// Processes whose namespace lost its name (deleted by hand after its
/// lab's state was lost) are found by their mark and their namespace's;
/// the environment mark alone is not enough.
#[test]
fn down_stops_marked_processes_whose_namespace_has_no_name() {
    if !sandbox("down_stops_marked_processes_whose_namespace_has_no_name") {
        return;
    }
    let f = write("svc.yaml", SVC);
    nslab_ok(&["up", &f], 0);
    // Not the lab's: the mark copied into a process in a namespace of its
    // own (as a container's process could carry it).
    let mut forged = std::process::Command::new("unshare")
        .args(["-n", "env", "NSLAB_LAB=svc", "NSLAB_NODE=b", "sleep", "300"])
        .spawn()
        .expect("unshare");
    std::thread::sleep(std::time::Duration::from_millis(200));
    sh("ip netns del svc-b");
    std::fs::remove_dir_all("/run/nslab/svc").expect("rm state");
    nslab_ok(&["down", "svc"], 0);
    let forged_alive = alive(forged.id());
    let _ = forged.kill();
    let _ = forged.wait();
    assert_nothing_left("svc");
    assert!(
        processes("sleep 100").is_empty(),
        "{:?}",
        processes("sleep 100")
    );
    assert!(
        forged_alive,
        "down stopped a process that only carried the mark"
    );
}

/// `up` killed while its processes start: `down` leaves nothing, and the
/// next `up` works (nothing still holds tcp/80).
#[test]
fn up_killed_while_processes_start_then_down_leaves_nothing() {
    if !sandbox("up_killed_while_processes_start_then_down_leaves_nothing") {
        return;
    }
    let mut text = String::from("lab: many\nnodes:\n");
    for i in 0..12 {
        text.push_str(&format!(
            "  n{i}: {{ serve: [tcp/80], run: [\"sleep 1{i:03}\"] }}\n"
        ));
    }
    let f = write("many.yaml", &text);
    for round in 0..2 {
        let mut up = std::process::Command::new(nslab_bin())
            .args(["up", &f])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("up");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while processes("__serve many/").len() < 3 + round * 3
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = up.kill();
        let _ = up.wait();
        assert!(!processes("__serve many/").is_empty(), "killed too late");
        if round == 1 {
            // The next `up` of a half-started lab converges.
            nslab_ok(&["up", &f], 0);
            assert_eq!(processes("__serve many/").len(), 12);
        }
        nslab_ok(&["down", "many"], 0);
        assert_nothing_left("many");
        assert!(
            processes("sleep 1").is_empty(),
            "{:?}",
            processes("sleep 1")
        );
    }
    nslab_ok(&["up", &f, "--check"], 0);
    nslab_ok(&["down", "many"], 0);
    assert_nothing_left("many");
}

/// A `run:` entry that cannot start fails `up`; the processes this run
/// started before it are stopped, and a lab this run created is removed.
/// On an existing lab, what ran before keeps running.
#[test]
fn a_run_entry_that_cannot_start_fails_up_and_leaves_nothing() {
    if !sandbox("a_run_entry_that_cannot_start_fails_up_and_leaves_nothing") {
        return;
    }
    // Validation refuses a program that is missing or not executable, so
    // this one passes it and fails only at exec: its interpreter is gone.
    let prog = write("not-executable", "#!/nonexistent/interpreter\nsleep 1\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let bad = SVC.replace(
        "links:",
        &format!("  c: {{ run: [\"sleep 1003\", \"{prog}\"] }}\nlinks:"),
    );
    let f = write("bad.yaml", &bad);
    let o = nslab(&["up", &f]);
    let t = text(&o);
    let left_after_fresh = (processes("sleep 100"), processes("__serve"));
    assert_nothing_left("svc");
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("cannot start") && t.contains("not-executable"),
        "{t}"
    );
    assert_eq!(left_after_fresh, (vec![], vec![]), "{t}");
    // On a lab that is up: the old processes stay, the new ones go.
    let good = write("svc.yaml", SVC);
    nslab_ok(&["up", &good], 0);
    let o = nslab(&["up", &f]);
    let t = text(&o);
    let after = (
        processes("sleep 1001").len(),
        processes("sleep 1003").len(),
        processes("__serve svc/b").len(),
    );
    nslab_ok(&["down", "svc"], 0);
    assert_nothing_left("svc");
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert_eq!(after, (2, 0, 1), "{t}");
}

/// A node's namespace deleted by hand: the next `up` stops the responder
/// left in the orphaned namespace and starts one in the new namespace;
/// `show` says the truth before and after.
#[test]
fn a_namespace_deleted_by_hand_gets_a_new_responder() {
    if !sandbox("a_namespace_deleted_by_hand_gets_a_new_responder") {
        return;
    }
    let f = write("svc.yaml", SVC);
    nslab_ok(&["up", &f], 0);
    sh("ip netns del svc-b");
    let before = nslab_ok(&["show", "svc", "b"], 0);
    let up = nslab(&["up", &f]);
    let responders = processes("__serve svc/b").len();
    let check = nslab(&["check", "svc"]);
    let after = nslab_ok(&["show", "svc", "b"], 0);
    nslab_ok(&["down", "svc"], 0);
    assert_nothing_left("svc");
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(!before.contains(" running: serve"), "{before}");
    assert_eq!(responders, 1, "old responder still running");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(after.contains(" running: serve"), "{after}");
}
