//! Abbreviation senses chosen by context. A short form ("mi") may stand for several long forms
//! (myocardial infarction, mitral insufficiency); each scores the log of its share of the short
//! form's uses (the prior) plus `CUE_WEIGHT` for every content word of its long form found within
//! a window around the mention, plus the weights of the words learned for it from notes where
//! its long form is written out (reverse substitution); the highest wins, the first given on a
//! tie. Words are the tokens
//! of the normalized text, compared by hash, so a mention costs one window scan and no
//! allocation.

use std::collections::HashMap;
use std::ops::Range;

use crate::tokens::{hash_bytes, Token};

struct SenseOption {
    /// Hashes of the long form's content words, sorted, no repeats.
    cues: Vec<u64>,
    /// Words learned from notes where the long form is written out, with their log-odds for
    /// this sense against the short form's others: (hash, weight), sorted by hash.
    learned: Vec<(u64, f64)>,
    /// ln of the sense's share of its short form's frequency.
    prior: f64,
}

/// What one long-form word found near the mention is worth, against the log prior: one cue
/// outweighs a sense 90 times as frequent, two (a long form written out nearby) 8,000 times.
const CUE_WEIGHT: f64 = 4.5;

/// A short form (normalized) and its long forms with their frequencies, preferred first.
pub type ShortForm = (String, Vec<(String, u64)>);

/// Words too common in long forms to tell senses apart.
const STOP: &[&str] = &[
    "of", "the", "and", "with", "in", "a", "an", "to", "for", "or", "by", "on", "after",
    "patients", "patient",
];

/// The words of a long form that can tell its sense apart: runs of ASCII letters and digits of
/// the lower-cased text, three chars up, no stop words.
pub fn content_words(long: &str) -> Vec<String> {
    let lower = long.to_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|w| w.len() > 2 && !STOP.contains(w))
        .map(str::to_string)
        .collect()
}

/// Every short form's senses, in preference order; a sense is named by its index over all.
pub struct SenseTable {
    by_short: HashMap<String, Range<u32>>,
    options: Vec<SenseOption>,
    /// Normalized bytes either side of a mention whose words count.
    window: usize,
}

impl SenseTable {
    /// `senses`: (normalized short form, [(long form, frequency)]), the options of one short
    /// form in preference order. A short form given twice keeps the first.
    pub fn new(senses: Vec<ShortForm>, window: usize) -> Self {
        let mut by_short = HashMap::with_capacity(senses.len());
        let mut options = Vec::new();
        for (short, opts) in senses {
            let start = options.len() as u32;
            if by_short.contains_key(&short) || opts.is_empty() {
                continue;
            }
            let total: f64 = opts.iter().map(|(_, f)| (*f).max(1) as f64).sum();
            for (long, freq) in opts {
                let mut cues: Vec<u64> = content_words(&long)
                    .iter()
                    .map(|w| hash_bytes(w.as_bytes()))
                    .collect();
                cues.sort_unstable();
                cues.dedup();
                options.push(SenseOption {
                    cues,
                    learned: Vec::new(),
                    prior: ((freq.max(1) as f64) / total).ln(),
                });
            }
            by_short.insert(short, start..options.len() as u32);
        }
        SenseTable {
            by_short,
            options,
            window,
        }
    }

    pub fn len(&self) -> usize {
        self.options.len()
    }

    /// Give sense `index` the context words learned for it: (normalized word, weight).
    pub fn learn(&mut self, index: usize, words: &[(String, f64)]) {
        if let Some(o) = self.options.get_mut(index) {
            o.learned = words
                .iter()
                .map(|(w, x)| (hash_bytes(w.as_bytes()), *x))
                .collect();
            o.learned.sort_by_key(|&(h, _)| h);
            o.learned.dedup_by_key(|&mut (h, _)| h);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    /// The sense of `short` for a mention at normalized byte `at` of `norm`, whose tokens are
    /// `tokens`; `words` is scratch space. `None` when the short form is not in the table.
    pub fn choose(
        &self,
        short: &str,
        norm: &str,
        tokens: &[Token],
        at: usize,
        words: &mut Vec<u64>,
    ) -> Option<u32> {
        let range = self.by_short.get(short)?.clone();
        if range.len() == 1 {
            return Some(range.start);
        }
        let lo = at.saturating_sub(self.window);
        let hi = at.saturating_add(self.window).min(norm.len());
        let first = tokens.partition_point(|t| (t.start as usize) < lo);
        words.clear();
        words.extend(
            tokens[first..]
                .iter()
                .take_while(|t| t.end as usize <= hi)
                .map(|t| t.hash),
        );
        words.sort_unstable();
        words.dedup();
        let mut best = (range.start, f64::NEG_INFINITY);
        for i in range {
            let o = &self.options[i as usize];
            let shared = o
                .cues
                .iter()
                .filter(|c| words.binary_search(c).is_ok())
                .count();
            let learned: f64 = o
                .learned
                .iter()
                .filter(|(h, _)| words.binary_search(h).is_ok())
                .map(|&(_, w)| w)
                .sum();
            let score = o.prior + CUE_WEIGHT * shared as f64 + learned;
            if score > best.1 {
                best = (i, score);
            }
        }
        Some(best.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::tokenize;

    fn table() -> SenseTable {
        let opt = |long: &str, f| (long.to_string(), f);
        SenseTable::new(
            vec![
                (
                    "mi".into(),
                    vec![
                        opt("Myocardial Infarction", 100),
                        opt("insufficiency of the mitral valve", 10),
                    ],
                ),
                ("htn".into(), vec![opt("hypertension", 1)]),
            ],
            40,
        )
    }

    #[test]
    fn content_words_leave_out_short_and_stop_words() {
        assert_eq!(
            content_words("Insufficiency of the Mitral valve, in patients (type-2)"),
            ["insufficiency", "mitral", "valve", "type"]
        );
        assert!(content_words("Épée à la mode").iter().all(|w| w.is_ascii()));
    }

    fn choose(t: &SenseTable, short: &str, text: &str) -> Option<u32> {
        let mut toks = Vec::new();
        tokenize(text, &mut toks);
        let at = text.rfind(short).expect("short form in text");
        t.choose(short, text, &toks, at, &mut Vec::new())
    }

    #[test]
    fn context_then_frequency() {
        let t = table();
        assert_eq!(choose(&t, "mi", "troponin rose after the mi"), Some(0));
        assert_eq!(choose(&t, "mi", "mitral valve: mi, moderate"), Some(1));
        assert_eq!(choose(&t, "htn", "htn"), Some(2));
        assert_eq!(choose(&t, "cp", "cp"), None);
    }

    #[test]
    fn only_the_window_counts() {
        let t = table();
        let far = format!("mitral {} mi", "x ".repeat(40));
        assert_eq!(choose(&t, "mi", &far), Some(0));
    }
}
