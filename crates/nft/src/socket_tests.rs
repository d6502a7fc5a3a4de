//! Reading the kernel's error replies.

use super::*;

/// An `NLMSG_ERROR` as the kernel sends it with `NETLINK_CAP_ACK` and
/// `NETLINK_EXT_ACK`: error, the request's header only, then TLVs.
#[test]
fn extended_ack_text_and_offset_are_read() {
    let mut p = (-22i32).to_ne_bytes().to_vec(); // -EINVAL
    p.extend([0u8; NLMSG_HDRLEN]); // the request's nlmsghdr
    p.extend(10u16.to_ne_bytes()); // NLMSGERR_ATTR_MSG, "bad!\0\0"
    p.extend(NLMSGERR_ATTR_MSG.to_ne_bytes());
    p.extend(b"bad!\0\0\0\0");
    p.extend(8u16.to_ne_bytes()); // NLMSGERR_ATTR_OFFS
    p.extend(NLMSGERR_ATTR_OFFS.to_ne_bytes());
    p.extend(36u32.to_ne_bytes());
    let m = Msg {
        ty: NLMSG_ERROR,
        flags: NLM_F_CAPPED | NLM_F_ACK_TLVS,
        seq: 5,
        payload: &p,
    };
    let (errno, text, offs) = parse_error(&m).unwrap();
    assert_eq!((errno, text.as_deref(), offs), (22, Some("bad!"), Some(36)));

    // Not capped: the whole request (24 bytes here) precedes the TLVs.
    let mut q = 0i32.to_ne_bytes().to_vec();
    q.extend(24u32.to_ne_bytes());
    q.extend([0u8; 20]);
    q.extend(&p[4 + NLMSG_HDRLEN..]);
    let m = Msg {
        flags: NLM_F_ACK_TLVS,
        payload: &q,
        ..m
    };
    assert_eq!(parse_error(&m).unwrap(), (0, Some("bad!".into()), Some(36)));
    let short = Msg {
        payload: &q[..8],
        ..m
    };
    assert!(parse_error(&short).is_err());
}
