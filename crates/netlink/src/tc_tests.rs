//! Qdisc requests and dump replies, byte for byte against layouts written
//! out by hand from uapi/linux/rtnetlink.h (`struct tcmsg`, `TCA_*`) and
//! pkt_sched.h (`struct tc_netem_qopt`, `struct tc_netem_rate`,
//! `TCA_NETEM_*`), and what net/sched/sch_netem.c `netem_dump` sends.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;

use crate::encode::{dump_request, encode, serialize, Dump};
use crate::encode_tests::{attr, nlmsg, REQ_ACK};
use crate::tc::{decode_netem, netem_options, qdisc_info};
use crate::types::*;

const RTM_NEWQDISC: u16 = 36;
const RTM_DELQDISC: u16 = 37;
const RTM_GETQDISC: u16 = 38;
const NLM_F_REPLACE: u16 = 0x100;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_DUMP: u16 = 0x300;
const TC_H_ROOT: u32 = 0xffff_ffff;
const TCA_KIND: u16 = 1;
const TCA_OPTIONS: u16 = 2;
const TCA_STATS2: u16 = 7;
const TCA_STATS_BASIC: u16 = 1;
const TCA_STATS_QUEUE: u16 = 3;
const TCA_NETEM_CORR: u16 = 1;
const TCA_NETEM_REORDER: u16 = 3;
const TCA_NETEM_CORRUPT: u16 = 4;
const TCA_NETEM_RATE: u16 = 6;
const TCA_NETEM_RATE64: u16 = 8;
const TCA_NETEM_PAD: u16 = 9;
const TCA_NETEM_LATENCY64: u16 = 10;
const TCA_NETEM_JITTER64: u16 = 11;
/// 1% as iproute2 scales it: rint(0.01 * UINT32_MAX).
const ONE_PERCENT: u32 = 42_949_673;

/// `struct tcmsg`: family AF_UNSPEC, 3 pad bytes, ifindex, handle,
/// parent, info.
fn tcmsg(index: i32, handle: u32, parent: u32, info: u32) -> Vec<u8> {
    let mut out = vec![0u8; 4];
    out.extend(index.to_ne_bytes());
    out.extend(handle.to_ne_bytes());
    out.extend(parent.to_ne_bytes());
    out.extend(info.to_ne_bytes());
    out
}

fn u32s(fields: &[u32]) -> Vec<u8> {
    fields.iter().flat_map(|f| f.to_ne_bytes()).collect()
}

/// `struct tc_netem_qopt` {latency, limit, loss, gap, duplicate, jitter}.
fn qopt(latency_ticks: u32, loss: u32, jitter_ticks: u32) -> Vec<u8> {
    u32s(&[latency_ticks, 1000, loss, 0, 0, jitter_ticks])
}

fn impair(delay_us: u32, jitter_us: u32, loss_ppm: u32, rate_bps: u64) -> Impair {
    Impair {
        delay_us: Some(delay_us),
        jitter_us: Some(jitter_us),
        loss_ppm: Some(loss_ppm),
        rate_bps: Some(rate_bps),
    }
    .normalized()
}

#[test]
fn netem_request_with_delay_jitter_loss_rate() {
    // tc qdisc replace dev #7 root netem delay 20ms 5ms loss 1% rate 10mbit.
    // iproute2 6.1's `tc` sends the same tcmsg, TCA_KIND, qopt and RATE
    // (seen with strace), without LATENCY64/JITTER64.
    let q = Qdisc {
        index: 7,
        impair: impair(20_000, 5_000, 10_000, 10_000_000),
    };
    let mut opts = qopt(20_000_000 / 64, ONE_PERCENT, 5_000_000 / 64);
    opts.extend(attr(TCA_NETEM_LATENCY64, &20_000_000i64.to_ne_bytes()));
    opts.extend(attr(TCA_NETEM_JITTER64, &5_000_000i64.to_ne_bytes()));
    opts.extend(attr(TCA_NETEM_RATE, &u32s(&[1_250_000, 0, 0, 0])));
    let mut body = tcmsg(7, 0, TC_H_ROOT, 0);
    body.extend(attr(TCA_KIND, b"netem\0"));
    body.extend(attr(TCA_OPTIONS, &opts));
    let flags = REQ_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    assert_eq!(
        encode(&Request::ReplaceQdisc(q), 9).unwrap(),
        nlmsg(RTM_NEWQDISC, flags, 9, &body)
    );
}

