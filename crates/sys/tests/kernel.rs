//! Kernel tests: each body runs in a sandbox of its own (fresh network and
//! mount namespaces, private tmpfs on /run), see `nslab_sys::sandbox`.
//! `ip` is used only to cross-check.

#![deny(unsafe_code)]

use std::ffi::OsString;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nslab_sys::sandbox::{self, netns_left};
use nslab_sys::{exec, netns, sysctl, tap, Error};

fn ip(args: &str) -> String {
    let out = Command::new("ip")
        .args(args.split_whitespace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ip {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn argv(words: &[&str]) -> Vec<OsString> {
    words.iter().map(OsString::from).collect()
}

fn ns_inode_of_fd(fd: &OwnedFd) -> u64 {
    File::from(fd.try_clone().unwrap())
        .metadata()
        .unwrap()
        .ino()
}

fn interfaces_here() -> Vec<String> {
    // /proc/thread-self/net: the calling thread's namespace (/proc/net
    // would be the main thread's).
    let dev = std::fs::read_to_string("/proc/thread-self/net/dev").unwrap();
    let mut names: Vec<String> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|n| n.trim().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn netns_create_list_open_delete() {
    if !sandbox::enter("netns_create_list_open_delete") {
        return;
    }
    let a = netns::create("lab-a").unwrap();
    let b = netns::create("lab-b").unwrap();
    assert_ne!(ns_inode_of_fd(&a), ns_inode_of_fd(&b));
    assert_eq!(netns::list().unwrap(), ["lab-a", "lab-b"]);
    assert!(netns::exists("lab-a") && !netns::exists("lab-c"));

    // The file is the namespace create returned, and ip netns sees it.
    let opened = netns::open("lab-a").unwrap();
    assert_eq!(ns_inode_of_fd(&opened), ns_inode_of_fd(&a));
    let listed = ip("netns list");
    assert!(
        listed.contains("lab-a") && listed.contains("lab-b"),
        "{listed}"
    );
    let links = ip("netns exec lab-a ip -o link");
    assert_eq!(links.lines().count(), 1, "{links}");
    assert!(links.contains(": lo:"), "{links}");

    // A taken name fails cleanly and leaves the namespace alone.
    assert!(
        matches!(netns::create("lab-a"), Err(Error::NetnsExists { ref name }) if name == "lab-a")
    );
    assert_eq!(
        netns::create("lab-a").unwrap_err().to_string(),
        "namespace lab-a already exists"
    );
    assert_eq!(
        ns_inode_of_fd(&netns::open("lab-a").unwrap()),
        ns_inode_of_fd(&a)
    );

    // ip netns del on ours, and ours on ip's.
    ip("netns del lab-b");
    ip("netns add by-ip");
    netns::delete("by-ip").unwrap();
    netns::delete("lab-a").unwrap();
    assert!(matches!(
        netns::delete("lab-a"),
        Err(Error::NetnsNotFound { .. })
    ));
    assert!(matches!(
        netns::open("lab-a"),
        Err(Error::NetnsNotFound { .. })
    ));
    assert!(netns::list().unwrap().is_empty());
    assert!(ip("netns list").trim().is_empty());
    drop((a, b, opened));
    assert!(netns_left().is_empty(), "{:?}", netns_left());
}

#[test]
fn a_leftover_plain_file_is_not_a_namespace() {
    if !sandbox::enter("a_leftover_plain_file_is_not_a_namespace") {
        return;
    }
    std::fs::write(netns::netns_dir().join("stale"), b"").unwrap();
    assert!(matches!(netns::open("stale"), Err(Error::NotNetns { .. })));
    netns::delete("stale").unwrap();
    assert!(netns_left().is_empty());
}

#[test]
fn run_in_sockets_belong_to_the_namespace() {
    if !sandbox::enter("run_in_sockets_belong_to_the_namespace") {
        return;
    }
    ip("link set lo up");
    ip("link add nsv0 type veth peer name nsv1");
    let before = netns::current().unwrap();
    let ns = netns::create("sock").unwrap();

    // Only the namespace's lo is visible inside; the sandbox's links outside.
    assert_eq!(netns::run_in(ns.as_fd(), interfaces_here).unwrap(), ["lo"]);
    assert_eq!(interfaces_here(), ["lo", "nsv0", "nsv1"]);
    assert_eq!(
        ns_inode_of_fd(&netns::current().unwrap()),
        ns_inode_of_fd(&before)
    );

    // A socket made inside stays there when used from this thread: lo is
    // down inside, so 127.0.0.1 is not an address there, but is here.
    let any = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0);
    let inside = netns::run_in(ns.as_fd(), || UdpSocket::bind("0.0.0.0:0"))
        .unwrap()
        .unwrap();
    let err = inside
        .send_to(b"x", SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENETUNREACH), "{err}");
    UdpSocket::bind(any)
        .unwrap()
        .send_to(b"x", SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))
        .unwrap();

    // Many calls are fine.
    let start = Instant::now();
    for _ in 0..1000 {
        netns::run_in(ns.as_fd(), || ()).unwrap();
    }
    eprintln!("1000 run_in calls: {:?}", start.elapsed());

    drop((ns, inside));
    netns::delete("sock").unwrap();
    ip("link del nsv0");
    assert!(netns_left().is_empty());
}

#[test]
fn sysctl_in_a_namespace_leaves_the_sandbox_alone() {
    if !sandbox::enter("sysctl_in_a_namespace_leaves_the_sandbox_alone") {
        return;
    }
    let outside = sysctl::read("net.ipv4.ip_forward").unwrap();
    let ns = netns::create("sys").unwrap();
    let flipped = if outside == "1" { "0" } else { "1" };
    netns::run_in(ns.as_fd(), || sysctl::write("net.ipv4.ip_forward", flipped))
        .unwrap()
        .unwrap();
    assert_eq!(
        netns::run_in(ns.as_fd(), || sysctl::read("net.ipv4.ip_forward"))
            .unwrap()
            .unwrap(),
        flipped
    );
    assert_eq!(sysctl::read("net.ipv4.ip_forward").unwrap(), outside);

    // An interface name with a dot.
    ip("-n sys link add eth0.100 type veth peer name p0");
    let key = "net.ipv4.conf.eth0.100.rp_filter";
    netns::run_in(ns.as_fd(), || sysctl::write(key, "2"))
        .unwrap()
        .unwrap();
    assert_eq!(
        netns::run_in(ns.as_fd(), || sysctl::read(key))
            .unwrap()
            .unwrap(),
        "2"
    );

    let e = netns::run_in(ns.as_fd(), || {
        sysctl::write("net.ipv4.conf.nope.rp_filter", "1")
    })
    .unwrap()
    .unwrap_err();
    assert!(
        e.to_string().contains("net.ipv4.conf.nope.rp_filter"),
        "{e}"
    );
    assert!(matches!(
        sysctl::write("kernel.hostname", "x"),
        Err(Error::SysctlKey { .. })
    ));
    drop(ns);
    netns::delete("sys").unwrap();
    assert!(netns_left().is_empty());
}

#[test]
fn tap_is_created_persistent_in_the_namespace() {
    if !sandbox::enter("tap_is_created_persistent_in_the_namespace") {
        return;
    }
    let ns = netns::create("tap").unwrap();
    netns::run_in(ns.as_fd(), || tap::create_tap("tap0", Some(4242)))
        .unwrap()
        .unwrap();
    let shown = ip("-n tap -d link show tap0");
    assert!(shown.contains("tun type tap"), "{shown}");
    assert!(shown.contains("persist on"), "{shown}");
    assert!(shown.contains("user 4242"), "{shown}");
    assert!(!interfaces_here().contains(&"tap0".to_string()));
    // Again: attaches to the existing device.
    netns::run_in(ns.as_fd(), || tap::create_tap("tap0", None))
        .unwrap()
        .unwrap();
    ip("-n tap link del tap0");
    drop(ns);
    netns::delete("tap").unwrap();
    assert!(netns_left().is_empty());
}

#[test]
fn command_in_gives_what_ip_netns_exec_gives() {
    if !sandbox::enter("command_in_gives_what_ip_netns_exec_gives") {
        return;
    }
    let ns = netns::create("node").unwrap();
    ip("-n node link add n0 type veth peer name n1");
    let mounts_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let out = exec::command_in("node", &argv(&["sh", "-c", "ls /sys/class/net; exit 7"]))
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["lo", "n0", "n1"]
    );
    // The /sys remount stayed in the child's own mount namespace.
    assert_eq!(
        std::fs::read_to_string("/proc/self/mountinfo").unwrap(),
        mounts_before
    );

    let missing = exec::command_in("nope", &argv(&["true"]));
    assert!(matches!(missing, Err(Error::NetnsNotFound { .. })));
    let not_found = exec::command_in("node", &argv(&["/nonexistent/prog"]))
        .unwrap()
        .status();
    assert!(not_found.is_err());

    // The shell: prompt names lab and node; commands come from stdin here.
    let mut sh = exec::shell_command("node", "demo/h1").unwrap();
    let ps1 = sh
        .get_envs()
        .find(|(k, _)| *k == "PS1")
        .and_then(|(_, v)| v)
        .map(|v| v.to_os_string());
    assert!(ps1.is_some_and(|p| p.to_string_lossy().starts_with("[demo/h1] ")));
    let mut child = sh
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"ls /sys/class/net | wc -l; exit 3\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");

    drop(ns);
    netns::delete("node").unwrap();
    assert!(netns_left().is_empty());
}

