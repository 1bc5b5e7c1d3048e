//! Fuzzy mapping for mentions exact matching misses.
//!
//! Every term gets a *key*: its tokens with plural endings and a few function words removed,
//! sorted (so word order, plurals, hyphens and punctuation stop mattering; CJK characters are
//! tokens of their own, 型/性 are unified). Equal keys are an exact fuzzy hit. Otherwise
//! candidates come from a character-trigram inverted index over the keys, simstring-style: only
//! the rarest trigrams of the query are merged, the rest verified by binary search, and the
//! survivors are scored by trigram cosine blended with a normalized edit similarity.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use crate::lexicon::{span, Lexicon, LexiconError, StrTable};
use crate::mapped::{Array, Reader, Writer};
use crate::tokens::{hash_bytes, is_cjk};

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

/// The words of a Latin normalized text (runs of letters and digits).
fn latin_words(norm: &str) -> impl Iterator<Item = &str> {
    norm.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// [`key`] of a Latin text given as its words.
fn key_of_words<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut toks: Vec<&str> = words
        .into_iter()
        .filter(|w| !w.is_empty() && !STOP.contains(w))
        .map(singular)
        .collect();
    toks.sort_unstable();
    toks.dedup();
    toks.join(" ")
}

fn trigrams(key: &str) -> Vec<u32> {
    let chars: Vec<char> = std::iter::once('\u{2}')
        .chain(key.chars())
        .chain(std::iter::once('\u{3}'))
        .collect();
    let mut out: Vec<u32> = chars
        .windows(3.min(chars.len()))
        .map(|w| {
            let h = w
                .iter()
                .fold(0u64, |h, &c| h.wrapping_mul(0x100000001b3) ^ c as u64);
            (h ^ (h >> 32)) as u32
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// 1 - optimal-string-alignment distance / longer length (a transposition costs one edit,
/// so "hypertensoin" is one edit from "hypertension").
fn edit_similarity(a: &str, b: &str) -> f64 {
    let longer = a.chars().count().max(b.chars().count());
    if longer == 0 {
        return 1.0;
    }
    1.0 - edit_distance(a, b) as f64 / longer as f64
}

/// Optimal-string-alignment distance in chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
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
    d[a.len() * w + b.len()]
}

/// A query's trigrams as a small open-addressing set: a candidate key's overlap with the query
/// is then one probe per trigram of the key, each independent of the others, where merging the
/// two sorted lists was a chain of dependent, mispredicted steps (fuzzy searches spent ~85% of
/// their time there: every candidate key is counted).
struct GramSet {
    slots: Vec<u32>,
    shift: u32,
    /// whether the query holds the value that marks an empty slot
    has_empty: bool,
}

const EMPTY_GRAM: u32 = u32::MAX;

impl GramSet {
    fn new(q: &[u32]) -> Self {
        let size = (q.len() * 4).next_power_of_two().max(16); // at most a quarter full
        let mut set = GramSet {
            slots: vec![EMPTY_GRAM; size],
            shift: 32 - size.trailing_zeros(),
            has_empty: false,
        };
        for &g in q {
            if g == EMPTY_GRAM {
                set.has_empty = true;
                continue;
            }
            let mut i = set.home(g);
            while set.slots[i] != EMPTY_GRAM && set.slots[i] != g {
                i = (i + 1) & (size - 1);
            }
            set.slots[i] = g;
        }
        set
    }

    #[inline]
    fn home(&self, g: u32) -> usize {
        (g.wrapping_mul(0x9E37_79B1) >> self.shift) as usize
    }

    /// Its own probe loop, answering from inside it: written as "find the slot, then compare"
    /// (the insertion's loop) it made fuzzy searches ~9% slower.
    #[inline]
    fn contains(&self, g: u32) -> bool {
        if g == EMPTY_GRAM {
            return self.has_empty;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(g);
        loop {
            match self.slots[i] {
                EMPTY_GRAM => return false,
                s if s == g => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// How many of `grams` (distinct values) the query holds.
    fn overlap(&self, grams: &[u32]) -> usize {
        grams.iter().filter(|&&g| self.contains(g)).count()
    }
}

thread_local! {
    /// Per-thread overlap counters, one per key, zeroed again after each query.
    static COUNTS: std::cell::RefCell<Vec<u16>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The id of each (distinct) string of a [`StrTable`]: an open-addressing table of ids keyed by
/// a fast hash of the bytes, saved with the index (a `HashMap<String, u32>` cloned every string
/// and took a third of the load).
struct StrIds {
    slots: Array<u32>,
    mask: usize,
}

const NO_ID: u32 = u32::MAX;

impl StrIds {
    fn new(strs: &StrTable) -> Self {
        let size = (strs.len() * 2).next_power_of_two().max(16);
        let (mut slots, mask) = (vec![NO_ID; size], size - 1);
        for i in 0..strs.len() {
            let mut at = hash_bytes(strs.get(i).as_bytes()) as usize & mask;
            while slots[at] != NO_ID {
                at = (at + 1) & mask;
            }
            slots[at] = i as u32;
        }
        StrIds {
            slots: slots.into(),
            mask,
        }
    }

    /// The table saved for `strs`: a power-of-two size, each slot empty or one of its ids, and
    /// at least one empty (a probe must stop). A wrong id only costs a failed lookup.
    fn read(r: &mut Reader, strs: &StrTable) -> Result<Self, LexiconError> {
        let slots: Array<u32> = r.array()?;
        let n = strs.len() as u32;
        if !slots.len().is_power_of_two()
            || slots.iter().any(|&s| s != NO_ID && s >= n)
            || !slots.contains(&NO_ID)
        {
            return Err(corrupt());
        }
        Ok(StrIds {
            mask: slots.len() - 1,
            slots,
        })
    }

    fn get(&self, strs: &StrTable, s: &str) -> Option<u32> {
        let mut at = hash_bytes(s.as_bytes()) as usize & self.mask;
        loop {
            match self.slots[at] {
                NO_ID => return None,
                id if strs.get(id as usize) == s => return Some(id),
                _ => at = (at + 1) & self.mask,
            }
        }
    }
}

/// The slot of each key of an ascending list (a key's slot is its index), by the bucket of its
/// top 16 bits and a binary search inside it: built from the list in one pass, where a hash
/// map took a million inserts at every load.
struct SortedKeys {
    keys: Array<u32>,
    /// keys[starts[b]..starts[b + 1]] have top bits b
    starts: Vec<u32>,
}

impl SortedKeys {
    /// None unless `keys` strictly ascend.
    fn new(keys: Array<u32>) -> Option<Self> {
        if !keys.windows(2).all(|p| p[0] < p[1]) {
            return None;
        }
        let mut starts = vec![0u32; (1 << 16) + 1];
        for &k in keys.iter() {
            starts[(k >> 16) as usize + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        Some(SortedKeys { keys, starts })
    }

    fn get(&self, k: u32) -> Option<u32> {
        let b = (k >> 16) as usize;
        let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        self.keys[lo..hi]
            .binary_search(&k)
            .ok()
            .map(|i| (lo + i) as u32)
    }
}

/// Lists of u32 in one flat vector (CSR): `items[ends[i-1]..ends[i]]`.
struct Lists {
    ends: Array<u32>,
    items: Array<u32>,
}

impl Lists {
    fn new(ends: Vec<u32>, items: Vec<u32>) -> Self {
        Lists {
            ends: ends.into(),
            items: items.into(),
        }
    }

    fn get(&self, i: usize) -> &[u32] {
        &self.items[span(&self.ends, i)]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn write(&self, w: &mut Writer<impl Write>) -> io::Result<()> {
        w.array(&self.ends)?;
        w.array(&self.items)
    }

    /// Lists whose ends ascend and stay within the items, and whose items are all `< bound`
    /// when one is given.
    fn read(r: &mut Reader, bound: Option<u32>) -> Result<Self, LexiconError> {
        let lists = Lists {
            ends: r.array()?,
            items: r.array()?,
        };
        let ordered = lists.ends.windows(2).all(|p| p[0] <= p[1])
            && lists
                .ends
                .last()
                .map_or(lists.items.is_empty(), |&e| e as usize == lists.items.len())
            && bound.is_none_or(|b| lists.items.iter().all(|&x| x < b));
        if !ordered {
            return Err(corrupt());
        }
        Ok(lists)
    }
}

fn corrupt() -> LexiconError {
    LexiconError("corrupt fuzzy index file".into())
}

pub struct FuzzyIndex {
    keys: StrTable,
    /// Sorted trigram hashes of each key: candidates are verified by merging two short sorted
    /// lists (one cache miss) instead of binary searches through long postings.
    grams: Lists,
    /// term ids per key (several terms can share one key)
    key_terms: Lists,
    by_key: StrIds,
    /// key ids per trigram, ascending, as a slot in `postings`
    gram_slot: SortedKeys,
    postings: Lists,
    /// Words of the Latin terms, and for each word of 4+ chars its one-char deletions (SymSpell):
    /// a misspelled query word finds the vocabulary words one edit away in a few lookups.
    words: StrTable,
    /// How many terms use each word: among equally close repairs the commoner word wins
    /// (SymSpell's rule; "hypertensoin" is "hypertension" before it is "hypertensin").
    word_df: Array<u32>,
    word_ids: StrIds,
    delete_slot: SortedKeys,
    deletes: Lists,
}

/// Bump the version whenever `key`, the trigrams or the deletions change: an index saved by an
/// older build must not be read.
const FUZZY_MAGIC: &[u8; 8] = b"TNFUZ03\n";

const MIN_CORRECTED_WORD: usize = 4;
/// Longer queries get the exact key check only: edit distances are quadratic, and a mention
/// of more than a few hundred chars is a passage, not a term.
pub const MAX_FUZZY_CHARS: usize = 256;

fn hash32(s: &str) -> u32 {
    let h = s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    (h ^ (h >> 32)) as u32
}

/// `w` with each one of its chars left out in turn.
fn deletions(w: &str) -> impl Iterator<Item = String> + '_ {
    w.char_indices()
        .map(move |(i, c)| format!("{}{}", &w[..i], &w[i + c.len_utf8()..]))
}

/// Group `(key, value)` pairs: the distinct keys, ascending, and the CSR lists of their values
/// (list `i` belongs to `keys[i]`).
fn group_pairs(mut pairs: Vec<(u32, u32)>) -> (Vec<u32>, Lists) {
    pairs.sort_unstable();
    pairs.dedup();
    let (mut keys, mut ends, mut items) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in pairs.chunk_by(|a, b| a.0 == b.0) {
        keys.push(chunk[0].0);
        items.extend(chunk.iter().map(|p| p.1));
        ends.push(items.len() as u32);
    }
    (keys, Lists::new(ends, items))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FuzzyHit {
    pub term: u32,
    pub score: f64,
}

impl FuzzyIndex {
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys: Vec<String> = Vec::new();
        let mut term_keys: Vec<(u32, u32)> = Vec::new(); // (key id, term id)
        let mut by_key: HashMap<String, u32> = HashMap::new();
        let mut words: Vec<String> = Vec::new();
        let mut word_df: Vec<u32> = Vec::new();
        let mut word_ids: HashMap<String, u32> = HashMap::new();
        for (t, term) in terms.into_iter().enumerate() {
            if !term.chars().any(is_cjk) {
                for w in latin_words(term) {
                    let id = *word_ids.entry(w.to_string()).or_insert_with(|| {
                        words.push(w.to_string());
                        word_df.push(0);
                        (words.len() - 1) as u32
                    });
                    word_df[id as usize] += 1;
                }
            }
            let k = key(term);
            if k.is_empty() {
                continue;
            }
            let id = *by_key.entry(k.clone()).or_insert_with(|| {
                keys.push(k);
                (keys.len() - 1) as u32
            });
            term_keys.push((id, t as u32));
        }
        let (_, key_terms) = group_pairs(term_keys); // every key has a term: list i is key i's
        let (mut gram_ends, mut gram_items) = (Vec::new(), Vec::new());
        let mut pairs: Vec<(u32, u32)> = Vec::new(); // (trigram, key id)
        for (id, k) in keys.iter().enumerate() {
            let g = trigrams(k);
            pairs.extend(g.iter().map(|&h| (h, id as u32)));
            gram_items.extend(g);
            gram_ends.push(gram_items.len() as u32);
        }
        let (gram_keys, postings) = group_pairs(pairs);
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (id, w) in words.iter().enumerate() {
            if w.chars().count() >= MIN_CORRECTED_WORD {
                pairs.extend(deletions(w).map(|d| (hash32(&d), id as u32)));
            }
        }
        let (delete_keys, deletes) = group_pairs(pairs);
        let (keys, words) = (
            StrTable::from_strings(&keys),
            StrTable::from_strings(&words),
        );
        let sorted = |k: Vec<u32>| SortedKeys::new(k.into()).expect("group_pairs sorts its keys");
        FuzzyIndex {
            by_key: StrIds::new(&keys),
            keys,
            grams: Lists::new(gram_ends, gram_items),
            key_terms,
            gram_slot: sorted(gram_keys),
            postings,
            word_ids: StrIds::new(&words),
            words,
            word_df: word_df.into(),
            delete_slot: sorted(delete_keys),
            deletes,
        }
    }

    /// Serialize for the lexicon of fingerprint `lexicon` (the index must have been built from
    /// its terms), aligned so [`FuzzyIndex::open`] can map it in place.
    pub fn write_to(&self, w: &mut impl Write, lexicon: u64) -> io::Result<()> {
        let mut w = Writer::new(w, FUZZY_MAGIC)?;
        w.u64(lexicon)?;
        self.keys.write(&mut w)?;
        self.grams.write(&mut w)?;
        self.key_terms.write(&mut w)?;
        w.array(&self.by_key.slots)?;
        w.array(&self.gram_slot.keys)?;
        self.postings.write(&mut w)?;
        self.words.write(&mut w)?;
        w.array(&self.word_df)?;
        w.array(&self.word_ids.slots)?;
        w.array(&self.delete_slot.keys)?;
        self.deletes.write(&mut w)
    }

    /// The index saved at `path`, mapped in place, refused unless it was written for the
    /// lexicon of fingerprint `lexicon` with `terms` terms (another lexicon's index would map
    /// to the wrong terms).
    pub fn open(path: &Path, lexicon: u64, terms: usize) -> Result<Self, LexiconError> {
        Self::read(
            Reader::open(path, FUZZY_MAGIC, "fuzzy index")?,
            lexicon,
            terms,
        )
    }

    /// The index of `lexicon`: read from `cache` where a file there was written for it,
    /// otherwise built and then saved there (best effort: a read-only folder builds it again
    /// next time). Building takes seconds for a full terminology.
    pub fn cached(lexicon: &Lexicon, cache: Option<&Path>) -> Self {
        let (fp, n) = (lexicon.fingerprint(), lexicon.len());
        if let Some(idx) = cache.and_then(|p| Self::open(p, fp, n).ok()) {
            return idx;
        }
        let idx = Self::new(lexicon.terms().iter());
        if let Some(path) = cache {
            let _ = crate::files::write_atomic(path, |w| idx.write_to(w, fp));
        }
        idx
    }

    /// [`FuzzyIndex::open`] from bytes in memory.
    pub fn from_bytes(b: &[u8], lexicon: u64, terms: usize) -> Result<Self, LexiconError> {
        Self::read(
            Reader::from_bytes(b, FUZZY_MAGIC, "fuzzy index")?,
            lexicon,
            terms,
        )
    }

    fn read(mut r: Reader, lexicon: u64, terms: usize) -> Result<Self, LexiconError> {
        if r.u64()? != lexicon {
            return Err(LexiconError(
                "the fuzzy index file was built from another lexicon".into(),
            ));
        }
        let keys = StrTable::read(&mut r)?;
        let n_keys = keys.len() as u32;
        let grams = Lists::read(&mut r, None)?;
        let key_terms = Lists::read(&mut r, Some(terms as u32))?;
        let by_key = StrIds::read(&mut r, &keys)?;
        let gram_keys = r.array()?;
        let postings = Lists::read(&mut r, Some(n_keys))?;
        let words = StrTable::read(&mut r)?;
        let word_df: Array<u32> = r.array()?;
        let word_ids = StrIds::read(&mut r, &words)?;
        let delete_keys = r.array()?;
        let deletes = Lists::read(&mut r, Some(words.len() as u32))?;
        if grams.len() != keys.len()
            || key_terms.len() != keys.len()
            || gram_keys.len() != postings.len()
            || word_df.len() != words.len()
            || delete_keys.len() != deletes.len()
        {
            return Err(corrupt());
        }
        let sorted = |k| SortedKeys::new(k).ok_or_else(corrupt);
        Ok(FuzzyIndex {
            by_key,
            key_terms,
            keys,
            grams,
            gram_slot: sorted(gram_keys)?,
            postings,
            word_ids,
            words,
            word_df,
            delete_slot: sorted(delete_keys)?,
            deletes,
        })
    }

    fn key_id(&self, key: &str) -> Option<u32> {
        self.by_key.get(&self.keys, key)
    }

    fn word_id(&self, word: &str) -> Option<u32> {
        self.word_ids.get(&self.words, word)
    }

    fn size(&self, id: u32) -> usize {
        self.grams.get(id as usize).len()
    }

    /// Up to `k` terms similar to `norm` (a normalized mention), best first, score in [0, 1].
    pub fn search(&self, norm: &str, k: usize, threshold: f64) -> Vec<FuzzyHit> {
        let qk = key(norm);
        if qk.is_empty() || k == 0 {
            return Vec::new();
        }
        let mut out: Vec<FuzzyHit> = Vec::new();
        if let Some(id) = self.key_id(&qk) {
            out.extend(self.key_terms.get(id as usize).iter().map(|&t| FuzzyHit {
                term: t,
                score: 1.0,
            }));
        }
        if out.len() >= k || qk.chars().nth(MAX_FUZZY_CHARS).is_some() {
            out.truncate(k);
            return out;
        }
        let q = trigrams(&qk);
        let need = k - out.len();
        // Misspelled words first: keys one edit per word away, scored like any candidate. A key
        // one edit from the query is as close as a non-exact key gets, and the corrections list
        // every such key but those differing in a word of under four chars: when they hold
        // enough terms, they are the answer and the trigram search is skipped.
        let corrected = self.corrected(norm, &qk, &q);
        let one_edit: usize = corrected
            .iter()
            .filter(|c| c.2 == 1)
            .map(|c| self.key_terms.get(c.1 as usize).len())
            .sum();
        let mut best: Vec<(f64, u32)> = corrected.iter().map(|c| (c.0, c.1)).collect();
        if one_edit < need {
            best = self.tiered(&qk, &q, k, threshold, need, best);
        }
        for (score, id) in best {
            for &t in self.key_terms.get(id as usize) {
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

    /// The trigram search, strict tier first, merged with `found` (best first, no repeats).
    fn tiered(
        &self,
        qk: &str,
        q: &[u32],
        k: usize,
        threshold: f64,
        need: usize,
        found: Vec<(f64, u32)>,
    ) -> Vec<(f64, u32)> {
        // Tiers of cosine threshold, strict first: a strict pass merges few postings lists and
        // usually settles the answer (a one-typo mention of a long term keeps a cosine near 0.9).
        // Keys below cosine t blend to at most 0.5·t + 0.5, so hits scoring at least that are
        // final; otherwise the next, looser tier runs (see below for when it is skipped).
        let tiers: Vec<f64> = [0.9, 0.75]
            .into_iter()
            .filter(|&t| t > threshold)
            .chain([threshold])
            .collect();
        let mut best = Vec::new();
        for (i, &t) in tiers.iter().enumerate() {
            best = self.ranked(qk, q, t, k);
            let extra: Vec<(f64, u32)> = found
                .iter()
                .filter(|f| !best.iter().any(|b| b.1 == f.1))
                .copied()
                .collect();
            best.extend(extra);
            best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let bound = 0.5 * t + 0.5;
            let sure: usize = best
                .iter()
                .take_while(|b| b.0 >= bound)
                .map(|b| self.key_terms.get(b.1 as usize).len())
                .sum();
            let found: usize = best
                .iter()
                .map(|b| self.key_terms.get(b.1 as usize).len())
                .sum();
            // Done when the top `need` are certain, or when the best is certain and enough
            // others came with it: looser tiers could only reorder the runners-up, at the cost
            // of merging the longest postings lists.
            if sure >= need || (sure > 0 && found >= need) || i + 1 == tiers.len() {
                break;
            }
        }
        best
    }

    /// Vocabulary words one edit (OSA) from `w`, by shared one-char deletions.
    fn word_neighbours(&self, w: &str) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let mut probe = |variant: &str| {
            if let Some(slot) = self.delete_slot.get(hash32(variant)) {
                for &id in self.deletes.get(slot as usize) {
                    let cand = self.words.get(id as usize);
                    if !out.contains(&id) && edit_distance(w, cand) <= 1 {
                        out.push(id);
                    }
                }
            }
            if let Some(id) = self.word_id(variant) {
                // an insertion typo: the deletion is itself a word
                if variant.len() >= MIN_CORRECTED_WORD && !out.contains(&id) {
                    out.push(id);
                }
            }
        };
        probe(w);
        for d in deletions(w) {
            probe(&d);
        }
        out
    }

    /// Known words made by swapping two adjacent chars of `w`.
    fn swapped_words(&self, w: &str) -> Vec<u32> {
        let chars: Vec<char> = w.chars().collect();
        (1..chars.len())
            .filter_map(|i| {
                let mut c = chars.clone();
                c.swap(i - 1, i);
                self.word_id(&c.iter().collect::<String>())
            })
            .collect()
    }

    /// Keys reached by one-edit repairs of the unknown words of a Latin mention: a vocabulary
    /// word one edit away, or a char moved across the space next to it ("posterio rtibial").
    /// At most 32 combinations; each with its score (as [`FuzzyIndex::ranked`] gives) and the
    /// number of edits made, fewest edits and commonest words first.
    fn corrected(&self, norm: &str, qk: &str, q: &[u32]) -> Vec<(f64, u32, usize)> {
        if norm.chars().any(is_cjk) {
            return Vec::new();
        }
        let words: Vec<&str> = latin_words(norm).collect();
        let known = |w: &str| self.word_id(w).is_some();
        // (words, edits, prior: the smallest use count among the words put in)
        let mut variants: Vec<(Vec<String>, usize, u32)> = Vec::new();
        let df = |w: &str| self.word_id(w).map_or(0, |id| self.word_df[id as usize]);
        // word substitutions, combined across words
        let mut subs: Vec<(Vec<&str>, usize, u32)> = vec![(Vec::new(), 0, u32::MAX)];
        for &w in &words {
            let mut options: Vec<&str> = vec![w];
            let n = if w.chars().count() < MIN_CORRECTED_WORD {
                // too short for edits, not for swaps ("ofr", "fo", "ram"), known or not
                self.swapped_words(w)
            } else if !known(w) {
                self.word_neighbours(w)
            } else {
                Vec::new()
            };
            options.extend(n.iter().map(|&id| self.words.get(id as usize)));
            subs = subs
                .into_iter()
                .flat_map(|(v, edits, prior)| {
                    options.iter().enumerate().map(move |(i, o)| {
                        let mut v = v.clone();
                        v.push(o);
                        let prior = if i > 0 { prior.min(df(o)) } else { prior };
                        (v, edits + usize::from(i > 0), prior)
                    })
                })
                .take(32)
                .collect();
        }
        variants.extend(
            subs.into_iter()
                .filter(|s| s.1 > 0)
                .map(|(v, e, p)| (v.into_iter().map(String::from).collect(), e, p)),
        );
        // a char moved across a space or comma, next to an unknown or one-letter word
        for i in 0..words.len().saturating_sub(1) {
            let (a, b) = (words[i], words[i + 1]);
            let suspect = |w: &str| !known(w) || w.chars().count() == 1; // "cancer,s"
            if !suspect(a) && !suspect(b) {
                continue;
            }
            let mut shift = |a2: String, b2: String| {
                let prior = df(&a2).min(df(&b2));
                let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                (v[i], v[i + 1]) = (a2, b2);
                variants.push((v, 1, prior));
            };
            if let Some(c) = a.chars().next_back() {
                shift(a[..a.len() - c.len_utf8()].to_string(), format!("{c}{b}"));
            }
            if let Some(c) = b.chars().next() {
                shift(format!("{a}{c}"), b[c.len_utf8()..].to_string());
            }
        }
        let query = GramSet::new(q);
        let mut found: Vec<(f64, u32, usize, u32)> = Vec::new();
        for (v, edits, prior) in variants {
            let vk = key_of_words(v.iter().map(String::as_str));
            if let Some(id) = self.key_id(&vk) {
                if let Some(o) = found.iter_mut().find(|o| o.1 == id) {
                    if (edits, std::cmp::Reverse(prior)) < (o.2, std::cmp::Reverse(o.3)) {
                        (o.2, o.3) = (edits, prior);
                    }
                    continue;
                }
                let g = self.grams.get(id as usize);
                let cos = query.overlap(g) as f64 / ((q.len() * g.len()) as f64).sqrt();
                let score = 0.5 * cos + 0.5 * edit_similarity(qk, self.keys.get(id as usize));
                found.push((score, id, edits, prior));
            }
        }
        // fewest edits, then the commonest words, then the score
        found.sort_by(|a, b| {
            (a.2, std::cmp::Reverse(a.3))
                .cmp(&(b.2, std::cmp::Reverse(b.3)))
                .then(b.0.total_cmp(&a.0))
                .then(a.1.cmp(&b.1))
        });
        found.into_iter().map(|(s, id, e, _)| (s, id, e)).collect()
    }

    /// Keys with trigram cosine at least `threshold` to the query key `qk` (trigrams `q`),
    /// ranked by cosine blended with edit similarity, best first.
    fn ranked(&self, qk: &str, q: &[u32], threshold: f64, k: usize) -> Vec<(f64, u32)> {
        let mut lists: Vec<&[u32]> = q
            .iter()
            .map(|h| {
                self.gram_slot
                    .get(*h)
                    .map_or(&[][..], |s| self.postings.get(s as usize))
            })
            .collect();
        lists.sort_by_key(|l| l.len());
        // A key of m trigrams sharing c with the query's n has cosine c / sqrt(nm) >= t only if
        // m is within [t²n, n/t²]. Candidates must share tau = ceil(t·n) trigrams (exact for keys of
        // the query's size, a little stricter for longer ones), so merging the rarest
        // n - tau + 1 lists finds them all (the pigeonhole of simstring's CPMerge); each
        // candidate's overlap is then counted against its own short trigram list.
        let n = q.len();
        let tau = ((threshold * n as f64).ceil() as usize).clamp(1, n);
        let (lo, hi) = (
            threshold * threshold * n as f64,
            n as f64 / (threshold * threshold),
        );
        let query = GramSet::new(q);
        let scored = COUNTS.with(|cell| {
            let mut counts = cell.borrow_mut();
            if counts.len() < self.keys.len() {
                counts.resize(self.keys.len(), 0);
            }
            let mut touched: Vec<u32> = Vec::new();
            for l in &lists[..n - tau + 1] {
                for &id in *l {
                    let size = self.size(id) as f64;
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
            for id in touched {
                counts[id as usize] = 0;
                let c = query.overlap(self.grams.get(id as usize));
                if c < tau {
                    continue;
                }
                let cos = c as f64 / ((n * self.size(id)) as f64).sqrt();
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
                    0.5 * cos + 0.5 * edit_similarity(qk, self.keys.get(id as usize)),
                    id,
                )
            })
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_set_overlap_is_the_shared_count() {
        // pseudo-random distinct values, the empty-slot marker among them
        let vals = |seed: u32, n: u32| -> Vec<u32> {
            let mut v: Vec<u32> = (0..n)
                .map(|i| (i ^ seed).wrapping_mul(2_654_435_761) % 97)
                .collect();
            v.push(EMPTY_GRAM);
            v.sort_unstable();
            v.dedup();
            v
        };
        for (a, b) in [
            (vals(1, 40), vals(7, 30)),
            (vals(3, 5), vals(3, 60)),
            (vec![], vals(2, 9)),
        ] {
            let shared = a.iter().filter(|x| b.contains(x)).count();
            assert_eq!(GramSet::new(&a).overlap(&b), shared);
            assert_eq!(GramSet::new(&b).overlap(&a), shared);
        }
        assert_eq!(GramSet::new(&[1, 2]).overlap(&[EMPTY_GRAM]), 0);
    }

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

    #[test]
    fn a_written_index_reads_back_the_same_and_damage_is_an_error() {
        let terms = [
            "type 2 diabetes mellitus",
            "hypertension",
            "breast neoplasms",
            "osteoarthritis of shoulder",
            "2型糖尿病",
            "hypertension",
        ];
        let idx = FuzzyIndex::new(terms.iter().copied());
        let (fp, n) = (0x1234_5678_9abc_def0, terms.len());
        let mut buf = Vec::new();
        idx.write_to(&mut buf, fp).unwrap();
        let back = FuzzyIndex::from_bytes(&buf, fp, n).unwrap();
        for q in [
            "diabetes type 2",
            "hypertensoin",
            "breast neoplasm",
            "ostoearthritis of shoulder",
            "2型糖尿病",
            "zzzz",
        ] {
            assert_eq!(idx.search(q, 3, 0.3), back.search(q, 3, 0.3), "{q}");
        }
        assert!(FuzzyIndex::from_bytes(&buf[..buf.len() - 3], fp, n).is_err());
        assert!(
            FuzzyIndex::from_bytes(&buf, fp + 1, n).is_err(),
            "another lexicon"
        );
        assert!(FuzzyIndex::from_bytes(b"TNLEX03\n", fp, n).is_err());
        // a length field damaged to a huge value is an error, not an allocation abort
        let mut bad = buf.clone();
        bad[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(FuzzyIndex::from_bytes(&bad, fp, n).is_err());
        // any damaged byte: refused, or an index that still answers without a crash
        for at in 16..buf.len() {
            let mut bad = buf.clone();
            bad[at] ^= 0xA5;
            if let Ok(b) = FuzzyIndex::from_bytes(&bad, fp, n) {
                for q in ["diabetes type 2", "hypertensoin", "2型糖尿病"] {
                    assert!(b.search(q, 3, 0.3).iter().all(|h| (h.term as usize) < n));
                }
            }
        }
    }

    #[test]
    fn repairs_typos_word_by_word() {
        let terms = [
            "other specified injury of posterior tibial artery",
            "contusion of right hand",
            "cancers, therapy-related",
            "osteoarthritis of shoulder",
        ];
        let idx = FuzzyIndex::new(terms.iter().copied());
        let top = |q: &str| {
            idx.search(q, 1, 0.6)
                .first()
                .map(|h| terms[h.term as usize])
        };
        // a transposition inside a word, across a space, across a comma; a swapped short word
        assert_eq!(top("ostoearthritis of shoulder"), Some(terms[3]));
        assert_eq!(
            top("other specified injury of posterio rtibial artery"),
            Some(terms[0])
        );
        assert_eq!(top("cancer,s therapy-related"), Some(terms[2]));
        assert_eq!(top("contusion fo right hand"), Some(terms[1]));
        let q = "contusion fo right hand";
        let qk = key(q);
        let c = idx.corrected(q, &qk, &trigrams(&qk));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].2, 1, "one edit");
        assert!(c[0].0 < 1.0 && c[0].0 > 0.8);
    }

    #[test]
    fn the_cache_is_written_once_and_refused_for_another_lexicon() {
        let lexicon = |terms: &[&str]| {
            let rows: Vec<(String, u32, u8)> =
                terms.iter().map(|t| (t.to_string(), 0, 0)).collect();
            Lexicon::new(vec!["C:1".to_string()], rows).unwrap()
        };
        let dir = std::env::temp_dir().join(format!("termnorm-fuzzy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lexicon.fuzzy");
        let a = lexicon(&["osteoarthritis of shoulder", "contusion of right hand"]);
        let built = FuzzyIndex::cached(&a, Some(&path));
        let saved = std::fs::read(&path).unwrap();
        let read = FuzzyIndex::cached(&a, Some(&path));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            saved,
            "read, not written again"
        );
        let q = "ostoearthritis of shoulder";
        assert_eq!(
            read.search(q, 1, 0.6)[0].term,
            built.search(q, 1, 0.6)[0].term
        );
        let b = lexicon(&["hypertension"]);
        FuzzyIndex::cached(&b, Some(&path));
        assert_ne!(
            std::fs::read(&path).unwrap(),
            saved,
            "another lexicon's file is replaced"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
