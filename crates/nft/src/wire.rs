//! Netlink framing as bytes: a writer for one message with nested
//! attributes, and readers for replies (linux/netlink.h).
//!
//! The netlink header and attribute headers are in host byte order; every
//! nf_tables integer attribute is big-endian (`NLA_BE32` in the kernel's
//! policies), which is why [`MsgWriter::put_be32`] exists.

use crate::uapi::{NLA_F_NESTED, NLA_TYPE_MASK, NLMSG_HDRLEN};

/// Rounds up to the 4-byte netlink alignment (`NLMSG_ALIGN`, `NLA_ALIGN`).
pub(crate) const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One netlink message being appended to a buffer: `nlmsghdr`, `nfgenmsg`,
/// then attributes. Lengths are patched in by [`MsgWriter::finish`] and
/// [`MsgWriter::end_nest`].
pub(crate) struct MsgWriter<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

/// Where a nested attribute starts, to close it with [`MsgWriter::end_nest`].
#[must_use]
pub(crate) struct Nest(usize);

impl<'a> MsgWriter<'a> {
    /// Appends `nlmsghdr` (len patched later, pid 0 = the kernel) and
    /// `struct nfgenmsg { u8 family; u8 version; __be16 res_id; }`.
    pub(crate) fn begin(
        out: &'a mut Vec<u8>,
        ty: u16,
        flags: u16,
        seq: u32,
        family: u8,
        res_id: u16,
    ) -> Self {
        let start = out.len();
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(&flags.to_ne_bytes());
        out.extend_from_slice(&seq.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.push(family);
        out.push(crate::uapi::NFNETLINK_V0);
        out.extend_from_slice(&res_id.to_be_bytes());
        MsgWriter { out, start }
    }

    /// An attribute with raw payload, padded to 4 bytes (`nla_len` excludes
    /// the padding).
    pub(crate) fn put(&mut self, ty: u16, payload: &[u8]) {
        let len = 4 + payload.len();
        self.out.extend_from_slice(&(len as u16).to_ne_bytes());
        self.out.extend_from_slice(&ty.to_ne_bytes());
        self.out.extend_from_slice(payload);
        self.pad();
    }

    pub(crate) fn put_be32(&mut self, ty: u16, v: u32) {
        self.put(ty, &v.to_be_bytes());
    }

    /// A NUL-terminated string, as `mnl_attr_put_strz` writes names.
    pub(crate) fn put_strz(&mut self, ty: u16, s: &str) {
        let mut b = Vec::with_capacity(s.len() + 1);
        b.extend_from_slice(s.as_bytes());
        b.push(0);
        self.put(ty, &b);
    }

    pub(crate) fn begin_nest(&mut self, ty: u16) -> Nest {
        let at = self.out.len();
        self.out.extend_from_slice(&0u16.to_ne_bytes());
        self.out
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        Nest(at)
    }

    pub(crate) fn end_nest(&mut self, nest: Nest) {
        let len = (self.out.len() - nest.0) as u16;
        self.out[nest.0..nest.0 + 2].copy_from_slice(&len.to_ne_bytes());
    }

    /// Patches `nlmsg_len`.
    pub(crate) fn finish(self) {
        let len = (self.out.len() - self.start) as u32;
        self.out[self.start..self.start + 4].copy_from_slice(&len.to_ne_bytes());
    }

    fn pad(&mut self) {
        let aligned = align4(self.out.len() - self.start) + self.start;
        self.out.resize(aligned, 0);
    }
}

/// One netlink message read back: header fields and what follows the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Msg<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

/// The messages in one datagram; `Err` when a length does not fit.
pub(crate) fn messages(mut buf: &[u8]) -> Result<Vec<Msg<'_>>, &'static str> {
    let mut out = Vec::new();
    while buf.len() >= NLMSG_HDRLEN {
        let len = u32_at(buf, 0) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            return Err("netlink message length out of bounds");
        }
        out.push(Msg {
            ty: u16_at(buf, 4),
            flags: u16_at(buf, 6),
            seq: u32_at(buf, 8),
            payload: &buf[NLMSG_HDRLEN..len],
        });
        buf = &buf[align4(len).min(buf.len())..];
    }
    Ok(out)
}

/// The attributes in `buf` as (type without flag bits, payload); stops at
/// the first one whose length does not fit.
pub(crate) fn attrs(mut buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while buf.len() >= 4 {
        let len = u16_at(buf, 0) as usize;
        if len < 4 || len > buf.len() {
            break;
        }
        out.push((u16_at(buf, 2) & NLA_TYPE_MASK, &buf[4..len]));
        buf = &buf[align4(len).min(buf.len())..];
    }
    out
}

/// A NUL-terminated string attribute's text.
pub(crate) fn strz(payload: &[u8]) -> String {
    let end = payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len());
    String::from_utf8_lossy(&payload[..end]).into_owned()
}

pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
