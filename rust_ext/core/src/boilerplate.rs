//! Boilerplate lines: lines that recur verbatim across many documents of a batch (signature
//! blocks, dictation footers, page headers, template sentences). A line counts once per document;
//! short lines (section headers such as "CHIEF COMPLAINT:") are never counted.

use std::collections::{HashMap, HashSet};

use crate::tokens::hash_bytes;

fn key(line: &str) -> u64 {
    hash_bytes(line.trim().as_bytes())
}

/// Hashes of the lines of at least `min_chars` chars (trimmed) that occur in at least
/// `min_docs` of `texts`.
pub fn repeated_lines<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    min_docs: u32,
    min_chars: usize,
) -> HashSet<u64> {
    repeated_lines_weighted(texts.into_iter().map(|t| (t, 1)), min_docs, min_chars)
}

/// [`repeated_lines`] over distinct texts, each standing for `copies` documents.
pub fn repeated_lines_weighted<'a>(
    texts: impl IntoIterator<Item = (&'a str, u32)>,
    min_docs: u32,
    min_chars: usize,
) -> HashSet<u64> {
    let mut docs: HashMap<u64, u32> = HashMap::new();
    let mut seen = HashSet::new();
    for (text, copies) in texts {
        seen.clear();
        for line in text.lines() {
            if line.trim().chars().count() >= min_chars {
                seen.insert(key(line));
            }
        }
        for &h in &seen {
            *docs.entry(h).or_default() += copies;
        }
    }
    docs.into_iter()
        .filter(|&(_, n)| n >= min_docs)
        .map(|(h, _)| h)
        .collect()
}

/// `text` without the lines in `lines` (their line breaks go with them), and how many went.
pub fn drop_lines(text: &str, lines: &HashSet<u64>) -> (String, u32) {
    if lines.is_empty() {
        return (text.to_string(), 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut dropped = 0;
    for line in text.split_inclusive('\n') {
        if lines.contains(&key(line.trim_end_matches(['\n', '\r']))) {
            dropped += 1;
        } else {
            out.push_str(line);
        }
    }
    if dropped > 0 && out.ends_with('\n') && !text.ends_with('\n') {
        out.pop();
    }
    (out, dropped)
}

/// Each of `texts` without its lines that recur (see [`repeated_lines_weighted`]; text i stands
/// for `copies(i)` documents), with how many lines it lost; nulls stay null. `None` when no line
/// recurs, so a caller can keep the texts it has.
pub fn remove(
    texts: &[Option<&str>],
    copies: impl Fn(usize) -> u32,
    min_docs: u32,
    min_chars: usize,
) -> Option<Vec<Option<(String, u32)>>> {
    let present = texts.iter().enumerate();
    let lines = repeated_lines_weighted(
        present.filter_map(|(i, t)| t.map(|t| (t, copies(i)))),
        min_docs,
        min_chars,
    );
    if lines.is_empty() {
        return None;
    }
    Some(
        texts
            .iter()
            .map(|t| t.map(|t| drop_lines(t, &lines)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_counts_copies_and_keeps_nulls() {
        let footer = "Dictated but not read by the attending physician.";
        let (a, b) = (format!("Pain.\n{footer}"), format!("Cough.\n{footer}"));
        let texts = [Some(a.as_str()), None, Some(b.as_str())];
        // two distinct texts, but the first stands for three documents: four in all
        let out = remove(&texts, |i| if i == 0 { 3 } else { 1 }, 4, 20).unwrap();
        assert_eq!(out[0], Some(("Pain.".to_string(), 1)));
        assert_eq!(out[1], None);
        assert_eq!(out[2], Some(("Cough.".to_string(), 1)));
        assert!(remove(&texts, |_| 1, 4, 20).is_none());
    }

    #[test]
    fn drops_lines_many_documents_share() {
        let footer = "Electronically signed by the attending physician.";
        let docs: Vec<String> = (0..4)
            .map(|i| format!("CHIEF COMPLAINT:\nPain number {i}.\n{footer}"))
            .collect();
        let lines = repeated_lines(docs.iter().map(String::as_str), 3, 20);
        assert_eq!(lines.len(), 1);
        let (out, n) = drop_lines(&docs[0], &lines);
        assert_eq!((out.as_str(), n), ("CHIEF COMPLAINT:\nPain number 0.", 1));
        // twice in one document still counts once
        let twice = format!("{footer}\n{footer}");
        assert!(repeated_lines([twice.as_str(), "x"], 2, 20).is_empty());
        assert_eq!(drop_lines("a\nb", &HashSet::new()), ("a\nb".to_string(), 0));
        // one distinct text standing for three documents is three documents
        let weighted = [(docs[0].as_str(), 3), ("x", 1)];
        assert_eq!(repeated_lines_weighted(weighted, 3, 20), lines);
        assert!(repeated_lines_weighted([(docs[0].as_str(), 2)], 3, 20).is_empty());
    }
}
