//! The error type, and the parser for `NLMSG_ERROR` payloads with
//! extended-ack TLVs (uapi/linux/netlink.h: `struct nlmsgerr`,
//! `enum nlmsgerr_attrs`), which `netlink-packet-core` does not decode.

use std::fmt;

/// `NLMSGERR_ATTR_MSG`: a NUL-terminated string.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// `NLMSGERR_ATTR_OFFS`: u32 byte offset of the faulty attribute.
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSG_HDRLEN: usize = 16;

/// What the failed operation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    Open,
    NewLink,
    SetLink,
    DelLink,
    AddAddress,
    DelAddress,
    AddRoute,
    DelRoute,
    DumpLinks,
    DumpAddresses,
    DumpRoutes,
    GetLink,
    GetNsid,
    ReplaceQdisc,
    DelQdisc,
    DumpQdiscs,
    DumpFdb,
    DelNeighbour,
    Watch,
    GetNetconf,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Open => "open route socket",
            Op::NewLink => "create link",
            Op::SetLink => "change link",
            Op::DelLink => "delete link",
            Op::AddAddress => "add address",
            Op::DelAddress => "delete address",
            Op::AddRoute => "add route",
            Op::DelRoute => "delete route",
            Op::DumpLinks => "dump links",
            Op::DumpAddresses => "dump addresses",
            Op::DumpRoutes => "dump routes",
            Op::GetLink => "get link",
            Op::GetNsid => "get nsid",
            Op::ReplaceQdisc => "replace qdisc",
            Op::DelQdisc => "delete qdisc",
            Op::DumpQdiscs => "dump qdiscs",
            Op::DumpFdb => "dump bridge forwarding database",
            Op::DelNeighbour => "delete neighbour",
            Op::Watch => "watch route events",
            Op::GetNetconf => "get netconf",
        })
    }
}

/// A failed netlink operation: the errno, the kernel's extended-ack text
/// if it sent one, and which operation failed.
///
/// Displays as `File exists (kernel: "...")`, or `File exists`; local
/// failures (validation, undecodable replies) add `: <detail>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    op: Op,
    errno: i32,
    ext_ack: Option<String>,
    ext_ack_offset: Option<u32>,
    detail: Option<String>,
}

impl Error {
    /// An error the kernel reported (`errno` positive).
    pub fn kernel(op: Op, errno: i32, ext_ack: Option<String>) -> Error {
        Error {
            op,
            errno,
            ext_ack,
            ext_ack_offset: None,
            detail: None,
        }
    }

    /// A failure found on our side, with an errno that classifies it.
    pub fn local(op: Op, errno: i32, detail: impl Into<String>) -> Error {
        Error {
            op,
            errno,
            ext_ack: None,
            ext_ack_offset: None,
            detail: Some(detail.into()),
        }
    }

    pub(crate) fn io(op: Op, err: &std::io::Error) -> Error {
        Error::kernel(op, err.raw_os_error().unwrap_or(libc::EIO), None)
    }

    pub(crate) fn decode(op: Op, detail: impl fmt::Display) -> Error {
        Error::local(op, libc::EBADMSG, format!("undecodable reply: {detail}"))
    }

    /// The operation that failed.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The errno, positive (e.g. `libc::EEXIST`).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The kernel's `NLMSGERR_ATTR_MSG` text, if any.
    pub fn ext_ack(&self) -> Option<&str> {
        self.ext_ack.as_deref()
    }

    /// The kernel's `NLMSGERR_ATTR_OFFS`: offset in the request of the
    /// attribute it rejected.
    pub fn ext_ack_offset(&self) -> Option<u32> {
        self.ext_ack_offset
    }

    /// Our own explanation for local failures.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `EEXIST`: the object is already there.
    pub fn is_exists(&self) -> bool {
        self.errno == libc::EEXIST
    }

