//! The names and marks by which a lab's objects are known in the kernel,
//! each written in one place: what `up` gives a namespace, a link or a
//! table, and what `down`, `ls` and the observer look for, are the same
//! string because they come from the same function.
//!
//! | what | form |
//! |---|---|
//! | mark (alias of a namespace's `lo`, of the lab's links in the host node) | `nslab:<lab>` |
//! | mark of a physical interface moved into a node | `nslab:<lab> physical <host name>` |
//! | a node's namespace, unless the file names it (`netns:`) | `<lab>-<node>` |
//! | NAT table (nftables, family inet) | `nslab-<lab>` |
//! | partition table (nftables, family inet) | `nslab-<lab>-partition` |
//! | an image node's container (Podman) | `<lab>-<node>`, labelled `nslab.lab=<lab>` |

/// What every mark starts with.
pub const MARK_PREFIX: &str = "nslab:";

/// The mark of lab `lab`: the alias of its namespaces' `lo` and of the
/// links it makes in the host node.
pub fn lab_mark(lab: &str) -> String {
    format!("{MARK_PREFIX}{lab}")
}

/// The lab a mark names, if `alias` is a lab's mark (exactly
/// `nslab:<lab>`; a physical interface's mark is not).
pub fn lab_of_mark(alias: &str) -> Option<&str> {
    alias
        .strip_prefix(MARK_PREFIX)
        .filter(|lab| !lab.is_empty() && !lab.contains(' '))
}

/// The mark of a physical interface while lab `lab` has it: names the lab
/// and the interface's name in the host.
pub fn physical_mark(lab: &str, from: &str) -> String {
    format!("{} physical {from}", lab_mark(lab))
}

/// The host name of a physical interface from its alias, if lab `lab`
/// marked it.
pub fn physical_from_mark<'a>(lab: &str, alias: &'a str) -> Option<&'a str> {
    alias
        .strip_prefix(MARK_PREFIX)
        .and_then(|a| a.strip_prefix(lab))
        .and_then(|a| a.strip_prefix(" physical "))
        .filter(|f| !f.is_empty())
}

/// The namespace of node `node` of lab `lab` when the file gives it no
/// name of its own: `<lab>-<node>`.
pub fn node_netns(lab: &str, node: &str) -> String {
    format!("{}{node}", netns_prefix(lab))
}

/// What the name of every namespace [`node_netns`] names for lab `lab`
/// starts with: `<lab>-`. (Another lab's namespaces may start with it too,
/// `a-b-x` of lab `a-b` for lab `a`: only the mark says whose one is.)
pub fn netns_prefix(lab: &str) -> String {
    format!("{lab}-")
}

/// The Podman label whose value names the lab a container is of: `down`
/// finds a lab's containers by `nslab.lab=<lab>`.
pub const CONTAINER_LAB_LABEL: &str = "nslab.lab";

/// The container of image node `node` of lab `lab`: `<lab>-<node>`.
pub fn container(lab: &str, node: &str) -> String {
    format!("{}{node}", netns_prefix(lab))
}

/// The nftables table (family inet) holding lab `lab`'s NAT in a node.
pub fn nat_table(lab: &str) -> String {
    format!("nslab-{lab}")
}

/// The nftables table (family inet) holding lab `lab`'s partitions in a
/// node.
pub fn partition_table(lab: &str) -> String {
    format!("{}-partition", nat_table(lab))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_reads_back_as_what_it_names() {
        for lab in ["a", "a-b", "lab0", "x1-2-3"] {
            assert_eq!(lab_of_mark(&lab_mark(lab)), Some(lab));
            assert_eq!(lab_of_mark(&physical_mark(lab, "ens3")), None);
            assert_eq!(
                physical_from_mark(lab, &physical_mark(lab, "ens3")),
                Some("ens3")
            );
            assert_eq!(physical_from_mark(lab, &lab_mark(lab)), None);
            assert!(node_netns(lab, "h1").starts_with(&netns_prefix(lab)));
            assert_ne!(nat_table(lab), partition_table(lab));
        }
        assert_eq!(lab_mark("demo"), "nslab:demo");
        assert_eq!(node_netns("demo", "h1"), "demo-h1");
        assert_eq!(nat_table("demo"), "nslab-demo");
        assert_eq!(partition_table("demo"), "nslab-demo-partition");
        assert_eq!(lab_of_mark("nslab:"), None);
        assert_eq!(lab_of_mark("other"), None);
    }
}
