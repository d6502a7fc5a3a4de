//! Tables the kernel accepts, replaced and deleted.

use nslab_nft::*;

use crate::common::*;

#[test]
fn a_table_with_every_rule_kind_is_accepted_and_listed() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let t = everything("nslab-demo");
        s.replace(&t).unwrap();
        let tables = s.list_tables().unwrap();
        assert_eq!(
            tables,
            [ListedTable {
                family: FAMILY_INET,
                name: "nslab-demo".into()
            }]
        );
        assert!(s.table_exists("nslab-demo").unwrap());
        assert!(!s.table_exists("nslab-other").unwrap());
        assert_eq!(
            s.list_chains("nslab-demo").unwrap(),
            ["prerouting", "output", "postrouting"]
        );
        assert_eq!(s.rule_count("nslab-demo").unwrap(), rule_total(&t));
        assert_eq!(rule_total(&t), 8);
    });
}

#[test]
fn replacing_leaves_only_the_new_rules() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        s.replace(&everything("nslab-demo")).unwrap();
        let mut smaller = everything("nslab-demo");
        smaller.chains.retain(|c| c.name == "postrouting");
        smaller.chains[0].rules.truncate(1);
        s.replace(&smaller).unwrap();
        assert_eq!(s.list_chains("nslab-demo").unwrap(), ["postrouting"]);
        assert_eq!(s.rule_count("nslab-demo").unwrap(), 1);
        // Replacing with the same contents again is idempotent.
        s.replace(&smaller).unwrap();
        assert_eq!(s.rule_count("nslab-demo").unwrap(), 1);
        // An empty table is a valid replacement.
        let empty = Table {
            name: "nslab-demo".into(),
            comment: None,
            chains: vec![],
        };
        s.replace(&empty).unwrap();
        assert!(s.table_exists("nslab-demo").unwrap());
        assert_eq!(s.rule_count("nslab-demo").unwrap(), 0);
    });
}

#[test]
fn a_refused_replacement_leaves_the_old_table_untouched() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let t = everything("nslab-demo");
        s.replace(&t).unwrap();
        let mut bad = everything("nslab-demo");
        bad.chains[0].rules.truncate(1);
        // masquerade is only valid at postrouting: the last rule fails
        // after the table was deleted and rebuilt in the same transaction.
        bad.chains[0].rules.push(Rule {
            matches: vec![],
            action: Action::Masquerade,
        });
        let err = s.replace(&bad).unwrap_err();
        assert_eq!(err.rejection().unwrap().kind, MsgKind::NewRule);
        assert_eq!(s.rule_count("nslab-demo").unwrap(), rule_total(&t));
        assert_eq!(s.list_chains("nslab-demo").unwrap().len(), 3);
    });
}

#[test]
fn tables_of_other_names_are_left_alone() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        s.replace(&everything("nslab-a")).unwrap();
        s.replace(&everything("nslab-b")).unwrap();
        s.delete("nslab-a").unwrap();
        assert!(!s.table_exists("nslab-a").unwrap());
        assert_eq!(s.rule_count("nslab-b").unwrap(), 8);
        assert_eq!(s.rule_count("nslab-a").unwrap(), 0);
    });
}

#[test]
fn delete_removes_the_table_and_a_missing_one_is_not_an_error() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        s.replace(&everything("nslab-demo")).unwrap();
        s.delete("nslab-demo").unwrap();
        assert!(s.list_tables().unwrap().is_empty());
        s.delete("nslab-demo").unwrap();
        s.delete("nslab-never-was").unwrap();
        assert!(s.list_tables().unwrap().is_empty());
    });
}

#[test]
fn batches_built_by_hand_apply_with_their_own_sequence_numbers() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let b = encode_replace_batch(&everything("nslab-demo"), 4_000_000_000).unwrap();
        s.apply(&b).unwrap();
        // wraps past u32::MAX
        let b = encode_replace_batch(&everything("nslab-demo"), u32::MAX - 3).unwrap();
        s.apply(&b).unwrap();
        assert_eq!(s.rule_count("nslab-demo").unwrap(), 8);
        let d = encode_delete_batch("nslab-demo", 12).unwrap();
        s.apply(&d).unwrap();
        assert!(!s.table_exists("nslab-demo").unwrap());
    });
}

#[test]
fn a_large_table_gets_every_ack() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let mut t = everything("nslab-big");
        t.chains[0].rules = (0..1000)
            .map(|i| publish(10_000 + i, "172.17.10.10", 80))
            .collect();
        s.replace(&t).unwrap();
        assert_eq!(s.rule_count("nslab-big").unwrap(), rule_total(&t));
    });
}

/// What `read_table` decodes is what was written, comment included; a
/// rule added or deleted by hand (with the `nft` CLI) makes it differ.
#[test]
fn a_table_reads_back_as_written_and_hand_edits_show() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        assert_eq!(s.read_table("nslab-demo").unwrap(), None);
        let t = everything("nslab-demo");
        s.replace(&t).unwrap();
        let read = s.read_table("nslab-demo").unwrap().expect("table");
        assert_eq!(read.comment.as_deref(), Some("nslab:demo"));
        assert_eq!(read.to_table().as_ref(), Some(&t));
        if !std::process::Command::new("nft")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            eprintln!("no nft binary: hand edits not tried");
            return;
        }
        let nft = |cmd: &str| {
            let o = std::process::Command::new("nft")
                .args(cmd.split(' '))
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "nft {cmd}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        nft("add rule inet nslab-demo postrouting counter");
        let read = s.read_table("nslab-demo").unwrap().expect("table");
        assert_eq!(read.chains.last().and_then(|c| c.rules.last()), Some(&None));
        assert_eq!(read.to_table(), None);
        s.replace(&t).unwrap();
        nft("flush chain inet nslab-demo output");
        let back = s
            .read_table("nslab-demo")
            .unwrap()
            .expect("table")
            .to_table();
        assert!(back.is_some_and(|b| b != t), "a deleted rule shows");
    });
}
