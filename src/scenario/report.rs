//! Scenario results as JUnit XML (one test suite per scenario, one test
//! case per step) and as JSON.

use super::ScenarioResult;
use crate::check::junit::escape;

/// `<testsuites>` with one `<testsuite>` per scenario.
pub fn junit(lab: &str, results: &[ScenarioResult]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in results {
        let failures = r.steps.iter().filter(|x| !x.pass).count() + usize::from(r.healed.is_err());
        let tests = r.steps.len() + r.skipped.len() + usize::from(r.healed.is_err());
        s.push_str(&format!(
            "  <testsuite name=\"{}/{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">\n",
            escape(lab),
            escape(&r.name),
            r.skipped.len(),
            r.took.as_secs_f64()
        ));
        for st in &r.steps {
            s.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}: {}\" time=\"{:.3}\"",
                escape(&r.name),
                st.number,
                escape(&st.text),
                st.took.as_secs_f64()
            ));
            if st.pass {
                s.push_str("/>\n");
            } else {
                s.push_str(&format!(
                    ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                    escape(&st.detail)
                ));
            }
        }
        let first = r.steps.len() + 1;
        for (i, text) in r.skipped.iter().enumerate() {
            s.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}: {}\"><skipped/></testcase>\n",
                escape(&r.name),
                first + i,
                escape(text)
            ));
        }
        if let Err(e) = &r.healed {
            s.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"heal at the end\">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                escape(&r.name),
                escape(&e.to_string())
            ));
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

/// The results as one JSON value.
pub fn json(results: &[ScenarioResult]) -> serde_json::Value {
    let v: Vec<_> = results
        .iter()
        .map(|r| {
            let steps: Vec<_> = r
                .steps
                .iter()
                .map(|s| {
                    let checks: Vec<_> = s
                        .checks
                        .iter()
                        .map(|(c, o)| serde_json::json!({"check": c.text, "pass": o.pass, "seen": o.seen, "ms": o.took.as_secs_f64() * 1000.0}))
                        .collect();
                    serde_json::json!({"step": s.number, "what": s.text, "pass": s.pass, "ms": s.took.as_secs_f64() * 1000.0, "detail": s.detail, "checks": checks})
                })
                .collect();
            let healed = match &r.healed {
                Ok(h) => serde_json::json!({"ok": true, "healed": h}),
                Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
            };
            serde_json::json!({"scenario": r.name, "pass": r.passed(), "ms": r.took.as_secs_f64() * 1000.0, "steps": steps, "skipped": r.skipped, "heal": healed, "interrupted": r.interrupted})
        })
        .collect();
    serde_json::Value::Array(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::StepResult;
    use std::time::Duration;

    fn step(n: usize, pass: bool) -> StepResult {
        StepResult {
            number: n,
            text: format!("expect a -> <b{n}>"),
            pass,
            took: Duration::from_millis(5),
            detail: if pass {
                String::new()
            } else {
                "no \"answer\"".into()
            },
            checks: Vec::new(),
        }
    }

    /// One suite per scenario, one case per step (skipped ones too),
    /// failures counted and the text escaped.
    #[test]
    fn one_suite_per_scenario_one_case_per_step() {
        let r = |name: &str, steps, skipped: Vec<String>| ScenarioResult {
            name: name.into(),
            steps,
            skipped,
            healed: Ok(vec![]),
            took: Duration::from_millis(20),
            interrupted: false,
        };
        let x = junit(
            "lab",
            &[
                r("ok", vec![step(1, true), step(2, true)], vec![]),
                r(
                    "bad",
                    vec![step(1, true), step(2, false)],
                    vec!["heal".into()],
                ),
            ],
        );
        assert_eq!(x.matches("<testsuite ").count(), 2, "{x}");
        assert_eq!(x.matches("<testcase ").count(), 5, "{x}");
        assert!(
            x.contains("name=\"lab/bad\" tests=\"3\" failures=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("<skipped/>") && x.contains("name=\"3: heal\""),
            "{x}"
        );
        assert!(
            x.contains("&lt;b2&gt;") && x.contains("no &quot;answer&quot;"),
            "{x}"
        );
    }
}