#[test]
fn netem_without_impairments_resets_every_field() {
    // A replace changes a netem qdisc in place and netem_change keeps a
    // rate the request leaves out: an unset rate is sent as 0.
    let mut want = qopt(0, 0, 0);
    want.extend(attr(TCA_NETEM_LATENCY64, &0i64.to_ne_bytes()));
    want.extend(attr(TCA_NETEM_JITTER64, &0i64.to_ne_bytes()));
    want.extend(attr(TCA_NETEM_RATE, &u32s(&[0, 0, 0, 0])));
    assert_eq!(netem_options(&Impair::default()).unwrap(), want);
}

#[test]
fn rates_beyond_u32_bytes_go_in_rate64() {
    // 100gbit = 12.5e9 bytes/s: RATE64, and RATE's rate saturated (as
    // iproute2 and netem_dump do).
    let opts = netem_options(&impair(0, 0, 0, 100_000_000_000)).unwrap();
    let mut tail = attr(TCA_NETEM_RATE64, &12_500_000_000u64.to_ne_bytes());
    tail.extend(attr(TCA_NETEM_RATE, &u32s(&[u32::MAX, 0, 0, 0])));
    assert!(opts.ends_with(&tail), "{opts:?}");
    assert_eq!(decode_netem(&opts).unwrap().rate_bps, Some(100_000_000_000));
}

#[test]
fn impossible_impairments_are_refused_unsent() {
    let bad = [
        (1, impair(0, 0, 1_000_001, 0)),
        (1, impair(0, 0, 0, 7)),
        (0x8000_0000, impair(1, 0, 0, 0)),
    ];
    for (index, impair) in bad {
        let err = encode(&Request::ReplaceQdisc(Qdisc { index, impair }), 1).unwrap_err();
        assert_eq!(
            (err.errno(), err.op()),
            (libc::EINVAL, crate::Op::ReplaceQdisc)
        );
    }
}

#[test]
fn every_loss_ppm_survives_the_u32_scaling() {
    for ppm in (0..=1_000_000).step_by(7).chain([1, 999_999, 1_000_000]) {
        let opts = netem_options(&impair(0, 0, ppm, 0)).unwrap();
        let want = Some(ppm).filter(|p| *p != 0);
        assert_eq!(decode_netem(&opts).unwrap().loss_ppm, want, "ppm {ppm}");
    }
    let opts = netem_options(&impair(0, 0, 10_000, 0)).unwrap();
    assert_eq!(&opts[8..12], ONE_PERCENT.to_ne_bytes());
}

#[test]
fn delete_and_dump_requests() {
    assert_eq!(
        encode(&Request::DelQdisc { index: 3 }, 4).unwrap(),
        nlmsg(RTM_DELQDISC, REQ_ACK, 4, &tcmsg(3, 0, TC_H_ROOT, 0))
    );
    let mut out = Vec::new();
    serialize(&mut dump_request(Dump::Qdiscs), 5, &mut out);
    assert_eq!(
        out,
        nlmsg(RTM_GETQDISC, 0x1 | NLM_F_DUMP, 5, &tcmsg(0, 0, 0, 0))
    );
}

