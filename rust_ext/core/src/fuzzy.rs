//! Fuzzy mapping for mentions exact matching misses.
//!
//! Every term gets a *key*: its tokens with plural endings and a few function words removed,
//! sorted (so word order, plurals, hyphens and punctuation stop mattering; CJK characters are
//! tokens of their own, 型/性 are unified). Equal keys are an exact fuzzy hit. Otherwise
//! candidates come from a character-trigram inverted index over the keys, simstring-style: only
//! the rarest trigrams of the query are merged, the rest verified by binary search, and the
//! survivors are scored by trigram cosine blended with a normalized edit similarity.

use std::collections::HashMap;

use crate::tokens::is_cjk;

const STOP: &[&str] = &[
    "of", "the", "and", "with", "in", "a", "an", "to", "for", "or", "by", "on",
];

fn singular(tok: &str) -> &str {
    let n = tok.len();
    if n > 4 && tok.ends_with("ies") {
        return &tok[..n - 3]; // "ies" -> stem; "y" forms are cut the same way below
    }
    if n > 4 && (tok.ends_with("ses") || tok.ends_with("xes") || tok.ends_with("ches")) {
        return &tok[..n - 2];
    }
    if n > 3
        && tok.ends_with('s')
        && !tok.ends_with("ss")
        && !tok.ends_with("us")
        && !tok.ends_with("is")
    {
        return &tok[..n - 1];
    }
    if n > 4 && tok.ends_with('y') {
        return &tok[..n - 1];
    }
    tok
}

/// The order- and inflection-insensitive key of a normalized term.
pub fn key(norm: &str) -> String {
    let mut toks: Vec<String> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, toks: &mut Vec<String>| {
        if !cur.is_empty() {
            if !STOP.contains(&cur.as_str()) {
                toks.push(singular(cur).to_string());
            }
            cur.clear();
        }
    };
    for c in norm.chars() {
        if is_cjk(c) {
            flush(&mut cur, &mut toks);
            toks.push(if c == '性' { '型' } else { c }.to_string());
        } else if c.is_alphanumeric() {
            cur.push(c);
        } else {
            flush(&mut cur, &mut toks);
        }
    }
    flush(&mut cur, &mut toks);
    // CJK keeps its order (characters carry it); Latin words are sorted.
    if !norm.chars().any(is_cjk) {
        toks.sort_unstable();
        toks.dedup();
        return toks.join(" ");
    }
    toks.concat()
}

