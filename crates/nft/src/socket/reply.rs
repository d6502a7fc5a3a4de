//! Reading the kernel's replies: string attributes and error messages.

use crate::error::Error;
use crate::uapi::*;
use crate::wire::{self, attrs, strz, Msg};

/// The string attribute `ty` of an nf_tables message (after `nfgenmsg`).
pub(super) fn find_str(m: &Msg<'_>, ty: u16) -> Option<String> {
    let body = m.payload.get(4..)?;
    attrs(body)
        .into_iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, p)| strz(p))
}

/// `struct nlmsgerr { int error; struct nlmsghdr msg; }`, then (the request
/// payload unless `NLM_F_CAPPED`) extended-ACK attributes if
/// `NLM_F_ACK_TLVS`. Returns (positive errno or 0, text, attribute offset).
pub(super) fn parse_error(m: &Msg<'_>) -> Result<(i32, Option<String>, Option<u32>), Error> {
    let p = m.payload;
    if p.len() < 4 + NLMSG_HDRLEN {
        return Err(Error::Malformed("short NLMSG_ERROR"));
    }
    let errno = -(wire::u32_at(p, 0) as i32);
    let mut tlv_at = 4 + NLMSG_HDRLEN;
    if m.flags & NLM_F_CAPPED == 0 {
        let orig_len = wire::u32_at(p, 4) as usize;
        tlv_at = 4 + wire::align4(orig_len);
    }
    let (mut text, mut offs) = (None, None);
    if m.flags & NLM_F_ACK_TLVS != 0 {
        for (ty, v) in attrs(p.get(tlv_at..).unwrap_or(&[])) {
            match ty {
                NLMSGERR_ATTR_MSG => text = Some(strz(v)),
                NLMSGERR_ATTR_OFFS if v.len() >= 4 => offs = Some(wire::u32_at(v, 0)),
                _ => {}
            }
        }
    }
    Ok((errno, text, offs))
}
