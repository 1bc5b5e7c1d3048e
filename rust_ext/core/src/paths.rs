//! Terms as paths of tokens, for the matcher's walk from a text position: one hash-table probe
//! per token instead of one trie node per char.
//!
//! Why: in a trie of ~450k terms every char past the first few is a cache miss, so "chest pain"
//! cost ~8 misses; as a token path it costs 2 (and one more to learn nothing continues). A path's
//! key is a hash of its token hashes and the gaps between them (adjacent, one space, else the gap's
//! bytes), so a text path reaches the key of a term exactly when its tokens and gaps are the
//! term's, barring a collision (slots tell keys apart by their top 31 bits and their place in
//! the table), which the caller rules out by comparing the term with the text it found.

use std::io::{self, Write};

use bytemuck::{Pod, Zeroable};

use crate::lexicon::{prefetch, LexiconError};
use crate::mapped::{Array, Reader, Writer};
use crate::tokens::{hash_bytes, tokenize, Token};

const NO_TERM: u32 = (1 << 31) - 1;
const MORE: u64 = 1 << 31;
const START: u64 = 0x243F_6A88_85A3_08D3;

/// A path in 8 bytes: the high half of its key as a tag (the low bits chose the slot; the tag
/// is never 0, so 0 is an empty slot), the term whose path this is (31 bits, `NO_TERM` if none)
/// and a bit saying whether a longer term continues it. Half of a slot holding the whole key:
/// the full terminology's table then fits in L3, and the walk is bound by its cache misses.
/// Two paths of one tag in one probe chain share a slot, a collision like any other.
#[derive(Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(transparent)]
struct Slot(u64);

impl Slot {
    fn tag(key: u64) -> u64 {
        (key >> 32) | 1
    }

