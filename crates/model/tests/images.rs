//! `image:` and `cmd:`: a node that is a container. Every reference and
//! command a user may write, each refused at its place with the kind the
//! CLI reports; Podman and the image asked of the host, once.

use nslab_model::{
    parse_str, parse_str_on, Host, ImageLookup, NoHostInterfaces, ProblemKind, ProblemKind::*,
    ProgramLookup,
};
use std::cell::RefCell;

/// A node's `image:` and `cmd:` as lowered.
type ImageCmd = (Option<String>, Option<Vec<String>>);

fn node(body: &str) -> Result<ImageCmd, Vec<ProblemKind>> {
    let text = format!("lab: l\nnodes:\n  a: {body}\n");
    parse_str("lab.yaml", &text, &NoHostInterfaces)
        .map(|t| (t.nodes["a"].image.clone(), t.nodes["a"].cmd.clone()))
        .map_err(|p| p.kinds())
}

#[test]
fn image_references_and_commands_as_podman_takes_them() {
    let long = format!("localhost/{}", "x".repeat(245));
    for ok in [
        "localhost/busybox:1",
        "busybox",
        "registry.example:5000/team/db:1.2-rc_3",
        "db@sha256:0123abcd",
        long.as_str(),
    ] {
        assert_eq!(
            node(&format!("{{ image: \"{ok}\" }}")),
            Ok((Some(ok.to_string()), None)),
            "{ok}"
        );
    }
    let too_long = format!("localhost/{}", "x".repeat(246));
    for bad in [
        "-v",
        "--privileged",
        "a b",
        "/abs",
        ":tag",
        "a\\tb",
        "",
        "a;b",
        too_long.as_str(),
    ] {
        assert_eq!(
            node(&format!("{{ image: \"{bad}\" }}")),
            Err(vec![InvalidName]),
            "{bad}"
        );
    }
    for ok in ["{ dirs: [\"/a:b\"] }", "{ image: i, dirs: [/a, /b/c.d] }"] {
        assert!(node(ok).is_ok(), "{ok}");
    }
    let with_cmd = node("{ image: i, cmd: [httpd, -f, \"-p 80\"] }");
    let argv = ["httpd", "-f", "-p 80"].map(String::from).to_vec();
    assert_eq!(with_cmd, Ok((Some("i".into()), Some(argv))));
    let table: &[(&str, &[ProblemKind])] = &[
        ("{ cmd: [sleep, 1] }", &[InvalidValue]),
        ("{ image: i, cmd: [] }", &[InvalidValue]),
        ("{ image: i, cmd: \"sleep 1\" }", &[WrongType]),
        ("{ image: i, cmd: [[a]] }", &[WrongType]),
        ("{ image: [i] }", &[WrongType]),
        ("{ kind: host, image: i }", &[InvalidValue]),
        // Podman's `-v SRC:DEST` cannot bind a path holding `:`.
        ("{ image: i, dirs: [\"/a:b\"] }", &[InvalidValue]),
        ("{ image: i, dirs: [/a, \"/b/c:d\"] }", &[InvalidValue]),
    ];
    for (body, kinds) in table {
        let got = node(body).map(|_| ()).map_err(|mut k| {
            k.dedup();
            k
        });
        assert_eq!(got, Err(kinds.to_vec()), "{body}");
    }
}

/// Podman is asked about only when a file has `image:`; missing, it is
/// one problem at the first `image:`; each image is asked once, and an
/// absent one is a problem at each node that names it.
#[test]
fn podman_and_the_images_are_asked_of_the_host() {
    struct Machine {
        podman: ProgramLookup,
        present: &'static [&'static str],
        asked: RefCell<Vec<String>>,
    }
    impl nslab_model::HostPrograms for Machine {
        fn lookup(&self, argv0: &str) -> ProgramLookup {
            self.asked.borrow_mut().push(format!("program {argv0}"));
            if argv0 == "podman" {
                self.podman
            } else {
                ProgramLookup::Found
            }
        }
        fn image(&self, reference: &str) -> ImageLookup {
            self.asked.borrow_mut().push(format!("image {reference}"));
            if self.present.contains(&reference) {
                ImageLookup::Present
            } else {
                ImageLookup::Absent
            }
        }
    }
    let run = |text: &str, podman, present| {
        let m = Machine {
            podman,
            present,
            asked: RefCell::new(Vec::new()),
        };
        let host = Host {
            interfaces: &NoHostInterfaces,
            programs: &m,
        };
        let r = parse_str_on("lab.yaml", text, host)
            .map(|_| ())
            .map_err(|p| p.iter().map(|x| (x.loc.line, x.kind)).collect::<Vec<_>>());
        (r, m.asked.into_inner())
    };
    let plain = "lab: l\nnodes:\n  a: {}\n";
    assert_eq!(run(plain, ProgramLookup::Missing, &[]), (Ok(()), vec![]));
    let two = "lab: l\nnodes:\n  a: { image: x }\n  b: { image: x }\n  c: { image: y }\n";
    let (r, asked) = run(two, ProgramLookup::Missing, &[]);
    assert_eq!(r, Err(vec![(3, ProgramMissing)]));
    assert_eq!(asked, vec!["program podman"]);
    let (r, asked) = run(two, ProgramLookup::Found, &["y"]);
    assert_eq!(r, Err(vec![(3, ProgramMissing), (4, ProgramMissing)]));
    assert_eq!(asked, vec!["program podman", "image x", "image y"]);
    let (r, _) = run(two, ProgramLookup::Found, &["x", "y"]);
    assert_eq!(r, Ok(()));
}
