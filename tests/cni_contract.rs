//! The CNI contract, tested as a runtime uses the plugin: `nslab` is
//! exec'd from `CNI_PATH` with the spec's environment and the network
//! configuration on stdin, for every command and every config version it
//! supports; chained after Debian's reference `bridge`/`host-local`
//! plugins, so that the `prevResult` it reads is written by code we did
//! not write; DEL twice; ADDs racing; and a plugin killed with SIGKILL
//! during ADD, then DEL: nothing may be left (veth, nft table, IPAM
//! entry). Each test runs in its own sandbox (network, mount, pid).

#[path = "common/cni.rs"]
mod cni;
mod common;
use cni::{call, install, leftovers, netns, req, Req};
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn conf(version: &str, net: &str, subnets: &[&str]) -> Value {
    json!({
        "cniVersion": version, "name": net, "type": "nslab",
        "bridge": format!("br-{net}"), "subnets": subnets,
    })
}

fn assert_clean(net: &str) {
    assert_eq!(
        leftovers(net),
        (vec![], false, 0),
        "network {net} kept something"
    );
}

/// The address the result gives `eth0`, for a version's result shape.
fn address(result: &Value, version: &str) -> String {
    let ip = &result["ips"][0];
    assert_eq!(ip["interface"], 2, "{result}");
    assert_eq!(
        ip.get("version").is_some(),
        version.starts_with("0."),
        "`version` in ips is 0.x's only: {result}"
    );
    let ifaces = result["interfaces"].as_array().expect("interfaces");
    assert_eq!(ifaces[2]["name"], "eth0");
    let ns = ifaces[2]["sandbox"].as_str().expect("sandbox");
    // The MAC the result names is the interface's.
    let mac = ifaces[2]["mac"].as_str().expect("mac");
    let seen = sh(&format!(
        "ip -n {} -br link show eth0",
        ns.trim_start_matches("/run/netns/")
    ));
    assert!(seen.contains(mac), "{mac} not in {seen}");
    ip["address"].as_str().expect("address").to_string()
}