    fn holds(self, key: u64) -> bool {
        self.0 >> 32 == Slot::tag(key)
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn term(self) -> u32 {
        (self.0 & u64::from(NO_TERM)) as u32
    }

    fn more(self) -> bool {
        self.0 & MORE != 0
    }

    fn with_term(self, term: u32) -> Slot {
        Slot(self.0 & !u64::from(NO_TERM) | u64::from(term))
    }
}

pub struct TermPaths {
    slots: Array<Slot>,
    mask: usize,
}

/// The code of the gap between two tokens: adjacent, one space, or whatever else lies there.
#[inline]
fn gap(text: &[u8], prev: &Token, next: &Token) -> u64 {
    match next.start - prev.end {
        0 => 1,
        1 if text[prev.end as usize] == b' ' => 2,
        _ => hash_bytes(&text[prev.end as usize..next.start as usize]) | 4,
    }
}

/// The slot of `key` in a table being built: its own, or the empty one its probe reaches.
fn slot_mut(slots: &mut [Slot], key: u64) -> &mut Slot {
    let mask = slots.len() - 1;
    let mut i = key as usize & mask;
    while !slots[i].is_empty() && !slots[i].holds(key) {
        i = (i + 1) & mask;
    }
    &mut slots[i]
}

/// The key of a path walked from token `first` once it takes in token `j`, from `key`, the
/// key before it (`START` for `j == first`).
#[inline]
fn step(key: u64, text: &[u8], toks: &[Token], first: usize, j: usize) -> u64 {
    let gap = if j == first {
        0
    } else {
        gap(text, &toks[j - 1], &toks[j])
    };
    let k = (key.rotate_left(29) ^ gap).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ toks[j].hash;
    let k = k.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (k ^ (k >> 31)) | 1 // never EMPTY
}

impl TermPaths {
    pub fn new(terms: &[String]) -> Self {
        assert!(
            terms.len() < NO_TERM as usize,
            "too many terms for 31-bit term ids"
        );
        let mut toks = Vec::new();
        let mut keys: Vec<(u64, u32, bool)> = Vec::with_capacity(terms.len() * 2);
        for (t, term) in terms.iter().enumerate() {
            tokenize(term, &mut toks);
            let mut key = START;
            for i in 0..toks.len() {
                key = step(key, term.as_bytes(), &toks, 0, i);
                let last = i + 1 == toks.len();
                keys.push((key, if last { t as u32 } else { NO_TERM }, !last));
            }
        }
        // one entry a distinct path: shared prefixes ("chest" of "chest pain") merge
        keys.sort_unstable_by_key(|&(k, t, _)| (k, t));
        keys.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            kept.2 |= same && next.2;
            same
        });
        let size = (keys.len() * 3 / 2).next_power_of_two().max(16);
        let mut slots = vec![Slot::default(); size];
        for (key, term, more) in keys {
            let s = slot_mut(&mut slots, key);
            if s.is_empty() {
                *s = Slot(Slot::tag(key) << 32 | u64::from(NO_TERM));
            }
            // two terms on one slot (a collision) keep the first; the caller's check catches it
            if s.term() == NO_TERM {
                *s = s.with_term(term);
            }
            if more {
                s.0 |= MORE;
            }
        }
        TermPaths {
            mask: size - 1,
            slots: slots.into(),
        }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<Slot> {
        let mut i = key as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s.holds(key) {
                return Some(s);
            }
            if s.is_empty() {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The longest term whose path starts at token `i` of `text` (tokens `toks`), with the
    /// index of its last token, and the last token the walk reached (no term starting at `i`
    /// ends beyond it). Unchecked: a hash collision can name a term the text does not hold, so
    /// compare before use.
    pub fn longest(&self, text: &str, toks: &[Token], i: usize) -> (Option<(u32, usize)>, usize) {
        let b = text.as_bytes();
        // A path's keys depend on the text only, so the slots of the next few tokens are asked
        // for together: their cache misses overlap instead of queueing one after another.
        const AHEAD: usize = 4;
        let mut keys = [0u64; AHEAD];
        let mut key = START;
        let end = toks.len().min(i + AHEAD);
        for (j, k) in (i..end).zip(&mut keys) {
            key = step(key, b, toks, i, j);
            *k = key;
            prefetch(&self.slots[key as usize & self.mask]);
        }
        let (mut best, mut reached) = (None, i);
        for j in i..toks.len() {
            key = if j < end {
                keys[j - i]
            } else {
                step(key, b, toks, i, j)
            };
            let Some(s) = self.get(key) else { break };
            reached = j;
            if s.term() != NO_TERM {
                best = Some((s.term(), j));
            }
            if !s.more() {
                break;
            }
        }
        (best, reached)
    }

    /// The term whose whole path is `term`'s tokens (unchecked, as [`TermPaths::longest`]).
    pub fn exact(&self, term: &str) -> Option<u32> {
        let mut toks = Vec::new();
        tokenize(term, &mut toks);
        let (best, _) = self.longest(term, &toks, 0);
        best.filter(|&(_, j)| j + 1 == toks.len())
            .filter(|_| toks.first().is_some_and(|t| t.start == 0))
            .filter(|_| toks.last().is_some_and(|t| t.end as usize == term.len()))
            .map(|(t, _)| t)
    }

    /// The table as 8-byte little-endian slots (see [`Slot`]).
    pub(crate) fn write(&self, w: &mut Writer<impl Write>) -> io::Result<()> {
        w.array(&self.slots)
    }

    /// A table written by [`TermPaths::write`] for `n_terms` terms.
    pub(crate) fn read(r: &mut Reader, n_terms: usize) -> Result<Self, LexiconError> {
        let slots: Array<Slot> = r.array()?;
        let corrupt = || LexiconError("corrupt lexicon file (term paths)".into());
        let bad = |s: &Slot| {
            !s.is_empty()
                && (s.0 >> 32 & 1 == 0 || s.term() != NO_TERM && s.term() as usize >= n_terms)
        };
        if !slots.len().is_power_of_two()
            || slots.iter().any(bad)
            || slots.iter().all(|s| !s.is_empty())
        {
            return Err(corrupt());
        }
        Ok(TermPaths {
            mask: slots.len() - 1,
            slots,
        })
    }
}

#[cfg(test)]
impl TermPaths {
    /// Every path names the wrong term, as a hash collision would.
    pub(crate) fn scramble(&mut self, n_terms: u32) {
        let mut slots = self.slots.to_vec();
        for s in slots
            .iter_mut()
            .filter(|s| !s.is_empty() && s.term() != NO_TERM)
        {
            *s = s.with_term((s.term() + 1) % n_terms);
        }
        self.slots = slots.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_path_by_tokens_and_gaps() {
        let terms: Vec<String> = [
            "chest pain",
            "chest",
            "c-reactive protein",
            "糖尿病",
            "a  b",
        ]
        .map(String::from)
        .to_vec();
        let paths = TermPaths::new(&terms);
        let mut toks = Vec::new();
        let mut at = |text: &str, i: usize| -> Option<(String, String)> {
            tokenize(text, &mut toks);
            paths.longest(text, &toks, i).0.map(|(t, j)| {
                let span = &text[toks[i].start as usize..toks[j].end as usize];
                (terms[t as usize].clone(), span.to_string())
            })
        };
        let both = |s: &str| Some((s.to_string(), s.to_string()));
        assert_eq!(at("chest pain.", 0), both("chest pain"));
        assert_eq!(at("chest  pain", 0), both("chest"), "two spaces");
        assert_eq!(at("chest\npain", 0), both("chest"), "a line break");
        assert_eq!(at("chestpain", 0), None);
        assert_eq!(at("high c-reactive protein", 1), both("c-reactive protein"));
        assert_eq!(at("c - reactive protein", 0), None);
        assert_eq!(at("有糖尿病史", 1), both("糖尿病"));
        assert_eq!(at("a  b", 0), both("a  b"));
        assert_eq!(at("a b", 0), None);
        assert_eq!(paths.exact("chest pain"), Some(0));
        assert_eq!(paths.exact("chest"), Some(1));
        assert_eq!(paths.exact("chest pain."), None);
        assert_eq!(paths.exact(" chest"), None);
        assert_eq!(paths.exact("c-reactive"), None);
        const MAGIC: &[u8; 8] = b"TESTPATH";
        let mut buf = Vec::new();
        paths
            .write(&mut Writer::new(&mut buf, MAGIC).unwrap())
            .unwrap();
        let read = |b: &[u8], n| TermPaths::read(&mut Reader::from_bytes(b, MAGIC, "test")?, n);
        let back = read(&buf, terms.len()).unwrap();
        assert_eq!(back.exact("糖尿病"), Some(3));
        assert!(read(&buf, 2).is_err(), "a term out of range");
        assert!(read(&buf[..100], 5).is_err(), "truncated");
    }
}
