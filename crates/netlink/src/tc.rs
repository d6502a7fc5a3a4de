//! Traffic control: the root qdisc of an interface, which nslab sets to a
//! `netem` qdisc for link impairments (delay, jitter, loss, rate) — what
//! `tc qdisc replace dev X root netem ...` does, over rtnetlink.
//!
//! Layouts are those of uapi/linux/pkt_sched.h: `TCA_OPTIONS` of a netem
//! qdisc is a `struct tc_netem_qopt` directly followed by `TCA_NETEM_*`
//! attributes (net/sched/sch_netem.c: `netem_change`, `netem_dump`).
//! `netlink-packet-route` has no netem type, so the options are raw bytes
//! here, in both directions.

use netlink_packet_core::{DefaultNla, Nla};
use netlink_packet_route::tc::{TcAttribute, TcHandle, TcMessage, TcOption};
use netlink_packet_route::RouteNetlinkMessage;

use crate::encode::Dump;
use crate::error::{Error, Op};
use crate::socket::Socket;

/// `TCA_OPTIONS` (pkt_sched.h / rtnetlink.h `enum TCA_*`).
const TCA_OPTIONS: u16 = 2;
const TCA_NETEM_RATE: u16 = 6;
const TCA_NETEM_RATE64: u16 = 8;
const TCA_NETEM_LATENCY64: u16 = 10;
const TCA_NETEM_JITTER64: u16 = 11;
/// `sizeof(struct tc_netem_qopt)`: six `__u32`.
const QOPT_LEN: usize = 24;
/// `sizeof(struct tc_netem_rate)`: four 32-bit fields.
const RATE_LEN: usize = 16;
/// The queue length iproute2 gives netem by default (packets).
pub const NETEM_LIMIT: u32 = 1000;
/// `PSCHED_SHIFT`: a psched tick is 64 ns (include/net/pkt_sched.h; what
/// `/proc/net/psched` reports as its second field, 0x40).
const PSCHED_SHIFT: u32 = 6;
const PPM: u64 = 1_000_000;
const NETEM: &str = "netem";

pub use nslab_types::Impair;

/// A netem root qdisc to set on the interface `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Qdisc {
    pub index: u32,
    pub impair: Impair,
}

/// A root qdisc as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QdiscInfo {
    /// Interface index.
    pub index: u32,
    /// `TCA_KIND`: "netem", "noqueue", "pfifo_fast", "fq_codel", ...
    pub kind: String,
    /// `tcm_handle` (`0x8001_0000` is "8001:"); 0 for default qdiscs.
    pub handle: u32,
    /// The decoded options of a netem qdisc (normalized); `None` for
    /// other kinds.
    pub impair: Option<Impair>,
}

/// The `tcmsg` of the root qdisc of `index` (handle 0: the kernel picks).
fn root(index: u32, op: Op) -> Result<TcMessage, Error> {
    let index = i32::try_from(index)
        .map_err(|_| Error::local(op, libc::EINVAL, "interface index above i32::MAX"))?;
    let mut msg = TcMessage::with_index(index);
    msg.header.parent = TcHandle::ROOT;
    Ok(msg)
}

/// The `RTM_NEWQDISC` body of a `ReplaceQdisc`.
pub(crate) fn replace_qdisc(q: &Qdisc) -> Result<TcMessage, Error> {
    let mut msg = root(q.index, Op::ReplaceQdisc)?;
    msg.attributes.push(TcAttribute::Kind(NETEM.to_string()));
    // Not `TcAttribute::Options`: that would wrap our bytes in a second
    // attribute header.
    let options = netem_options(&q.impair)?;
    msg.attributes
        .push(TcAttribute::Other(DefaultNla::new(TCA_OPTIONS, options)));
    Ok(msg)
}

/// The `RTM_DELQDISC` body of a `DelQdisc`.
pub(crate) fn del_qdisc(index: u32) -> Result<TcMessage, Error> {
    root(index, Op::DelQdisc)
}

