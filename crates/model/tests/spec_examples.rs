//! Every file in the project's examples/ folder is a valid topology.

use nslab_model::{parse_file, AnyHostInterfaces};
use std::path::Path;

#[test]
fn project_examples_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // no examples folder in this checkout
    };
    let mut failures = String::new();
    let mut n = 0;
    for e in entries {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            n += 1;
            if let Err(p) = parse_file(&path, &AnyHostInterfaces) {
                failures.push_str(&p.render_plain());
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(n > 0);
}
