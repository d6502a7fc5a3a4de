//! Many requests in one `execute`.

use std::net::IpAddr;

use nslab_netlink::*;

use crate::common::*;

#[test]
fn five_hundred_requests_in_one_execute() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut reqs = Vec::new();
        for i in 0..200 {
            reqs.push(Request::NewLink(NewLink::new(
                format!("x{i}"),
                LinkKind::veth(format!("y{i}")),
            )));
        }
        // Every other one again: exactly those fail, with EEXIST.
        for i in (0..200).step_by(2) {
            reqs.push(Request::NewLink(NewLink::new(
                format!("x{i}"),
                LinkKind::veth(format!("z{i}")),
            )));
        }
        let start = std::time::Instant::now();
        let results = s.execute(&reqs);
        assert_eq!(results.len(), 300);
        assert!(results[..200].iter().all(Result::is_ok));
        assert!(results[200..]
            .iter()
            .all(|r| r.as_ref().is_err_and(Error::is_exists)));
        let links = s.links().unwrap();
        let mut reqs = Vec::new();
        for i in 0..200 {
            let x = by_name(&links, &format!("x{i}"));
            let addr = Address {
                index: x.index,
                cidr: Cidr {
                    addr: IpAddr::from([10, 0, (i / 256) as u8, i as u8]),
                    prefix: 32,
                },
            };
            reqs.push(Request::AddAddress(addr));
        }
        reqs.extend((0..300).map(|i| Request::DelLink { index: 100_000 + i }));
        assert_eq!(reqs.len(), 500);
        let results = s.execute(&reqs);
        assert_eq!(results.len(), 500);
        assert!(results[..200].iter().all(Result::is_ok));
        assert!(results[200..]
            .iter()
            .all(|r| r.as_ref().is_err_and(Error::is_not_found)));
        assert_eq!(
            s.addresses()
                .unwrap()
                .iter()
                .filter(|a| a.cidr.prefix == 32)
                .count(),
            200
        );
        eprintln!("batch of 800 requests + dumps took {:?}", start.elapsed());
    });
}

/// A create whose alias the kernel refuses (not under `IFALIASZ`) made
/// the link: its error names the alias round (`Op::SetLink`), so the
/// caller knows there is a link to undo; a create refused itself names
/// `Op::NewLink`.
#[test]
fn a_create_refused_only_in_its_alias_says_so() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut made = NewLink::new("a0".to_string(), LinkKind::veth("b0".to_string()));
        made.alias = Some("x".repeat(300));
        let again = NewLink::new("a0".to_string(), LinkKind::veth("c0".to_string()));
        let results = s.execute(&[Request::NewLink(made), Request::NewLink(again)]);
        let alias = results[0].as_ref().expect_err("alias refused");
        assert_eq!(alias.op(), Op::SetLink, "{alias}");
        // The attribute policy (ERANGE) or `dev_set_alias` (EINVAL).
        assert!(
            matches!(alias.errno(), libc::ERANGE | libc::EINVAL),
            "{alias}"
        );
        let exists = results[1].as_ref().expect_err("name taken");
        assert_eq!((exists.op(), exists.errno()), (Op::NewLink, libc::EEXIST));
        let links = s.links().unwrap();
        assert!(links.iter().any(|l| l.name == "a0"), "the link was made");
    });
}
