//! `nslab check --junit FILE`: the results as JUnit XML for CI systems.

use super::{Check, Outcome};

/// `s` as XML text or attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(lab: &str, results: &[(Check, Outcome)]) -> String {
    let failures = results.iter().filter(|(_, o)| !o.pass).count();
    let total: f64 = results.iter().map(|(_, o)| o.took.as_secs_f64()).sum();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuite name=\"nslab {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3}\">\n",
        escape(lab),
        results.len(),
        failures,
        total
    ));
    for (c, o) in results {
        s.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(lab),
            escape(&c.text),
            o.took.as_secs_f64()
        ));
        if o.pass {
            s.push_str("/>\n");
        } else {
            s.push_str(&format!(
                ">\n    <failure message=\"{}\"/>\n  </testcase>\n",
                escape(&o.seen)
            ));
        }
    }
    s.push_str("</testsuite>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Proto;
    use std::time::Duration;

    #[test]
    fn failures_are_counted_and_escaped() {
        let c = Check {
            text: "a -> <b>".into(),
            from: "a".into(),
            from_netns: None,
            to_netns: None,
            to: "10.0.0.1".parse().expect("ip"),
            port: None,
            proto: Proto::Icmp,
            reply_from: None,
            seen_as: None,
            should_answer: true,
            within: None,
        };
        let ok = Outcome {
            pass: true,
            seen: "answered".into(),
            took: Duration::from_millis(3),
            asked: true,
        };
        let bad = Outcome {
            pass: false,
            seen: "timeout \"1s\"".into(),
            took: Duration::from_secs(1),
            asked: true,
        };
        let xml = render("demo", &[(c.clone(), ok), (c, bad)]);
        assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
        assert!(xml.contains("name=\"a -&gt; &lt;b&gt;\""), "{xml}");
        assert!(
            xml.contains("<failure message=\"timeout &quot;1s&quot;\"/>"),
            "{xml}"
        );
    }
}