#[test]
fn every_command_answers_as_the_spec_writes_for_every_version() {
    if !sandbox("every_command_answers_as_the_spec_writes_for_every_version") {
        return;
    }
    install();
    for (i, v) in ["0.3.1", "0.4.0", "1.0.0", "1.1.0"].into_iter().enumerate() {
        let c = conf(v, "n1", &["10.9.0.0/24"]);
        let ver = call("VERSION", &req("", ""), &json!({"cniVersion": v}));
        let vj = ver.ok().json();
        assert_eq!(vj["cniVersion"], v);
        assert_eq!(
            vj["supportedVersions"],
            json!(["0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        );
        let id = format!("c{i}");
        let ns = netns(&id);
        let r = call("ADD", &req(&id, &ns), &c);
        let res = r.ok().json();
        assert_eq!(res["cniVersion"], v);
        let addr = address(&res, v);
        // The first host after the gateway (the previous one was DELeted).
        assert_eq!(addr, "10.9.0.2/24", "{res}");
        assert_eq!(
            res["routes"][0],
            json!({"dst": "0.0.0.0/0", "gw": "10.9.0.1"})
        );
        // The container reaches its gateway.
        let ping = sh(&format!(
            "ip netns exec {id} busybox ping -c1 -W2 10.9.0.1 && echo PING-OK"
        ));
        assert!(ping.contains("PING-OK"), "{ping}");
        if v != "0.3.1" {
            let mut chk = c.clone();
            chk["prevResult"] = res.clone();
            call("CHECK", &req(&id, &ns), &chk).ok();
            // CHECK notices what is broken: the container's end is gone.
            sh(&format!("ip -n {id} link del eth0"));
            let bad = call("CHECK", &req(&id, &ns), &chk);
            assert_ne!(bad.code, Some(0), "{bad:?}");
            assert!(bad.json()["code"].as_u64().is_some(), "{bad:?}");
        }
        call("DEL", &req(&id, &ns), &c).ok();
        call("DEL", &req(&id, &ns), &c).ok();
        assert_clean("n1");
    }
    // STATUS: ready; GC: only what the runtime still lists stays.
    let c = conf("1.1.0", "n1", &["10.9.0.0/24"]);
    call("STATUS", &req("", ""), &c).ok();
    let (a, b) = (netns("ga"), netns("gb"));
    call("ADD", &req("ga", &a), &c).ok();
    call("ADD", &req("gb", &b), &c).ok();
    let mut gc = c.clone();
    gc["cni.dev/valid-attachments"] = json!([{"containerID": "gb", "ifname": "eth0"}]);
    call("GC", &req("", ""), &gc).ok();
    let (links, _, ipam) = leftovers("n1");
    assert_eq!((links.len(), ipam), (1, 1), "GC kept {links:?}");
    assert!(!sh("ip -n ga link").contains("eth0") && sh("ip -n gb link").contains("eth0"));
    call("DEL", &req("gb", &b), &c).ok();
    assert_clean("n1");
    // `ls` lists the network as one, not as a lab whose file is lost.
    let ls: Value = serde_json::from_str(&nslab_ok(&["ls", "--json"], 0)).expect("ls --json");
    let row = &ls[0];
    assert_eq!(
        (&row["lab"], &row["health"]),
        (&json!("n1"), &json!("unchecked")),
        "{ls}"
    );
    assert!(
        row["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("a CNI network")),
        "{ls}"
    );
    // The bridge is the network's until `nslab down` (the containers'
    // namespaces are the runtime's, made here by the test).
    nslab_ok(&["down", "n1"], 0);
    sh("ip -all netns delete");
    assert_nothing_left("n1");
}

#[test]
fn errors_are_the_specs_json_on_stdout_and_change_nothing() {
    if !sandbox("errors_are_the_specs_json_on_stdout_and_change_nothing") {
        return;
    }
    install();
    let ns = netns("e1");
    let cases: [(&str, Req, Value, u64); 4] = [
        (
            "ADD",
            req("e1", ""),
            conf("1.0.0", "n2", &["10.9.0.0/24"]),
            4,
        ),
        (
            "ADD",
            req("e1", &ns),
            conf("9.9.9", "n2", &["10.9.0.0/24"]),
            1,
        ),
        (
            "ADD",
            req("e1", &ns),
            conf("1.0.0", "n2", &["10.9.0.0/99"]),
            7,
        ),
        (
            "FROB",
            req("e1", &ns),
            conf("1.0.0", "n2", &["10.9.0.0/24"]),
            4,
        ),
    ];
    for (cmd, r, c, code) in cases {
        let a = call(cmd, &r, &c);
        assert_ne!(a.code, Some(0), "{a:?}");
        let e = a.json();
        assert_eq!(e["code"], code, "{cmd} {c}: {e}");
        assert!(e["msg"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        assert!(e.get("cniVersion").is_some(), "{e}");
    }
    assert!(!std::path::Path::new("/run/nslab/n2").exists());
    // A lab of the network's name that is not a CNI network is not touched.
    let f = write("n3.yaml", "lab: n3\nnodes:\n  a: {}\n");
    nslab_ok(&["up", &f], 0);
    let a = call(
        "ADD",
        &req("e1", &ns),
        &conf("1.0.0", "n3", &["10.9.0.0/24"]),
    );
    assert_eq!(a.json()["code"], 7, "{a:?}");
    assert!(!sh("ip -n e1 link").contains("eth0"));
    nslab_ok(&["down", "n3"], 0);
    // DEL of what never existed succeeds and makes nothing.
    call(
        "DEL",
        &req("e1", &ns),
        &conf("1.0.0", "n2", &["10.9.0.0/24"]),
    )
    .ok();
    assert!(!std::path::Path::new("/run/nslab/n2").exists());
}

/// VERSION is asked before every command: it answers in milliseconds.
#[test]
fn version_answers_in_milliseconds() {
    if !sandbox("version_answers_in_milliseconds") {
        return;
    }
    install();
    let mut times: Vec<Duration> = (0..9)
        .map(|_| {
            let t = Instant::now();
            call("VERSION", &req("", ""), &json!({"cniVersion": "1.1.0"})).ok();
            t.elapsed()
        })
        .collect();
    times.sort();
    assert!(
        times[4] < Duration::from_millis(50),
        "median {:?}",
        times[4]
    );
    // The other two ways to be the plugin: `nslab cni`, and a link named
    // `nslab-cni`; with arguments and `CNI_COMMAND` set, nslab is the CLI.
    std::os::unix::fs::symlink(nslab_bin(), "/run/nslab-cni").expect("link");
    let ask = |exe: &str, args: &[&str]| {
        let o = std::process::Command::new(exe)
            .args(args)
            .env("CNI_COMMAND", "VERSION")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run");
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let bin = nslab_bin();
    let bin = bin.to_str().expect("path");
    for (exe, args) in [
        (bin, &["cni"][..]),
        ("/run/nslab-cni", &[][..]),
        (bin, &[][..]),
    ] {
        assert!(
            ask(exe, args).contains("supportedVersions"),
            "{exe} {args:?}"
        );
    }
    assert!(!ask(bin, &["ls"]).contains("supportedVersions"));
}

/// `internal: true`: no route out (no default route, no `routes` in the
/// result), nothing masqueraded, the host's forwarding left alone; the
/// gateway still answers.
#[test]
fn an_internal_network_has_no_route_out() {
    if !sandbox("an_internal_network_has_no_route_out") {
        return;
    }
    install();
    sh("sysctl -qw net.ipv4.ip_forward=0");
    let mut c = conf("1.0.0", "in1", &["10.5.0.0/24"]);
    c["internal"] = json!(true);
    let ns = netns("i1");
    let res = call("ADD", &req("i1", &ns), &c).ok().json();
    assert_eq!(res["routes"], json!([]), "{res}");
    assert_eq!(sh("ip -n i1 route show default"), "", "a route out");
    let ruleset = sh("nft list ruleset");
    assert!(!ruleset.contains("masquerade"), "{ruleset}");
    assert_eq!(sh("sysctl -n net.ipv4.ip_forward").trim(), "0");
    let ping = sh("ip netns exec i1 busybox ping -c1 -W2 10.5.0.1 && echo PING-OK");
    assert!(ping.contains("PING-OK"), "{ping}");
    // Without `internal`, the same network routes out and masquerades.
    let c = conf("1.0.0", "out1", &["10.6.0.0/24"]);
    let ns2 = netns("o1");
    call("ADD", &req("o1", &ns2), &c).ok();
    assert!(sh("ip -n o1 route show default").contains("via 10.6.0.1"));
    assert!(sh("nft list ruleset").contains("masquerade"));
    assert_eq!(sh("sysctl -n net.ipv4.ip_forward").trim(), "1");
    call("DEL", &req("o1", &ns2), &c).ok();
    // `nslab down` puts the host's forwarding back as it was.
    nslab_ok(&["down", "out1"], 0);
    assert_eq!(sh("sysctl -n net.ipv4.ip_forward").trim(), "0");
}

/// A published port answers from the host itself and, hairpinned, from a
/// container of the same network (its own port included), as Docker's do.
#[test]
fn a_published_port_answers_from_the_host_and_hairpinned() {
    if !sandbox("a_published_port_answers_from_the_host_and_hairpinned") {
        return;
    }
    install();
    let mut c = conf("1.1.0", "pub1", &["10.4.0.0/24"]);
    c["runtimeConfig"] =
        json!({"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]});
    let (a, b) = (netns("pa"), netns("pb"));
    call("ADD", &req("pa", &a), &c).ok();
    let mut plain = c.clone();
    plain["runtimeConfig"] = json!({});
    call("ADD", &req("pb", &b), &plain).ok();
    // What a runtime does besides the network plugin (the `loopback` one).
    sh("ip -n pa link set lo up; ip -n pb link set lo up");
    std::fs::create_dir_all("/run/www").expect("www");
    std::fs::write("/run/www/index.html", "published\n").expect("index");
    let mut httpd = std::process::Command::new("ip")
        .args([
            "netns", "exec", "pa", "busybox", "httpd", "-f", "-p", "80", "-h", "/run/www",
        ])
        .spawn()
        .expect("httpd");
    let get = |from: &str| {
        let cmd = format!(
            "for i in 1 2 3 4 5 6 7 8 9 10; do {from} timeout 3 busybox wget -q -O - http://10.4.0.1:8080/ && break; sleep 0.2; done"
        );
        sh(&cmd)
    };
    let host = get("");
    let other = get("ip netns exec pb");
    let own = get("ip netns exec pa");
    let _ = httpd.kill();
    let _ = httpd.wait();
    assert!(host.contains("published"), "from the host: {host}");
    assert!(
        other.contains("published"),
        "from another container: {other}"
    );
    assert!(own.contains("published"), "from itself (hairpin): {own}");
    call("DEL", &req("pa", &a), &c).ok();
    call("DEL", &req("pb", &b), &plain).ok();
    assert_clean("pub1");
}