fn alive_in_group(pgid: i32) -> Vec<i32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        if rest[2] == pgid.to_string() && rest[0] != "Z" {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn spawn_in_and_kill_group_stop_the_process_and_its_children() {
    if !sandbox::enter("spawn_in_and_kill_group_stop_the_process_and_its_children") {
        return;
    }
    let ns = netns::create("svc").unwrap();
    let log = std::path::Path::new("/run/nslab/lab/svc.0.log");
    let script = "echo started; tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '; sleep 100 & sleep 100 & wait";
    let mut child = exec::spawn_in(ns.as_fd(), &argv(&["sh", "-c", script]), log)
        .unwrap()
        .spawn()
        .unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    // Ready: the output is written and only sh and the two sleeps remain.
    let ready = || {
        std::fs::read_to_string(log).is_ok_and(|t| t == "started\nlo\n")
            && alive_in_group(pid).len() == 3
    };
    while !ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let members = alive_in_group(pid);
    assert_eq!(members.len(), 3, "{members:?}");
    for p in &members {
        let ino = std::fs::metadata(format!("/proc/{p}/ns/net"))
            .unwrap()
            .ino();
        assert_eq!(
            ino,
            ns_inode_of_fd(&ns),
            "process {p} is not in the namespace"
        );
    }
    assert!(exec::kill_group(pid, Duration::from_secs(2)));
    assert!(alive_in_group(pid).is_empty());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    let text = std::fs::read_to_string(log).unwrap();
    assert_eq!(text, "started\nlo\n");
    drop(ns);
    netns::delete("svc").unwrap();
    assert!(netns_left().is_empty());
}

#[test]
fn statedir_base_comes_from_nslab_run_dir() {
    if !sandbox::enter("statedir_base_comes_from_nslab_run_dir") {
        return;
    }
    // Only this test runs in this process, so changing the environment is safe.
    std::env::set_var("NSLAB_RUN_DIR", "/run/nslab/elsewhere");
    let dir = nslab_sys::statedir::StateDir::open("lab1").unwrap();
    assert_eq!(
        dir.path(),
        std::path::Path::new("/run/nslab/elsewhere/lab1")
    );
    assert_eq!(
        nslab_sys::statedir::StateDir::list_labs().unwrap(),
        ["lab1"]
    );
    dir.remove().unwrap();
    assert!(nslab_sys::statedir::StateDir::list_labs()
        .unwrap()
        .is_empty());
}

/// `create_from` makes the namespace on the calling thread: `init` runs
/// inside it, the thread is back home afterwards, and a failing `init`
/// leaves neither a namespace file nor the thread elsewhere.
#[test]
fn create_from_runs_init_inside_and_returns_home() {
    if !sandbox::enter("create_from_runs_init_inside_and_returns_home") {
        return;
    }
    let here = || std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino();
    let before = here();
    let home = netns::current().unwrap();
    let (fd, inside) = netns::create_from(home.as_fd(), "made-here", || Ok(here())).unwrap();
    assert_eq!(here(), before);
    assert_eq!(inside, ns_inode_of_fd(&fd));
    assert_ne!(inside, before);
    assert_eq!(ns_inode_of_fd(&netns::open("made-here").unwrap()), inside);
    let failed = netns::create_from(home.as_fd(), "not-made", || Err::<(), _>("no".into()));
    assert!(failed.is_err());
    assert_eq!(here(), before);
    assert!(!netns::exists("not-made"));
    netns::delete("made-here").unwrap();
}

/// The namespace directory is a shared mount (as `ip netns add` makes
/// it): a mount namespace copied from ours before a namespace is made sees
/// it too (`ip netns exec` from a container's copy of the host's mounts),
/// for a namespace made after many others as for the first.
#[test]
fn a_namespace_made_later_is_seen_by_copied_mount_namespaces() {
    if !sandbox::enter("a_namespace_made_later_is_seen_by_copied_mount_namespaces") {
        return;
    }
    netns::create("first").unwrap();
    for i in 0..20 {
        netns::create(&format!("other{i}")).unwrap();
    }
    // A copy of our mount namespace that keeps the propagation: it says
    // when it is there, and looks after we made the namespace.
    let mut child = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "unchanged", "--", "sh", "-c"])
        .arg("echo copied; read x; grep -c ' /run/netns/later ' /proc/self/mountinfo || true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut copied = [0u8; 7];
    std::io::Read::read_exact(&mut out, &mut copied).unwrap();
    assert_eq!(&copied, b"copied\n");
    netns::create("later").unwrap();
    drop(child.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    child.wait().unwrap();
    assert_eq!(
        rest.trim(),
        "1",
        "the copy sees the namespace made after it"
    );
    for name in netns::list().unwrap() {
        netns::delete(&name).unwrap();
    }
}
