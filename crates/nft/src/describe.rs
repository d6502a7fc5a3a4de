//! nft-like text for a table. It names what the encoder sends; it is not
//! meant to be fed back to `nft`. A rule's text is the model's own
//! (`nslab_types::rules`), the one `nslab plan` shows.

use std::fmt::Write as _;

use crate::model::Table;

/// The table as `nft list table` would roughly print it:
///
/// ```text
/// table inet nslab-demo {
///     chain postrouting {
///         type nat hook postrouting priority 100; policy accept;
///         ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
///     }
/// }
/// ```
pub fn describe(table: &Table) -> String {
    let mut s = format!("table inet {} {{\n", table.name);
    for c in &table.chains {
        // Writing to a String cannot fail.
        let _ = writeln!(s, "\tchain {} {{", c.name);
        let _ = writeln!(
            s,
            "\t\ttype {} hook {} priority {}; policy accept;",
            c.kind.name(),
            c.hook.name(),
            c.priority
        );
        for r in &c.rules {
            let _ = writeln!(s, "\t\t{r}");
        }
        s.push_str("\t}\n");
    }
    s.push_str("}\n");
    s
}
