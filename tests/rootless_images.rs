//! Image nodes in a lab without root (issue 19): as an unprivileged uid,
//! the test image put into the user's image store of labs without root
//! (`$XDG_DATA_HOME/nslab/images`) by the user's own rootless Podman,
//! then a lab with an image node up with `--rootless --check`, exec'd
//! into, pinged, `down`: no process of the user, nothing under its
//! `XDG_RUNTIME_DIR` (the lab's Podman storage, its containers, went
//! with the lab). An image not in the store: status 2, nothing made.

mod common;

// Shared with tests/rootless.rs, which uses the rest.
#[allow(dead_code)]
#[path = "rootless/user.rs"]
mod as_user;

use as_user::{assert_nothing_left, entries, processes_of_user, user, xdg, UID};
use common::{images, sandbox, text, write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const IMAGE: &str = "localhost/nslab-rootless-busybox:1";

fn lab(image: &str) -> String {
    format!(
        "lab: rimg\nnodes:\n  c:\n    image: {image}\n    hostname: cee\n    \
         cmd: [sh, -c, \"hostname > /www/index.html && exec httpd -f -p 80 -h /www\"]\n    \
         interfaces:\n      eth0: {{ addresses: [10.9.0.1/24] }}\n  h:\n    interfaces:\n      \
         eth0: {{ addresses: [10.9.0.2/24] }}\nlinks:\n  - [c:eth0, h:eth0]\n"
    )
}

/// The user's `XDG_DATA_HOME` (on the sandbox's /run), made and owned by
/// the user, and every shared-memory file Podman makes kept in this
/// sandbox (a tmpfs on `/dev/shm`, this mount namespace only).
fn data_home() -> PathBuf {
    let d = PathBuf::from(format!("/run/data/{UID}"));
    std::fs::create_dir_all(&d).expect("mkdir XDG_DATA_HOME");
    std::os::unix::fs::chown(&d, Some(UID), Some(UID)).expect("chown");
    let o = Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs", "/dev/shm"])
        .output()
        .expect("mount");
    assert!(o.status.success(), "{}", text(&o));
    d
}

/// The user's rootless Podman (`podman --root STORE --storage-driver vfs
/// import`, as the docs say), with run directories of its own outside the
/// user's `XDG_RUNTIME_DIR`; its pause process is ended after.
fn import_as_user(store: &Path) {
    let tar = Path::new("/run/data/rootfs.tar");
    images::rootfs_tar(tar);
    let own = Path::new("/run/data/podman-xdg");
    std::fs::create_dir_all(own).expect("mkdir");
    std::os::unix::fs::chown(own, Some(UID), Some(UID)).expect("chown");
    let o = Command::new("podman")
        .arg("--root")
        .arg(store)
        .arg("--runroot")
        .arg(own.join("run"))
        .args(["--storage-driver", "vfs", "import", "-q"])
        .arg(tar)
        .arg(IMAGE)
        .uid(UID)
        .gid(UID)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", own)
        .env("XDG_RUNTIME_DIR", own)
        .current_dir("/")
        .output()
        .expect("podman import");
    assert!(
        o.status.success(),
        "podman import as the user: {}",
        text(&o)
    );
    for p in processes_of_user() {
        if let Some(pid) = p.split_whitespace().next() {
            let _ = Command::new("kill").args(["-9", pid]).status();
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(processes_of_user(), Vec::<String>::new());
}

fn nslab(args: &[&str], x: &Path, data: &Path) -> std::process::Output {
    user(args, Some(x))
        .env("XDG_DATA_HOME", data)
        .output()
        .expect("run nslab as the user")
}

fn nslab_ok(args: &[&str], x: &Path, data: &Path) -> String {
    let o = nslab(args, x, data);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "nslab {}:\n{t}", args.join(" "));
    t
}

#[test]
fn an_image_node_comes_up_without_root_from_the_users_store() {
    if !sandbox("an_image_node_comes_up_without_root_from_the_users_store") {
        return;
    }
    let x = xdg();
    let data = data_home();
    let store = data.join("nslab/images");
    import_as_user(&store);
    let before = entries(&store);
    let f = write("rimg.yaml", &lab(IMAGE));
    std::fs::set_permissions(
        "/run/test-files",
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let out = nslab_ok(&["up", "--rootless", "--check", &f], &x, &data);
    assert!(out.contains("passed"), "{out}");
    // Inside the container: its host name and its own file system.
    let host = nslab_ok(&["exec", "rimg", "c", "--", "hostname"], &x, &data);
    assert_eq!(host.trim(), "cee");
    let sh = nslab_ok(
        &["exec", "rimg", "c", "--", "readlink", "/bin/sh"],
        &x,
        &data,
    );
    assert_eq!(sh.trim(), "busybox");
    // From the other node: a ping, and the container's web server.
    nslab_ok(
        &[
            "exec", "rimg", "h", "--", "busybox", "ping", "-c1", "-W2", "10.9.0.1",
        ],
        &x,
        &data,
    );
    let page = nslab_ok(
        &[
            "exec",
            "rimg",
            "h",
            "--",
            "busybox",
            "wget",
            "-qO-",
            "http://10.9.0.1/",
        ],
        &x,
        &data,
    );
    assert_eq!(page.trim(), "cee");
    assert!(
        entries(&x).iter().any(|e| e.contains("podman")),
        "{:?}",
        entries(&x)
    );
    nslab_ok(&["down", "rimg"], &x, &data);
    assert_nothing_left(&x);
    // The user's store is only read: no container or layer of the lab's.
    assert_eq!(entries(&store), before);
}

#[test]
fn an_image_not_in_the_users_store_is_refused_and_nothing_is_made() {
    if !sandbox("an_image_not_in_the_users_store_is_refused_and_nothing_is_made") {
        return;
    }
    let x = xdg();
    let data = data_home();
    import_as_user(&data.join("nslab/images"));
    let f = write("rimg.yaml", &lab("localhost/not-there:1"));
    std::fs::set_permissions(
        "/run/test-files",
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let o = nslab(&["up", "--rootless", &f], &x, &data);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    // Where to put it: the user's store of labs without root.
    assert!(
        t.contains("localhost/not-there:1") && t.contains("/nslab/images --storage-driver vfs"),
        "{t}"
    );
    assert_nothing_left(&x);
}

/// `up --rootless` killed (SIGKILL) at moments spread over its run, one
/// of them while its `podman run` goes on: `down` leaves nothing (no
/// process of the user, nothing under its `XDG_RUNTIME_DIR`).
#[test]
fn a_killed_up_with_an_image_node_then_down_leaves_nothing() {
    if !sandbox("a_killed_up_with_an_image_node_then_down_leaves_nothing") {
        return;
    }
    let x = xdg();
    let data = data_home();
    import_as_user(&data.join("nslab/images"));
    let f = write("rimg.yaml", &lab(IMAGE));
    std::fs::set_permissions(
        "/run/test-files",
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    // How long a whole `up` takes here, to spread the kills over it.
    let t0 = std::time::Instant::now();
    nslab_ok(&["up", "--rootless", &f], &x, &data);
    let whole = t0.elapsed();
    nslab_ok(&["down", "rimg"], &x, &data);
    assert_nothing_left(&x);
    for tenth in [1, 3, 5, 7, 9] {
        let mut child = user(&["up", "--rootless", &f], Some(&x))
            .env("XDG_DATA_HOME", &data)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn up");
        std::thread::sleep(whole * tenth / 10);
        let _ = child.kill();
        let _ = child.wait();
        let o = nslab(&["down", "rimg"], &x, &data);
        assert!(
            o.status.success(),
            "down after a kill at {tenth}/10: {}",
            text(&o)
        );
        assert_nothing_left(&x);
    }
}
