//! "Did you mean": the known word closest to a misspelt one, for the
//! hints of the shape pass and of serde's unknown-key errors alike.

/// The known key closest to a misspelt one, if it is close (edit distance
/// at most 2).
pub(crate) fn closest<'a>(typo: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(typo, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_key() {
        assert_eq!(
            closest("adresses", &["kind", "addresses"]),
            Some("addresses")
        );
        assert_eq!(closest("nodse", &["lab", "nodes", "links"]), Some("nodes"));
        assert_eq!(closest("zzzzzz", &["lab", "nodes"]), None);
    }
}
