//! The CNI plugin where runtimes stress it: chained after Debian's
//! reference plugins (its `prevResult` written by code we did not write),
//! ADDs racing for addresses, and SIGKILL in the middle of an ADD followed
//! by the runtime's DEL. Each test runs in its own sandbox.

#[path = "common/cni.rs"]
mod cni;
mod common;
use cni::{call, del_list, finish, http_get, install, leftovers, netns, req, start};
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Instant;

/// After a reference `bridge` + `host-local` plugin, nslab reads their
/// result, publishes the port to their address, and passes the result on
/// unchanged; DEL in reverse leaves nothing of nslab's.
#[test]
fn chained_after_the_reference_plugins_it_passes_their_result_through() {
    if !sandbox("chained_after_the_reference_plugins_it_passes_their_result_through") {
        return;
    }
    install();
    let list = json!({"cniVersion": "1.0.0", "name": "ch", "plugins": [
        {"type": "bridge", "bridge": "cni-ref", "isGateway": true, "ipMasq": false,
         "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam",
                  "ranges": [[{"subnet": "10.77.0.0/24"}]]}},
        {"type": "nslab", "capabilities": {"portMappings": true},
         "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}},
    ]});
    let ns = netns("ch1");
    // The reference plugins' own result, then nslab's given it.
    let prev = call("ADD", &req("ch1", &ns), &cni::plugin_conf(&list, 0, None));
    let prev = prev.ok().json();
    let next = cni::plugin_conf(&list, 1, Some(&prev));
    let last = call("ADD", &req("ch1", &ns), &next).ok().json();
    assert_eq!(last, prev, "nslab changed the result it was given");
    assert_eq!(
        last["interfaces"].as_array().map(Vec::len),
        Some(3),
        "{last}"
    );
    let addr = last["ips"][0]["address"].as_str().expect("address");
    let ip = addr.split('/').next().expect("ip");
    // The published port reaches the container from the host side.
    std::fs::create_dir_all("/run/www").expect("www");
    std::fs::write("/run/www/index.html", "from-the-container\n").expect("index");
    let mut httpd = std::process::Command::new("ip")
        .args([
            "netns", "exec", "ch1", "busybox", "httpd", "-f", "-p", "80", "-h", "/run/www",
        ])
        .spawn()
        .expect("httpd");
    let mut got = String::new();
    for _ in 0..30 {
        got = http_get("10.77.0.1:8080");
        if got.contains("from-the-container") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = httpd.kill();
    let _ = httpd.wait();
    assert!(got.contains("from-the-container"), "{got} (container {ip})");
    for a in del_list(&list, &req("ch1", &ns), Some(&last)) {
        a.ok();
    }
    assert_eq!(leftovers("ch"), (vec![], false, 0));
    nslab_ok(&["down", "ch"], 0);
    sh("ip link del cni-ref; ip -all netns delete");
    assert_nothing_left("ch");
}

fn conf() -> Value {
    json!({"cniVersion": "1.1.0", "name": "race", "type": "nslab",
           "subnets": ["10.66.0.0/24", "fd66::/64"], "mtu": 1400})
}

/// Sixteen ADDs started at once get sixteen different addresses, each on
/// its container's interface; sixteen DELs at once leave nothing.
#[test]
fn racing_adds_get_distinct_addresses() {
    if !sandbox("racing_adds_get_distinct_addresses") {
        return;
    }
    install();
    let ids: Vec<String> = (0..16).map(|i| format!("r{i}")).collect();
    let nss: Vec<String> = ids.iter().map(|i| netns(i)).collect();
    let kids: Vec<_> = ids
        .iter()
        .zip(&nss)
        .map(|(i, n)| start("ADD", &req(i, n), &conf()))
        .collect();
    let mut seen = BTreeSet::new();
    for (k, id) in kids.into_iter().zip(&ids) {
        let res = finish(k).ok().json();
        for ip in res["ips"].as_array().expect("ips") {
            let a = ip["address"].as_str().expect("address").to_string();
            let on = sh(&format!("ip -n {id} addr show eth0"));
            assert!(on.contains(&a), "{a} not on {id}: {on}");
            assert!(on.contains("mtu 1400"), "{id}: {on}");
            assert!(seen.insert(a.clone()), "{a} handed out twice");
            // Usable at once: no IPv6 address waits for duplicate detection.
            assert!(!on.contains("tentative"), "{id}: {on}");
        }
    }
    assert_eq!(seen.len(), 32);
    let kids: Vec<_> = ids
        .iter()
        .zip(&nss)
        .map(|(i, n)| start("DEL", &req(i, n), &conf()))
        .collect();
    for k in kids {
        finish(k).ok();
    }
    assert_eq!(leftovers("race"), (vec![], false, 0));
    for id in &ids {
        assert!(!sh(&format!("ip -n {id} link")).contains("eth0"), "{id}");
    }
}

/// SIGKILL at moments spread over an ADD, then the runtime's DEL (as
/// Podman's cleanup does): no veth, no rules, no IPAM entry is left, and
/// the next ADD works.
#[test]
fn an_add_killed_anywhere_then_del_leaves_nothing() {
    if !sandbox("an_add_killed_anywhere_then_del_leaves_nothing") {
        return;
    }
    install();
    let mut c = conf();
    c["runtimeConfig"] = json!({"portMappings": [{"hostPort": 8080, "containerPort": 80}]});
    let ns = netns("k");
    // Keep one other container on the network, so its rules must stay.
    let other = netns("keep");
    call("ADD", &req("keep", &other), &c).ok();
    let t = Instant::now();
    call("ADD", &req("k", &ns), &c).ok();
    let took = t.elapsed();
    call("DEL", &req("k", &ns), &c).ok();
    let steps = 12u32;
    let mut killed = 0;
    for i in 0..=steps {
        let child = start("ADD", &req("k", &ns), &c);
        // Spread over the first three quarters of an ADD: most runs die mid-way.
        std::thread::sleep(took * 3 * i / (4 * steps));
        let mut child = child;
        let _ = child.kill();
        let a = finish(child);
        killed += usize::from(a.code.is_none());
        call("DEL", &req("k", &ns), &c).ok();
        let (links, table, ipam) = leftovers("race");
        assert_eq!((links.len(), ipam), (1, 1), "kill at step {i}: {links:?}");
        assert!(table, "kill at step {i}: the other container's rules went");
        assert!(!sh("ip -n k link").contains("eth0"), "kill at step {i}");
    }
    assert!(
        killed >= steps as usize / 3,
        "only {killed} runs were killed mid-run"
    );
    let r = call("ADD", &req("k", &ns), &c);
    r.ok();
    call("DEL", &req("k", &ns), &c).ok();
    call("DEL", &req("keep", &other), &c).ok();
    assert_eq!(leftovers("race"), (vec![], false, 0));
}