/// What `netem_dump` sends for `delay 50ms 10ms loss 1% rate <rate>`:
/// qopt, LATENCY64, JITTER64, CORR, REORDER, CORRUPT, [PAD, RATE64], RATE.
fn kernel_netem_options(rate_bytes: u64) -> Vec<u8> {
    let mut opts = qopt(50_000_000 / 64, ONE_PERCENT, 10_000_000 / 64);
    opts.extend(attr(TCA_NETEM_LATENCY64, &50_000_000i64.to_ne_bytes()));
    opts.extend(attr(TCA_NETEM_JITTER64, &10_000_000i64.to_ne_bytes()));
    opts.extend(attr(TCA_NETEM_CORR, &[0; 12]));
    opts.extend(attr(TCA_NETEM_REORDER, &[0; 8]));
    opts.extend(attr(TCA_NETEM_CORRUPT, &[0; 8]));
    let rate32 = match u32::try_from(rate_bytes) {
        Ok(r) => r,
        Err(_) => {
            opts.extend(attr(TCA_NETEM_PAD, &[]));
            opts.extend(attr(TCA_NETEM_RATE64, &rate_bytes.to_ne_bytes()));
            u32::MAX
        }
    };
    opts.extend(attr(TCA_NETEM_RATE, &u32s(&[rate32, 0, 0, 0])));
    opts
}

/// A whole `RTM_NEWQDISC` dump message, parsed like `Socket::qdiscs` does.
fn dump_message(index: i32, handle: u32, parent: u32, kind: &str, opts: &[u8]) -> Vec<u8> {
    let mut body = tcmsg(index, handle, parent, 2);
    let mut name = kind.as_bytes().to_vec();
    name.push(0);
    body.extend(attr(TCA_KIND, &name));
    if !opts.is_empty() {
        body.extend(attr(TCA_OPTIONS, opts));
    }
    let mut stats = attr(TCA_STATS_BASIC, &[0; 16]);
    stats.extend(attr(TCA_STATS_QUEUE, &[0; 20]));
    body.extend(attr(TCA_STATS2, &stats));
    nlmsg(RTM_NEWQDISC, 0x2, 1, &body) // NLM_F_MULTI
}

fn decode(bytes: &[u8]) -> Option<QdiscInfo> {
    let msg = NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes).unwrap();
    let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewQueueDiscipline(tc)) = msg.payload
    else {
        panic!("not a qdisc: {msg:?}");
    };
    qdisc_info(&tc).unwrap()
}

#[test]
fn netem_dump_message_decodes_to_its_impairments() {
    let bytes = dump_message(
        5,
        0x8001_0000,
        TC_H_ROOT,
        "netem",
        &kernel_netem_options(1_250_000),
    );
    assert_eq!(
        decode(&bytes),
        Some(QdiscInfo {
            index: 5,
            kind: "netem".into(),
            handle: 0x8001_0000,
            impair: Some(impair(50_000, 10_000, 10_000, 10_000_000)),
        })
    );
    let fast = dump_message(
        5,
        0x8001_0000,
        TC_H_ROOT,
        "netem",
        &kernel_netem_options(5 << 32),
    );
    let rate = decode(&fast).unwrap().impair.unwrap().rate_bps;
    assert_eq!(rate, Some((5 << 32) * 8));
}

#[test]
fn default_and_child_qdiscs() {
    let noqueue = decode(&dump_message(1, 0, TC_H_ROOT, "noqueue", &[])).unwrap();
    assert_eq!((noqueue.index, noqueue.kind.as_str()), (1, "noqueue"));
    assert_eq!((noqueue.handle, noqueue.impair), (0, None));
    // A child of 8001:1 is not a root qdisc.
    let child = dump_message(5, 0x10_0000, 0x8001_0001, "netem", &kernel_netem_options(0));
    assert_eq!(decode(&child), None);
}

#[test]
fn legacy_ticks_without_latency64() {
    // Kernels before 4.15 send only the qopt fields, in 64 ns ticks.
    let opts = qopt(50_000_000 / 64, 0, 0);
    assert_eq!(decode_netem(&opts), Some(impair(50_000, 0, 0, 0)));
    assert_eq!(decode_netem(&opts[..20]), None);
}