fn trigrams(key: &str) -> Vec<u64> {
    let chars: Vec<char> = std::iter::once('\u{2}')
        .chain(key.chars())
        .chain(std::iter::once('\u{3}'))
        .collect();
    let mut out: Vec<u64> = chars
        .windows(3.min(chars.len()))
        .map(|w| {
            w.iter()
                .fold(0u64, |h, &c| h.wrapping_mul(0x100000001b3) ^ c as u64)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// 1 - optimal-string-alignment distance / longer length (a transposition costs one edit,
/// so "hypertensoin" is one edit from "hypertension").
fn edit_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for j in 0..=b.len() {
        d[j] = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost)
                .min(d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    1.0 - d[a.len() * w + b.len()] as f64 / a.len().max(b.len()) as f64
}

thread_local! {
    /// Per-thread overlap counters, one per key, zeroed again after each query.
    static COUNTS: std::cell::RefCell<Vec<u16>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub struct FuzzyIndex {
    keys: Vec<String>,
    sizes: Vec<u16>,
    /// term ids per key (several terms can share one key)
    key_terms: Vec<Vec<u32>>,
    by_key: HashMap<String, u32>,
    postings: HashMap<u64, Vec<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FuzzyHit {
    pub term: u32,
    pub score: f64,
}

impl FuzzyIndex {
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys: Vec<String> = Vec::new();
        let mut key_terms: Vec<Vec<u32>> = Vec::new();
        let mut by_key: HashMap<String, u32> = HashMap::new();
        for (t, term) in terms.into_iter().enumerate() {
            let k = key(term);
            if k.is_empty() {
                continue;
            }
            let id = *by_key.entry(k.clone()).or_insert_with(|| {
                keys.push(k);
                key_terms.push(Vec::new());
                (keys.len() - 1) as u32
            });
            key_terms[id as usize].push(t as u32);
        }
        let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut sizes = Vec::with_capacity(keys.len());
        for (id, k) in keys.iter().enumerate() {
            let g = trigrams(k);
            sizes.push(g.len().min(u16::MAX as usize) as u16);
            for h in g {
                postings.entry(h).or_default().push(id as u32);
            }
        }
        FuzzyIndex {
            keys,
            sizes,
            key_terms,
            by_key,
            postings,
        }
    }

    /// Up to `k` terms similar to `norm` (a normalized mention), best first, score in [0, 1].
    pub fn search(&self, norm: &str, k: usize, threshold: f64) -> Vec<FuzzyHit> {
        let qk = key(norm);
        if qk.is_empty() || k == 0 {
            return Vec::new();
        }
        let mut out: Vec<FuzzyHit> = Vec::new();
        if let Some(&id) = self.by_key.get(&qk) {
            out.extend(self.key_terms[id as usize].iter().map(|&t| FuzzyHit {
                term: t,
                score: 1.0,
            }));
        }
        if out.len() >= k {
            out.truncate(k);
            return out;
        }
        let q = trigrams(&qk);
        let mut lists: Vec<&[u32]> = q
            .iter()
            .map(|h| self.postings.get(h).map_or(&[][..], |v| v.as_slice()))
            .collect();
        lists.sort_by_key(|l| l.len());
        // A key of m trigrams sharing c with the query's n has cosine c / sqrt(nm) >= t only if
        // m is within [t²n, n/t²]. Candidates must share tau = ceil(t·n) trigrams (exact for keys of
        // the query's size, a little stricter for longer ones), so merging the rarest
        // n - tau + 1 lists finds them all (the pigeonhole of simstring's CPMerge); the other
        // lists are only probed by binary search.
        let n = q.len();
        let tau = ((threshold * n as f64).ceil() as usize).clamp(1, n);
        let (lo, hi) = (
            threshold * threshold * n as f64,
            n as f64 / (threshold * threshold),
        );
        let scored = COUNTS.with(|cell| {
            let mut counts = cell.borrow_mut();
            if counts.len() < self.keys.len() {
                counts.resize(self.keys.len(), 0);
            }
            let mut touched: Vec<u32> = Vec::new();
            for l in &lists[..n - tau + 1] {
                for &id in *l {
                    let size = self.sizes[id as usize] as f64;
                    if size < lo || size > hi {
                        continue;
                    }
                    let c = &mut counts[id as usize];
                    if *c == 0 {
                        touched.push(id);
                    }
                    *c += 1;
                }
            }
            let mut scored: Vec<(f64, u32)> = Vec::new();
            let merged = n - tau + 1;
            for id in touched {
                let mut c = std::mem::take(&mut counts[id as usize]) as usize;
                for (j, l) in lists[merged..].iter().enumerate() {
                    if c + (n - merged - j) < tau {
                        break; // cannot reach tau any more
                    }
                    if l.binary_search(&id).is_ok() {
                        c += 1;
                    }
                }
                if c < tau {
                    continue;
                }
                let cos = c as f64 / ((n * self.sizes[id as usize] as usize) as f64).sqrt();
                if cos >= threshold {
                    scored.push((cos, id));
                }
            }
            scored
        });
        let mut scored = scored;
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k.max(20));
        let mut best: Vec<(f64, u32)> = scored
            .into_iter()
            .map(|(cos, id)| {
                (
                    0.5 * cos + 0.5 * edit_similarity(&qk, &self.keys[id as usize]),
                    id,
                )
            })
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (score, id) in best {
            for &t in &self.key_terms[id as usize] {
                if !out.iter().any(|h| h.term == t) {
                    out.push(FuzzyHit {
                        term: t,
                        score: score.min(0.99),
                    });
                }
            }
            if out.len() >= k {
                break;
            }
        }
        out.truncate(k);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_order_plurals_and_punctuation() {
        assert_eq!(
            key("diabetes mellitus, type 2"),
            key("type 2 diabetes mellitus")
        );
        assert_eq!(key("breast tumors"), key("tumor of the breast"));
        assert_eq!(
            key("non-small cell lung cancer"),
            key("non small cell lung cancers")
        );
        assert_eq!(key("2型糖尿病"), key("2性糖尿病"));
        assert_ne!(key("2型糖尿病"), key("糖尿病2型"), "CJK keeps its order");
    }

    #[test]
    fn finds_near_misses() {
        let terms = [
            "type 2 diabetes mellitus",
            "hypertension",
            "breast neoplasms",
            "asthma",
            "diabetes insipidus",
        ];
        let idx = FuzzyIndex::new(terms.iter().copied());
        let top = |q: &str| {
            idx.search(q, 1, 0.3)
                .first()
                .map(|h| terms[h.term as usize])
        };
        assert_eq!(
            top("mellitus diabetes type 2"),
            Some("type 2 diabetes mellitus")
        );
        assert_eq!(top("hypertensoin"), Some("hypertension"));
        assert!((edit_similarity("hypertensoin", "hypertension") - 11.0 / 12.0).abs() < 1e-9);
        assert_eq!(top("breast neoplasm"), Some("breast neoplasms"));
        assert_eq!(idx.search("hypertension", 1, 0.3)[0].score, 1.0);
        assert!(idx.search("zzzz qqqq", 3, 0.5).is_empty());
        assert!(idx.search("", 3, 0.5).is_empty());
    }
}