    /// The object is not there (`ENODEV`, `ENOENT`, `ESRCH`,
    /// `EADDRNOTAVAIL`: what the kernel answers for a missing link,
    /// route or address).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.errno,
            libc::ENODEV | libc::ENOENT | libc::ESRCH | libc::EADDRNOTAVAIL
        )
    }

    pub(crate) fn with_op(mut self, op: Op) -> Error {
        self.op = op;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // std renders "File exists (os error 17)"; keep only the text.
        let text = std::io::Error::from_raw_os_error(self.errno).to_string();
        let text = match text.rfind(" (os error ") {
            Some(cut) => &text[..cut],
            None => &text,
        };
        f.write_str(text)?;
        if let Some(msg) = &self.ext_ack {
            write!(f, " (kernel: {msg:?})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// The decoded payload of an `NLMSG_ERROR` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// 0 for success, else a positive errno.
    pub errno: i32,
    /// `NLMSGERR_ATTR_MSG` (also sent with warnings on success).
    pub message: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`.
    pub offset: Option<u32>,
}

impl Ack {
    /// The error this ack reports for `op`, if it is one.
    pub fn into_result(self, op: Op) -> Result<(), Error> {
        if self.errno == 0 {
            return Ok(());
        }
        let mut err = Error::kernel(op, self.errno, self.message);
        err.ext_ack_offset = self.offset;
        Err(err)
    }
}

/// Parses the payload of an `NLMSG_ERROR` (everything after the outer
/// `nlmsghdr`), given the outer header's flags: `int error`, the request's
/// `nlmsghdr` (plus its payload unless `NLM_F_CAPPED`), then TLVs if
/// `NLM_F_ACK_TLVS`.
pub fn parse_ack(flags: u16, payload: &[u8]) -> Option<Ack> {
    let code = i32::from_ne_bytes(payload.get(0..4)?.try_into().ok()?);
    let mut ack = Ack {
        errno: errno_of(code),
        message: None,
        offset: None,
    };
    if flags & NLM_F_ACK_TLVS == 0 {
        return Some(ack);
    }
    let inner = payload.get(4..)?;
    let inner_len = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        let len = u32::from_ne_bytes(inner.get(0..4)?.try_into().ok()?) as usize;
        align4(len.max(NLMSG_HDRLEN))
    };
    parse_tlvs(inner.get(inner_len..).unwrap_or(&[]), &mut ack);
    Some(ack)
}

/// Parses the payload of an `NLMSG_DONE`: `int error` (the dump's final
/// status), then, with `NLM_F_ACK_TLVS`, the TLVs directly
/// (net/netlink/af_netlink.c: `netlink_dump_done`). An empty payload is 0.
pub fn parse_done(flags: u16, payload: &[u8]) -> Ack {
    let mut ack = Ack {
        errno: 0,
        message: None,
        offset: None,
    };
    if let Some(code) = payload.get(0..4).and_then(|b| b.try_into().ok()) {
        ack.errno = errno_of(i32::from_ne_bytes(code));
        if flags & NLM_F_ACK_TLVS != 0 {
            parse_tlvs(&payload[4..], &mut ack);
        }
    }
    ack
}

fn errno_of(code: i32) -> i32 {
    code.unsigned_abs().try_into().unwrap_or(i32::MAX)
}

fn parse_tlvs(mut tlvs: &[u8], ack: &mut Ack) {
    while tlvs.len() >= 4 {
        let len = u16::from_ne_bytes([tlvs[0], tlvs[1]]) as usize;
        let kind = u16::from_ne_bytes([tlvs[2], tlvs[3]]) & 0x3fff;
        if len < 4 || len > tlvs.len() {
            break;
        }
        let value = &tlvs[4..len];
        match kind {
            NLMSGERR_ATTR_MSG => {
                let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
                let text = String::from_utf8_lossy(&value[..end]).into_owned();
                if !text.is_empty() {
                    ack.message = Some(text);
                }
            }
            NLMSGERR_ATTR_OFFS if value.len() >= 4 => {
                ack.offset = Some(u32::from_ne_bytes([value[0], value[1], value[2], value[3]]));
            }
            _ => {}
        }
        tlvs = tlvs.get(align4(len)..).unwrap_or(&[]);
    }
}

fn align4(len: usize) -> usize {
    (len + 3) & !3
}
