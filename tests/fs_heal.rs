//! `heal` and `test` take the lab's file as it was brought up even when
//! its `dirs:`/`files:` hold what `up` reads from the machine: an
//! `owner:` (a user or group name, resolved to ids) and a `from:` file
//! (its bytes). Each is compared with the recorded copy of the file by
//! what the file says, so an unchanged file is never refused as "another
//! version" (which made every scenario and `heal` of such a lab fail).

mod common;
use common::*;

/// The node parts that read the machine, one per file.
const VARIANTS: &[(&str, &str)] = &[
    ("user", "dirs: [{ path: /srv/fsheal, owner: nobody }]"),
    (
        "user-group",
        "dirs: [/srv/fsheal]\n    files:\n      /srv/fsheal/a: { content: \"x\\n\", owner: \"nobody:nogroup\" }",
    ),
    ("numeric", "dirs: [{ path: /srv/fsheal, owner: \"65534\" }]"),
    (
        "from",
        "dirs: [/srv/fsheal]\n    files:\n      /srv/fsheal/a: { from: fsheal-src.txt }",
    ),
];

#[test]
fn heal_and_test_accept_the_file_as_brought_up_with_owners_and_from() {
    if !sandbox("heal_and_test_accept_the_file_as_brought_up_with_owners_and_from") {
        return;
    }
    write("fsheal-src.txt", "copied\n");
    let mut wrong = Vec::new();
    for (name, part) in VARIANTS {
        let f = write(
            &format!("fsheal-{name}.yaml"),
            &format!("lab: fsheal\nnodes:\n  a:\n    {part}\nscenarios:\n  s:\n    - wait: 10ms\n"),
        );
        nslab_ok(&["up", &f], 0);
        let heal = nslab(&["heal", "fsheal"]);
        let test = nslab(&["test", "fsheal"]);
        let test_file = nslab(&["test", &f]);
        nslab_ok(&["down", "fsheal"], 0);
        assert_nothing_left("fsheal");
        for (what, o) in [("heal", heal), ("test LAB", test), ("test FILE", test_file)] {
            if o.status.code() != Some(0) {
                wrong.push(format!("{name}: {what}: {}", text(&o)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
