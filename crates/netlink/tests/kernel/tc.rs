//! Root qdiscs: netem impairments set, read back, changed in place and
//! deleted. The netem tests need `sch_netem`, which the development
//! machine's kernel lacks: they are ignored here and run in the VM lane
//! (`tests/vm/run`, a stock Debian kernel, `--ignored`). What runs
//! everywhere: dumps of default qdiscs, deleting a default qdisc, and a
//! netem request that either works or fails with the kernel's own text.

use nslab_netlink::*;

use crate::common::*;

/// A veth pair `v0`/`v1`, both up; returns v0's index.
fn veth_up(s: &mut Socket) -> u32 {
    let mut v0 = NewLink::new("v0", LinkKind::veth("v1"));
    v0.up = true;
    let mut v1 = SetLink::name("v1");
    v1.up = Some(true);
    ok_all(s.execute(&[Request::NewLink(v0), Request::SetLink(v1)]));
    by_name(&s.links().unwrap(), "v0").index
}

fn root_of(s: &mut Socket, index: u32) -> Option<QdiscInfo> {
    let all = s.qdiscs().unwrap();
    assert!(
        all.iter().filter(|q| q.index == index).count() <= 1,
        "{all:?}"
    );
    all.into_iter().find(|q| q.index == index)
}

fn replace(s: &mut Socket, index: u32, impair: Impair) -> Result<(), Error> {
    let mut results = s.execute(&[Request::ReplaceQdisc(Qdisc { index, impair })]);
    results.remove(0)
}

fn delay(ms: u32) -> Impair {
    Impair {
        delay_us: Some(ms * 1000),
        ..Impair::default()
    }
}

#[test]
fn default_root_qdiscs_are_dumped_without_impairments() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut lo = SetLink::name("lo");
        lo.up = Some(true);
        ok_all(s.execute(&[Request::SetLink(lo)]));
        let v0 = veth_up(&mut s);
        // veth and lo are IFF_NO_QUEUE: their default root is noqueue.
        for index in [1, v0] {
            let q = root_of(&mut s, index).unwrap();
            assert_eq!((q.kind.as_str(), q.handle, q.impair), ("noqueue", 0, None));
        }
    });
}

#[test]
fn deleting_a_default_root_qdisc_is_not_found() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let v0 = veth_up(&mut s);
        let results = s.execute(&[
            Request::DelQdisc { index: v0 },
            Request::DelQdisc { index: 4242 },
        ]);
        for r in results {
            let e = r.unwrap_err();
            assert!(e.is_not_found(), "{e} ({})", e.errno());
            assert_eq!(e.op(), Op::DelQdisc);
        }
        assert_eq!(root_of(&mut s, v0).unwrap().kind, "noqueue");
    });
}

#[test]
fn netem_is_set_or_refused_with_the_kernel_text() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let v0 = veth_up(&mut s);
        match replace(&mut s, v0, delay(50)) {
            Ok(()) => {
                let q = root_of(&mut s, v0).unwrap();
                assert_eq!((q.kind.as_str(), q.impair), ("netem", Some(delay(50))));
                ok_all(s.execute(&[Request::DelQdisc { index: v0 }]));
            }
            Err(e) => {
                // sch_netem missing: qdisc_create's "unknown kind".
                assert_eq!((e.errno(), e.op()), (libc::ENOENT, Op::ReplaceQdisc));
                let text = e.ext_ack().unwrap_or_default();
                assert!(text.contains("qdisc kind is unknown"), "{e}");
                assert!(e.to_string().contains("qdisc kind is unknown"), "{e}");
                assert_eq!(root_of(&mut s, v0).unwrap().kind, "noqueue");
            }
        }
    });
}

#[test]
#[ignore = "needs sch_netem, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn netem_is_set_read_back_changed_in_place_and_deleted() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let v0 = veth_up(&mut s);
        replace(&mut s, v0, delay(50)).unwrap();
        let first = root_of(&mut s, v0).unwrap();
        assert_eq!(
            (first.kind.as_str(), first.impair),
            ("netem", Some(delay(50)))
        );
        assert_ne!(first.handle, 0);

        let all = Impair {
            delay_us: Some(20_000),
            jitter_us: Some(5_000),
            loss_ppm: Some(10_000),
            rate_bps: Some(10_000_000),
        };
        replace(&mut s, v0, all).unwrap();
        let changed = root_of(&mut s, v0).unwrap();
        assert_eq!(changed.impair, Some(all));
        // Same qdisc, changed: not a new one grafted.
        assert_eq!(changed.handle, first.handle);

        // Back to delay only: the rate, jitter and loss must go too.
        replace(&mut s, v0, delay(10)).unwrap();
        assert_eq!(root_of(&mut s, v0).unwrap().impair, Some(delay(10)));

        // Beyond 2^32 bytes/s: TCA_NETEM_RATE64.
        let fast = Impair {
            rate_bps: Some(100_000_000_000),
            ..Impair::default()
        };
        replace(&mut s, v0, fast).unwrap();
        assert_eq!(root_of(&mut s, v0).unwrap().impair, Some(fast));

        ok_all(s.execute(&[Request::DelQdisc { index: v0 }]));
        assert_eq!(root_of(&mut s, v0).unwrap().kind, "noqueue");
        let again = s.execute(&[Request::DelQdisc { index: v0 }]).remove(0);
        assert!(again.unwrap_err().is_not_found());
    });
}

#[test]
#[ignore = "needs sch_netem, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn netem_on_a_down_link_and_in_a_batch() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        ok_all(s.execute(&[Request::NewLink(NewLink::new("d0", LinkKind::veth("d1")))]));
        let links = s.links().unwrap();
        let (d0, d1) = (by_name(&links, "d0").index, by_name(&links, "d1").index);
        // Both ends in one execute, links down: the qdisc is still set.
        let reqs = [d0, d1].map(|index| {
            Request::ReplaceQdisc(Qdisc {
                index,
                impair: delay(5),
            })
        });
        ok_all(s.execute(&reqs));
        for index in [d0, d1] {
            assert_eq!(root_of(&mut s, index).unwrap().impair, Some(delay(5)));
        }
    });
}
