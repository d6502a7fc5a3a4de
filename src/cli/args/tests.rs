use super::*;

fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    let mut v = vec!["nslab"];
    v.extend_from_slice(args);
    Args::try_parse_from(v).map(|a| a.command)
}

#[test]
fn up_without_a_file_is_the_demo_lab() {
    assert!(matches!(
        parse(&["up"]),
        Ok(Command::Up {
            file: None,
            check: false,
            ..
        })
    ));
    assert!(matches!(
        parse(&["up", "x.yaml", "--check"]),
        Ok(Command::Up {
            file: Some(_),
            check: true,
            ..
        })
    ));
}

#[test]
fn exec_takes_everything_after_the_double_dash() {
    let Ok(Command::Exec { lab, node, cmd }) =
        parse(&["exec", "demo", "h1", "--", "ip", "-br", "addr"])
    else {
        panic!("exec did not parse");
    };
    assert_eq!((lab.as_str(), node.as_str()), ("demo", "h1"));
    assert_eq!(cmd, vec![OsString::from("ip"), "-br".into(), "addr".into()]);
    assert!(
        parse(&["exec", "demo", "h1"]).is_err(),
        "a command is required"
    );
}

#[test]
fn plan_flags() {
    assert!(matches!(
        parse(&["plan", "f.yaml", "--exit-code", "--json"]),
        Ok(Command::Plan {
            exit_code: true,
            json: true,
            offline: false,
            ..
        })
    ));
}

/// `--script` is the whole lab from the file alone: no flag that reads
/// the kernel or prints otherwise goes with it.
#[test]
fn plan_script_goes_alone() {
    assert!(matches!(
        parse(&["plan", "f.yaml", "--script"]),
        Ok(Command::Plan { script: true, .. })
    ));
    for other in ["--json", "--exit-code", "--offline"] {
        assert!(
            parse(&["plan", "f.yaml", "--script", other]).is_err(),
            "--script {other} parsed"
        );
    }
}

/// Every visible command, with its path (`nslab up`).
fn commands() -> Vec<(String, clap::Command)> {
    let top = <Args as clap::CommandFactory>::command();
    let mut out = vec![("nslab".to_string(), top.clone())];
    for c in top.get_subcommands().filter(|c| !c.is_hide_set()) {
        out.push((format!("nslab {}", c.get_name()), c.clone()));
    }
    out
}

#[test]
fn every_argument_and_flag_has_a_description() {
    let mut missing = Vec::new();
    for (path, cmd) in commands() {
        if cmd.get_about().is_none() && path != "nslab" {
            missing.push(format!("{path}: the command itself"));
        }
        for a in cmd.get_arguments() {
            if a.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("{path}: {}", a.get_id()));
            }
        }
    }
    assert!(missing.is_empty(), "no description: {missing:#?}");
}

#[test]
fn every_command_shows_one_example_that_parses() {
    for (path, cmd) in commands() {
        let after = cmd
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let examples: Vec<&str> = after
            .lines()
            .skip_while(|l| *l != "Example:")
            .skip(1)
            .map(str::trim)
            .collect();
        assert_eq!(examples.len(), 1, "{path}: one example line: {after}");
        // The example's nslab words, up to a shell pipe or redirection.
        let words: Vec<&str> = examples[0]
            .split_whitespace()
            .take_while(|w| !["|", ">"].contains(w))
            .collect();
        assert_eq!(words.first(), Some(&"nslab"), "{path}: {}", examples[0]);
        assert!(
            Args::try_parse_from(&words).is_ok() || words.len() == 1,
            "{path}: the example does not parse: {}",
            examples[0]
        );
        if path != "nslab" {
            assert!(
                examples[0].starts_with(&path),
                "{path}: the example is of another command: {}",
                examples[0]
            );
        }
    }
}

#[test]
fn completions_and_man_parse() {
    assert!(matches!(
        parse(&["completions", "bash"]),
        Ok(Command::Completions { .. })
    ));
    assert!(parse(&["completions", "tcsh"]).is_err());
    assert!(matches!(parse(&["man"]), Ok(Command::Man { dir: None })));
    assert!(matches!(
        parse(&["man", "--dir", "/tmp/m"]),
        Ok(Command::Man { dir: Some(d) }) if d == std::path::Path::new("/tmp/m")
    ));
}

#[test]
fn down_needs_a_lab() {
    assert!(parse(&["down"]).is_err());
}
