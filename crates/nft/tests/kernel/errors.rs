//! Batches the kernel refuses: the error names the errno and the message.

use nslab_nft::*;

use crate::common::*;

#[test]
fn a_nat_chain_on_an_unsupported_hook_is_refused_with_errno_and_message() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut t = everything("nslab-demo");
        // The inet nat chain type has no forward hook.
        t.chains[1].hook = Hook::Forward;
        let err = s.replace(&t).unwrap_err();
        let r = err
            .rejection()
            .unwrap_or_else(|| panic!("not a rejection: {err}"));
        assert_eq!(r.kind, MsgKind::NewChain);
        assert_eq!(r.what, "chain output");
        assert_eq!(r.errno, libc::EOPNOTSUPP, "{err}");
        assert_eq!(err.errno(), Some(libc::EOPNOTSUPP));
        // Its rules cannot be added to the missing chain either.
        assert!(!r.later.is_empty(), "{err}");
        let text = err.to_string();
        eprintln!("{text}");
        assert!(text.contains("chain output (NFT_MSG_NEWCHAIN"), "{text}");
        // Nothing of the batch was applied.
        assert!(!s.table_exists("nslab-demo").unwrap());
    });
}

#[test]
fn dnat_in_a_filter_chain_is_refused_and_names_the_rule() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut t = everything("nslab-demo");
        t.chains[0].kind = ChainType::Filter;
        t.chains[0].priority = 0;
        let err = s.replace(&t).unwrap_err();
        let r = err.rejection().unwrap();
        eprintln!("{err}: {:?}", r.later);
        assert_eq!(r.kind, MsgKind::NewRule);
        assert!(
            r.what.starts_with("rule 1 of chain prerouting: "),
            "{}",
            r.what
        );
        assert_eq!(r.errno, libc::EOPNOTSUPP, "{err}");
    });
}

#[test]
fn an_invalid_table_is_not_sent() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut t = everything("nslab-demo");
        t.chains[0].rules[0]
            .matches
            .retain(|m| !matches!(m, Match::L4Proto(_)));
        let err = s.replace(&t).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        assert!(!s.table_exists("nslab-demo").unwrap());
    });
}