/// The `RTM_GETQDISC` dump request: everything zero (all interfaces).
pub(crate) fn dump_request() -> TcMessage {
    TcMessage::default()
}

fn ns_to_ticks(ns: u64) -> u32 {
    u32::try_from(ns >> PSCHED_SHIFT).unwrap_or(u32::MAX)
}

/// `TCA_OPTIONS` of netem: `struct tc_netem_qopt`, then `LATENCY64`,
/// `JITTER64` (ns, always sent), `RATE64` (when the bytes/s rate needs
/// it) and `RATE` (always sent). `netem_change` keeps a rate that a replace
/// request leaves out, so an absent rate is sent as 0 (unlimited).
pub(crate) fn netem_options(imp: &Impair) -> Result<Vec<u8>, Error> {
    let op = Op::ReplaceQdisc;
    let loss = u64::from(imp.loss_ppm.unwrap_or(0));
    if loss > PPM {
        return Err(Error::local(op, libc::EINVAL, "loss above 100%"));
    }
    let rate = imp.rate_bps.unwrap_or(0) / 8;
    if rate == 0 && imp.rate_bps.unwrap_or(0) != 0 {
        return Err(Error::local(op, libc::EINVAL, "rate below 8 bit/s"));
    }
    let latency = u64::from(imp.delay_us.unwrap_or(0)) * 1000;
    let jitter = u64::from(imp.jitter_us.unwrap_or(0)) * 1000;
    // percent * UINT32_MAX / 100, rounded (iproute2 tc/q_netem.c:
    // set_percent); ppm <= 10^6 keeps it within u32.
    let loss = u32::try_from((loss * u64::from(u32::MAX) + PPM / 2) / PPM).unwrap_or(u32::MAX);

    let mut out = Vec::with_capacity(QOPT_LEN + 2 * 12 + 12 + 4 + RATE_LEN);
    // The legacy latency/jitter in psched ticks, as netem_dump reports
    // them; kernels with LATENCY64/JITTER64 (4.15+) use those instead.
    let qopt = [
        ns_to_ticks(latency),
        NETEM_LIMIT,
        loss,
        0,
        0,
        ns_to_ticks(jitter),
    ];
    for field in qopt {
        out.extend(field.to_ne_bytes());
    }
    push_attr(&mut out, TCA_NETEM_LATENCY64, &latency.to_ne_bytes());
    push_attr(&mut out, TCA_NETEM_JITTER64, &jitter.to_ne_bytes());
    let rate32 = match u32::try_from(rate) {
        Ok(r) => r,
        Err(_) => {
            push_attr(&mut out, TCA_NETEM_RATE64, &rate.to_ne_bytes());
            u32::MAX
        }
    };
    // struct tc_netem_rate: rate, packet_overhead, cell_size, cell_overhead.
    let mut rate_struct = [0u8; RATE_LEN];
    rate_struct[..4].copy_from_slice(&rate32.to_ne_bytes());
    push_attr(&mut out, TCA_NETEM_RATE, &rate_struct);
    Ok(out)
}

fn push_attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    // Our values are at most 16 bytes.
    let len = u16::try_from(4 + value.len()).unwrap_or(u16::MAX);
    out.extend(len.to_ne_bytes());
    out.extend(kind.to_ne_bytes());
    out.extend(value);
    out.resize((out.len() + 3) & !3, 0);
}

