//! Parse + validate any bytes: no panic, no hang, every problem placed
//! inside the file (the same assertions as crates/model/tests/fuzz.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nslab_model::{parse_str, AnyHostInterfaces, NoHostInterfaces};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for r in [
        parse_str("fuzz.yaml", text, &NoHostInterfaces),
        parse_str("fuzz.yaml", text, &AnyHostInterfaces),
    ] {
        let Err(problems) = r else { continue };
        assert!(!problems.is_empty());
        for p in problems.iter() {
            let line = text.split('\n').nth((p.loc.line as usize).wrapping_sub(1));
            let inside = p.loc.col >= 1
                && line.is_some_and(|l| p.loc.col as usize <= l.chars().count() + 1);
            assert!(inside, "{:?} at {} outside the file: {}", p.kind, p.loc, p.message);
            assert!(!p.hint.is_empty());
        }
        let _ = problems.render_plain();
    }
});
