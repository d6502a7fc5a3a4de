//! Unit tests of the kernel module checks.

use super::*;

const VLAN: Module = Module {
    name: "8021q",
    config: "CONFIG_VLAN_8021Q",
};
const NETEM: Module = Module {
    name: "sch_netem",
    config: "CONFIG_NET_SCH_NETEM",
};
const VETH: Module = Module {
    name: "veth",
    config: "CONFIG_VETH",
};
const VRF: Module = Module {
    name: "vrf",
    config: "CONFIG_NET_VRF",
};

/// A fake root with the files given (path under the root, text).
fn root(files: &[(&str, &[u8])]) -> tempdir::Dir {
    let d = tempdir::Dir::new();
    for (path, text) in files {
        let p = d.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

mod tempdir {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory removed when dropped.
    pub struct Dir(pub PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "nslab-kmod-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A gzip file of `text` (no optional fields but a name, as gzip(1)
/// writes one).
fn gzip(text: &str) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(b"config\0");
    out.extend(miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 6));
    out.extend_from_slice(&[0; 8]);
    out
}

const REL: &str = "proc/sys/kernel/osrelease";
const DEP: &str = "lib/modules/6.1.0-test/modules.dep";
const BUILTIN: &str = "lib/modules/6.1.0-test/modules.builtin";

#[test]
fn loaded_builtin_installed_and_missing_are_told_apart() {
    let r = root(&[
        (REL, b"6.1.0-test\n"),
        (
            "proc/modules",
            b"veth 45056 0 - Live 0x0000000000000000\nbridge 1 0 - Live 0x0\n",
        ),
        (BUILTIN, b"kernel/net/vrf/vrf.ko\n"),
        (
            DEP,
            b"kernel/net/8021q/8021q.ko.zst: kernel/net/802/garp.ko.zst\nkernel/drivers/net/veth.ko.zst:\n",
        ),
    ]);
    let m = Modules::read_at(&r.0);
    assert_eq!(m.release(), "6.1.0-test");
    assert_eq!(m.have(&VETH), Have::Loaded);
    assert_eq!(m.have(&VRF), Have::BuiltIn);
    assert_eq!(m.have(&VLAN), Have::Loadable);
    match m.have(&NETEM) {
        Have::Missing(why) => assert!(why.contains("modules.dep"), "{why}"),
        other => panic!("netem: {other:?}"),
    }
}

#[test]
fn without_module_support_the_configuration_decides() {
    // No /proc/modules, no /lib/modules: what this project's VM has.
    let config = "CONFIG_VETH=y\n# CONFIG_VLAN_8021Q is not set\nCONFIG_NET_VRF=m\n";
    for (name, file) in [
        ("proc/config.gz", gzip(config)),
        ("boot/config-6.1.0-test", config.as_bytes().to_vec()),
    ] {
        let r = root(&[(REL, b"6.1.0-test\n"), (name, &file)]);
        let m = Modules::read_at(&r.0);
        assert_eq!(m.have(&VETH), Have::BuiltIn, "{name}");
        match m.have(&VLAN) {
            Have::Missing(why) => {
                assert!(why.contains("CONFIG_VLAN_8021Q is not set"), "{why}")
            }
            other => panic!("{name}: vlan: {other:?}"),
        }
        match m.have(&VRF) {
            Have::Missing(why) => assert!(why.contains("no /proc/modules"), "{why}"),
            other => panic!("{name}: vrf: {other:?}"),
        }
        // Not in the configuration at all: not built.
        assert!(matches!(m.have(&NETEM), Have::Missing(_)), "{name}");
    }
}

#[test]
fn a_module_the_configuration_builds_is_found_where_it_is_installed() {
    let config = "CONFIG_VLAN_8021Q=m\nCONFIG_NET_SCH_NETEM=m\n";
    let r = root(&[
        (REL, b"6.1.0-test\n"),
        ("proc/modules", b""),
        ("proc/config.gz", &gzip(config)),
        (BUILTIN, b""),
        (DEP, b"kernel/net/8021q/8021q.ko:\n"),
    ]);
    let m = Modules::read_at(&r.0);
    assert_eq!(m.have(&VLAN), Have::Loadable);
    match m.have(&NETEM) {
        Have::Missing(why) => assert!(why.contains("not installed"), "{why}"),
        other => panic!("netem: {other:?}"),
    }
}

#[test]
fn with_nothing_to_read_nothing_is_claimed() {
    let r = root(&[]);
    let m = Modules::read_at(&r.0);
    for module in [VETH, VLAN, NETEM, VRF] {
        assert_eq!(m.have(&module), Have::Unknown, "{module:?}");
    }
    // Loaded modules alone do not prove the others missing (they may
    // be built in).
    let r = root(&[
        (REL, b"6.1.0-test\n"),
        ("proc/modules", b"veth 1 0 - Live 0x0\n"),
    ]);
    let m = Modules::read_at(&r.0);
    assert_eq!(m.have(&VETH), Have::Loaded);
    assert_eq!(m.have(&VLAN), Have::Unknown);
}

#[test]
fn module_names_are_read_from_paths_as_the_kernel_writes_them() {
    for (path, name) in [
        ("kernel/net/8021q/8021q.ko", Some("8021q")),
        ("kernel/net/sched/sch_netem.ko.xz", Some("sch_netem")),
        ("kernel/drivers/net/ipvlan/ipvlan.ko.zst", Some("ipvlan")),
        ("kernel/drivers/foo/nf-dummy.ko.gz", Some("nf_dummy")),
        ("kernel/drivers/net/", None),
        ("", None),
    ] {
        assert_eq!(module_of_path(path).as_deref(), name, "{path}");
    }
}
