//! DNS messages (RFC 1035) in one line: the question, and for a response
//! its status and answers (`A`, `AAAA`, `CNAME`, `PTR`, `NS`; others by
//! type number). Names follow compression pointers, at most
//! [`MAX_JUMPS`] of them, so a crafted loop ends.

use std::fmt::Write as _;

use super::layers::{be16, v4_at, v6_at};

const MAX_JUMPS: usize = 16;
/// Answers shown; the rest are counted.
const MAX_ANSWERS: usize = 4;

/// `DNS query 0x1a2b A? example.com.` or
/// `DNS response 0x1a2b A? example.com.: A 93.184.216.34` (`NXDomain`...).
/// `None` when the bytes are not a DNS message.
pub fn summarize(m: &[u8]) -> Option<String> {
    let (id, flags, qd, an) = (be16(m, 0)?, be16(m, 2)?, be16(m, 4)?, be16(m, 6)?);
    let response = flags & 0x8000 != 0;
    let mut out = format!(
        "DNS {} 0x{id:04x}",
        if response { "response" } else { "query" }
    );
    let mut at = 12;
    if qd > 0 {
        let (name, next) = name(m, at)?;
        let qtype = be16(m, next)?;
        let _ = write!(out, " {}? {name}", type_name(qtype));
        at = next + 4;
    }
    if !response {
        return Some(out);
    }
    for _ in 1..qd {
        at = name(m, at)?.1 + 4;
    }
    match flags & 0x000f {
        0 => {}
        rcode => {
            let _ = write!(out, ": {}", rcode_name(rcode));
            return Some(out);
        }
    }
    let mut answers = Vec::new();
    for _ in 0..an.min(MAX_ANSWERS as u16) {
        let (a, next) = answer(m, at)?;
        answers.push(a);
        at = next;
    }
    if an as usize > MAX_ANSWERS {
        answers.push(format!("{} more", an as usize - MAX_ANSWERS));
    }
    if answers.is_empty() {
        answers.push("no answer".into());
    }
    let _ = write!(out, ": {}", answers.join(", "));
    Some(out)
}

/// One resource record as `TYPE data`, and where the next one starts.
fn answer(m: &[u8], at: usize) -> Option<(String, usize)> {
    let (_, at) = name(m, at)?;
    let rtype = be16(m, at)?;
    let len = usize::from(be16(m, at + 8)?);
    let data = at + 10;
    m.get(data..data + len)?;
    let text = match (rtype, len) {
        (1, 4) => v4_at(m, data)?.to_string(),
        (28, 16) => v6_at(m, data)?.to_string(),
        (2 | 5 | 12, _) => name(m, data)?.0,
        _ => format!("({len} bytes)"),
    };
    Some((format!("{} {text}", type_name(rtype)), data + len))
}

/// The name at `at` (`example.com.`; `.` for the root) and the offset
/// after it in place (a pointer counts as its two bytes).
fn name(m: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut end = None;
    for _ in 0..=MAX_JUMPS {
        loop {
            let len = *m.get(at)?;
            match len {
                0 => {
                    if out.is_empty() {
                        out.push('.');
                    }
                    return Some((out, end.unwrap_or(at + 1)));
                }
                l if l & 0xc0 == 0xc0 => {
                    end.get_or_insert(at + 2);
                    at = usize::from(be16(m, at)? & 0x3fff);
                    break;
                }
                l if l & 0xc0 != 0 => return None,
                l => {
                    let label = m.get(at + 1..at + 1 + usize::from(l))?;
                    out.push_str(&String::from_utf8_lossy(label));
                    out.push('.');
                    at += 1 + usize::from(l);
                }
            }
        }
    }
    None
}

fn type_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        255 => "ANY".into(),
        t => format!("TYPE{t}"),
    }
}

fn rcode_name(r: u16) -> String {
    match r {
        1 => "FormErr".into(),
        2 => "ServFail".into(),
        3 => "NXDomain".into(),
        4 => "NotImp".into(),
        5 => "Refused".into(),
        r => format!("rcode {r}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dig example.com A` as captured: id 0x1a2b, RD, one question.
    #[rustfmt::skip]
    const QUERY: &[u8] = &[
        0x1a, 0x2b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0,
        0, 1, 0, 1,
    ];

    /// Its answer: a CNAME then an A record, names compressed (0xc00c).
    fn response() -> Vec<u8> {
        let mut r = QUERY.to_vec();
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 2;
        #[rustfmt::skip]
        r.extend_from_slice(&[
            0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6,
            3, b'w', b'w', b'w', 0xc0, 0x0c,
            0xc0, 0x29, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
        ]);
        r
    }

    #[test]
    fn a_query_names_its_question() {
        assert_eq!(
            summarize(QUERY).as_deref(),
            Some("DNS query 0x1a2b A? example.com.")
        );
    }

    #[test]
    fn a_response_lists_its_answers_through_pointers() {
        assert_eq!(
            summarize(&response()).as_deref(),
            Some("DNS response 0x1a2b A? example.com.: CNAME www.example.com., A 93.184.216.34")
        );
        let mut nx = QUERY.to_vec();
        nx[2] = 0x81;
        nx[3] = 0x83;
        assert_eq!(
            summarize(&nx).as_deref(),
            Some("DNS response 0x1a2b A? example.com.: NXDomain")
        );
    }

    #[test]
    fn loops_and_cut_messages_end_without_a_line() {
        // A name that points at itself.
        let mut looped = QUERY[..12].to_vec();
        looped.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(summarize(&looped), None);
        for cut in 0..QUERY.len() - 4 {
            assert_eq!(summarize(&QUERY[..cut]), None, "cut at {cut}");
        }
        let r = response();
        for cut in QUERY.len()..r.len() {
            assert_eq!(summarize(&r[..cut]), None, "cut at {cut}");
        }
    }
}
