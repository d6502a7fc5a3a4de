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
