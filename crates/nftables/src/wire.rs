//! Netlink attributes and messages as bytes (include/uapi/linux/netlink.h,
//! netfilter/nfnetlink.h). nftables integers are big-endian on the wire
//! unless a datatype says host order (fib and ct results).

pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;
pub const NLM_F_CAPPED: u16 = 0x100;
pub const NLM_F_ACK_TLVS: u16 = 0x200;
pub const NLA_F_NESTED: u16 = 0x8000;
/// `NLMSGERR_ATTR_MSG`: the kernel's extended-ack text.
pub const NLMSGERR_ATTR_MSG: u16 = 1;

/// `NFNL_SUBSYS_NFTABLES`.
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
pub const NFNL_MSG_BATCH_END: u16 = 0x11;
pub const NFT_MSG_NEWTABLE: u16 = 0;
pub const NFT_MSG_GETTABLE: u16 = 1;
pub const NFT_MSG_DELTABLE: u16 = 2;
pub const NFT_MSG_NEWCHAIN: u16 = 3;
pub const NFT_MSG_NEWRULE: u16 = 6;
pub const NFT_MSG_GETRULE: u16 = 7;

pub const NFPROTO_UNSPEC: u8 = 0;
pub const NFPROTO_INET: u8 = 1;
pub const NFPROTO_IPV4: u8 = 2;
pub const NFPROTO_IPV6: u8 = 10;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A growing attribute stream; nests are opened and closed in place.
#[derive(Debug, Default, Clone)]
pub struct Attrs {
    pub buf: Vec<u8>,
}

impl Attrs {
    pub fn new() -> Attrs {
        Attrs::default()
    }

    pub fn bytes(&mut self, kind: u16, data: &[u8]) -> &mut Attrs {
        let len = 4 + data.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    pub fn str(&mut self, kind: u16, s: &str) -> &mut Attrs {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.bytes(kind, &v)
    }

    /// A u32 in network byte order.
    pub fn be32(&mut self, kind: u16, v: u32) -> &mut Attrs {
        self.bytes(kind, &v.to_be_bytes())
    }

    pub fn nested(&mut self, kind: u16, inner: &Attrs) -> &mut Attrs {
        self.bytes(kind | NLA_F_NESTED, &inner.buf)
    }
}

/// One netlink message: header, `nfgenmsg`, attributes.
pub fn message(kind: u16, flags: u16, seq: u32, family: u8, res_id: u16, attrs: &Attrs) -> Vec<u8> {
    let len = 16 + 4 + attrs.buf.len();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    // struct nfgenmsg { u8 nfgen_family; u8 version; __be16 res_id; }
    m.push(family);
    m.push(0);
    m.extend_from_slice(&res_id.to_be_bytes());
    m.extend_from_slice(&attrs.buf);
    m
}

/// An nftables message type: subsystem in the high byte.
pub fn nft_type(msg: u16) -> u16 {
    (NFNL_SUBSYS_NFTABLES << 8) | msg
}

/// Iterate `(type without flags, payload)` over an attribute stream.
pub fn parse_attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let kind = u16::from_ne_bytes([b[2], b[3]]) & !NLA_F_NESTED & 0x3fff;
        if len < 4 || len > b.len() {
            break;
        }
        out.push((kind, &b[4..len]));
        b = &b[align4(len).min(b.len())..];
    }
    out
}

/// Split a receive buffer into `(type, flags, seq, payload)` messages.
pub fn parse_messages(mut b: &[u8]) -> Vec<(u16, u16, u32, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 16 {
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len < 16 || len > b.len() {
            break;
        }
        let kind = u16::from_ne_bytes([b[4], b[5]]);
        let flags = u16::from_ne_bytes([b[6], b[7]]);
        let seq = u32::from_ne_bytes([b[8], b[9], b[10], b[11]]);
        out.push((kind, flags, seq, &b[16..len]));
        b = &b[align4(len).min(b.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_padded_to_four_bytes() {
        let mut a = Attrs::new();
        a.str(1, "nat");
        // len 8 = 4 header + "nat\0"; no padding needed.
        assert_eq!(a.buf, [8, 0, 1, 0, b'n', b'a', b't', 0]);
        let mut b = Attrs::new();
        b.bytes(3, &[0xab]);
        assert_eq!(b.buf, [5, 0, 3, 0, 0xab, 0, 0, 0]);
    }

    #[test]
    fn nests_carry_the_nested_flag_and_integers_are_big_endian() {
        let mut inner = Attrs::new();
        inner.be32(1, 4);
        let mut a = Attrs::new();
        a.nested(4, &inner);
        assert_eq!(a.buf, [12, 0, 4, 0x80, 8, 0, 1, 0, 0, 0, 0, 4]);
    }

    #[test]
    fn a_message_has_the_header_and_nfgenmsg() {
        let m = message(
            nft_type(NFT_MSG_NEWTABLE),
            NLM_F_REQUEST | NLM_F_ACK,
            7,
            NFPROTO_INET,
            0,
            &Attrs::new(),
        );
        assert_eq!(m.len(), 20);
        assert_eq!(&m[0..4], &20u32.to_ne_bytes());
        assert_eq!(&m[4..6], &0x0a00u16.to_ne_bytes());
        assert_eq!(&m[6..8], &5u16.to_ne_bytes());
        assert_eq!(&m[8..12], &7u32.to_ne_bytes());
        assert_eq!(&m[16..20], &[1, 0, 0, 0]);
        let parsed = parse_messages(&m);
        assert_eq!(parsed.len(), 1);
        assert_eq!((parsed[0].0, parsed[0].2), (0x0a00, 7));
    }
}