/// Decodes netem's `TCA_OPTIONS` payload; `None` if it is too short for
/// a `tc_netem_qopt`. Unknown and malformed attributes are skipped.
pub fn decode_netem(opts: &[u8]) -> Option<Impair> {
    let qopt = opts.get(..QOPT_LEN)?;
    let field = |i: usize| u32::from_ne_bytes([qopt[i], qopt[i + 1], qopt[i + 2], qopt[i + 3]]);
    let ticks_ns = |t: u32| u64::from(t) << PSCHED_SHIFT;
    let (mut latency, mut jitter) = (ticks_ns(field(0)), ticks_ns(field(20)));
    let loss = field(8);
    let (mut rate, mut rate64) = (0u64, None);
    let mut rest = &opts[QOPT_LEN..];
    while rest.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
        if len < 4 || len > rest.len() {
            break;
        }
        let value = &rest[4..len];
        let u64_of = |v: &[u8]| v.try_into().ok().map(u64::from_ne_bytes);
        // LATENCY64/JITTER64 are s64; a negative one counts as none.
        let ns_of = |v: &[u8]| {
            v.try_into()
                .ok()
                .map(|b| i64::from_ne_bytes(b).max(0) as u64)
        };
        match kind {
            TCA_NETEM_LATENCY64 => latency = ns_of(value).unwrap_or(latency),
            TCA_NETEM_JITTER64 => jitter = ns_of(value).unwrap_or(jitter),
            TCA_NETEM_RATE64 => rate64 = u64_of(value),
            TCA_NETEM_RATE if value.len() >= 4 => {
                rate = u64::from(u32::from_ne_bytes([value[0], value[1], value[2], value[3]]));
            }
            _ => {}
        }
        rest = rest.get((len + 3) & !3..).unwrap_or(&[]);
    }
    let us = |ns: u64| u32::try_from(ns / 1000).unwrap_or(u32::MAX);
    let ppm = (u64::from(loss) * PPM + u64::from(u32::MAX) / 2) / u64::from(u32::MAX);
    let imp = Impair {
        delay_us: Some(us(latency)),
        jitter_us: Some(us(jitter)),
        loss_ppm: u32::try_from(ppm).ok(),
        rate_bps: Some(rate64.map_or(rate, |r| r.max(rate)).saturating_mul(8)),
    };
    Some(imp.normalized())
}

/// The root qdisc a `RTM_NEWQDISC` dump message describes; `None` for
/// qdiscs that are not the root one (children, ingress/clsact).
pub fn qdisc_info(msg: &TcMessage) -> Result<Option<QdiscInfo>, String> {
    if msg.header.parent != TcHandle::ROOT {
        return Ok(None);
    }
    let mut kind = String::new();
    let mut options = None;
    for attr in &msg.attributes {
        match attr {
            TcAttribute::Kind(k) => kind = k.clone(),
            // netlink-packet-route keeps the options of kinds it does not
            // know as one raw attribute (kind TCA_OPTIONS, whole payload).
            TcAttribute::Options(opts) => {
                if let [TcOption::Other(nla)] = opts.as_slice() {
                    let mut value = vec![0; nla.value_len()];
                    nla.emit_value(&mut value);
                    options = Some(value);
                }
            }
            _ => {}
        }
    }
    let impair = match (kind.as_str(), options) {
        (NETEM, Some(opts)) => Some(decode_netem(&opts).ok_or("short netem TCA_OPTIONS")?),
        (NETEM, None) => return Err("netem qdisc without TCA_OPTIONS".into()),
        _ => None,
    };
    Ok(Some(QdiscInfo {
        index: u32::try_from(msg.header.index).map_err(|_| "negative tcm_ifindex")?,
        kind,
        handle: msg.header.handle.into(),
        impair,
    }))
}

impl Socket {
    /// The root qdisc of every interface that has one to show
    /// (`RTM_GETQDISC` dump). Interfaces that are down have none (their
    /// built-in `noop` qdisc is not dumped) unless one was set.
    pub fn qdiscs(&mut self) -> Result<Vec<QdiscInfo>, Error> {
        let op = Op::DumpQdiscs;
        let mut out = Vec::new();
        for msg in self.dump(Dump::Qdiscs, op)? {
            if let RouteNetlinkMessage::NewQueueDiscipline(tc) = msg {
                out.extend(qdisc_info(&tc).map_err(|e| Error::decode(op, e))?);
            }
        }
        Ok(out)
    }
}
