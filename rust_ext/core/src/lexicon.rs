//! The lexicon: normalized terms, each pointing at its concepts with the synonym kind, found in
//! text leftmost-longest on token boundaries in Latin script and per character in CJK text.
//!
//! Why a walk from token starts rather than an Aho-Corasick automaton over every byte: terms may
//! only start where a token starts, so an automaton spends most of its time (and cache misses,
//! the automaton for ~450k terms is ~100 MB) on positions that can never start a match, and
//! leftmost-longest automata must restart when their longest hit breaks a word boundary. The
//! `aho-corasick` crate's NFA took 6 s to build per load and searched at 4 MB/s; daachorse's double
//! array ran at ~12 MB/s. The walk is over token paths (`paths`), one probe a token; a char-wise
//! double-array trie (crawdad), one cache miss a char, was ~30% slower (bench/RESULTS.md).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use bytemuck::{Pod, Zeroable};

use crate::mapped::{Array, Reader, Writer};
use crate::paths::TermPaths;
use crate::tokens::{follows, tokenize, tokenize_first, Token};

/// Synonym kinds, in priority order (lower is stronger). Same order as the Python schema.
pub const KINDS: [&str; 8] = [
    "preferred",
    "exact",
    "related",
    "broad",
    "narrow",
    "abbreviation",
    "layperson",
    "learned",
];
pub const KIND_ABBREVIATION: u8 = 5;
pub const KIND_LEARNED: u8 = 7;

/// Within a vocabulary, a curator-approved (`learned`) pair wins, then the kinds in order.
fn kind_priority(kind: u8) -> u8 {
    if kind == KIND_LEARNED {
        0
    } else {
        kind + 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Entry {
    pub concept: u32,
    pub kind: u8,
    _pad: [u8; 3],
}

impl Entry {
    pub fn new(concept: u32, kind: u8) -> Self {
        Entry {
            concept,
            kind,
            _pad: [0; 3],
        }
    }
}

/// A lexicon hit in normalized text: byte offsets and the term's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub term: u32,
    pub start: usize,
    pub end: usize,
}

pub struct Lexicon {
    concepts: StrTable,
    /// Each concept's display name ("" when it has none), for output without the terminology.
    names: StrTable,
    terms: StrTable,
    /// CSR: entries of term t are `entries[offsets[t]..offsets[t + 1]]`.
    offsets: Array<u32>,
    entries: Array<Entry>,
    /// Term indices in the order of their strings: exact lookups that a hash cannot settle.
    sorted: Array<u32>,
    /// Bloom-style filter over the first two tokens of every term (the first and "end" for
    /// one-token terms). A text position whose token pair is not in it cannot start a match, so
    /// its walk (cache misses in a table of tens of MB) is skipped: "the patient" or "was
    /// taken" start no term. The first token picks a cache line, the second a bit in it, so
    /// both probes at a position cost one memory access.
    start_pairs: Array<Block>,
    /// The terms as token paths: the walk from a position that passes the filter.
    paths: TermPaths,
    /// A hash of the terms in order: a fuzzy index saved for them names it.
    fingerprint: u64,
}

#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C, align(64))]
struct Block([u64; 8]);

const FILTER_BLOCKS: usize = 1 << 14; // 1 MiB

/// The (block, bit) of a token pair by token hashes; `second` is `None` where the first token
/// ends the term (or, in text, is followed by a line break or nothing).
fn pair_slot(first: u64, second: Option<u64>) -> (usize, usize) {
    const END: u64 = 0x9E37_79B9_7F4A_7C15;
    let block = (first >> 40) as usize % FILTER_BLOCKS;
    let pair = (first ^ second.unwrap_or(END).rotate_left(23)).wrapping_mul(0x2545_F491_4F6C_DD1D);
    (block, (pair >> 55) as usize)
}

const PREFETCH_AHEAD: usize = 4;

/// Asks for `item`'s cache line ahead of its use (the tables walked here are far bigger than
/// the caches).
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; any address is allowed, and this one is valid.
    unsafe {
        std::arch::x86_64::_mm_prefetch(
            std::ptr::from_ref(item).cast(),
            std::arch::x86_64::_MM_HINT_T0,
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

impl Block {
    fn has(&self, bit: usize) -> bool {
        self.0[bit >> 6] & (1 << (bit & 63)) != 0
    }
}

/// The hashes of a token and of the one that follows it in the same phrase.
fn first_two(text: &str, toks: &[Token], i: usize) -> (u64, Option<u64>) {
    let t = &toks[i];
    let second = toks
        .get(i + 1)
        .filter(|n| follows(text.as_bytes(), t, n))
        .map(|n| n.hash);
    (t.hash, second)
}

fn start_pair_filter(terms: &[String]) -> Vec<Block> {
    let mut blocks = vec![Block::default(); FILTER_BLOCKS];
    let mut toks = Vec::new();
    for t in terms {
        tokenize_first(t, 2, &mut toks);
        if toks.is_empty() {
            continue;
        }
        let (a, b) = first_two(t, &toks, 0);
        let (block, bit) = pair_slot(a, b);
        blocks[block].0[bit >> 6] |= 1 << (bit & 63);
    }
    blocks
}

#[derive(Debug)]
pub struct LexiconError(pub String);

impl std::fmt::Display for LexiconError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for LexiconError {}

impl From<io::Error> for LexiconError {
    fn from(e: io::Error) -> Self {
        LexiconError(e.to_string())
    }
}

impl Lexicon {
    /// Build from concept IDs and `(normalized term, concept index, kind)` rows. Rows with an
    /// empty term are skipped; duplicate (term, concept) pairs keep the strongest kind.
    pub fn new(
        concepts: Vec<String>,
        rows: impl IntoIterator<Item = (String, u32, u8)>,
    ) -> Result<Self, LexiconError> {
        let mut by_term: HashMap<String, Vec<Entry>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for (term, concept, kind) in rows {
            if term.is_empty() {
                continue;
            }
            if concept as usize >= concepts.len() {
                return Err(LexiconError(format!(
                    "term {term:?} points at concept {concept}, but there are only {}",
                    concepts.len()
                )));
            }
            if kind as usize >= KINDS.len() {
                return Err(LexiconError(format!(
                    "unknown kind {kind} for term {term:?}"
                )));
            }
            let list = by_term.entry(term.clone()).or_insert_with(|| {
                order.push(term);
                Vec::new()
            });
            match list.iter_mut().find(|e| e.concept == concept) {
                Some(e) => e.kind = e.kind.min(kind),
                None => list.push(Entry::new(concept, kind)),
            }
        }
        // Vocabulary rank = order of first appearance of the ID prefix: the caller lists concepts
        // in its vocabulary preference.
        let mut prefix_rank: HashMap<&str, u32> = HashMap::new();
        let group: Vec<u32> = concepts
            .iter()
            .map(|c| {
                let p = c.split(':').next().unwrap_or("");
                let n = prefix_rank.len() as u32;
                *prefix_rank.entry(p).or_insert(n)
            })
            .collect();
        let mut offsets = Vec::with_capacity(order.len() + 1);
        let mut entries = Vec::new();
        offsets.push(0);
        for t in &order {
            let mut list = by_term.remove(t).expect("every ordered term was inserted");
            list.sort_by_key(|e| (group[e.concept as usize], kind_priority(e.kind), e.concept));
            entries.extend(list);
            offsets.push(entries.len() as u32);
        }
        Self::assemble(concepts, order, offsets, entries)
    }

    fn assemble(
        concepts: Vec<String>,
        terms: Vec<String>,
        offsets: Vec<u32>,
        entries: Vec<Entry>,
    ) -> Result<Self, LexiconError> {
        let mut sorted: Vec<u32> = (0..terms.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        Ok(Lexicon {
            names: StrTable::from_strings(&vec![String::new(); concepts.len()]),
            paths: TermPaths::new(&terms),
            start_pairs: start_pair_filter(&terms).into(),
            fingerprint: terms_fingerprint(terms.iter().map(String::as_str)),
            concepts: StrTable::from_strings(&concepts),
            terms: StrTable::from_strings(&terms),
            offsets: offsets.into(),
            entries: entries.into(),
            sorted: sorted.into(),
        })
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn concepts(&self) -> &StrTable {
        &self.concepts
    }

    /// The same lexicon with concept `i` named `names[i]` ("" for none).
    pub fn with_names(mut self, names: &[String]) -> Result<Self, LexiconError> {
        if names.len() != self.concepts.len() {
            return Err(LexiconError(format!(
                "{} names for {} concepts",
                names.len(),
                self.concepts.len()
            )));
        }
        self.names = StrTable::from_strings(names);
        Ok(self)
    }

    /// Concept names, parallel to [`Lexicon::concepts`] ("" for none).
    pub fn names(&self) -> &StrTable {
        &self.names
    }

    pub fn term(&self, t: u32) -> &str {
        self.terms.get(t as usize)
    }

    pub fn terms(&self) -> &StrTable {
        &self.terms
    }

    /// A hash of the terms in order (what a fuzzy index built from them is saved with).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    pub fn entries(&self, t: u32) -> &[Entry] {
        let t = t as usize;
        &self.entries[self.offsets[t] as usize..self.offsets[t + 1] as usize]
    }

    /// The index of an exact normalized term.
    pub fn lookup(&self, norm_term: &str) -> Option<u32> {
        match self.paths.exact(norm_term) {
            Some(t) if self.term(t) == norm_term => Some(t),
            _ => self.search(norm_term), // not a term, or a hash collision
        }
    }

    /// [`Lexicon::lookup`] by binary search: exact whatever the hashes do.
    fn search(&self, norm_term: &str) -> Option<u32> {
        self.sorted
            .binary_search_by(|&t| self.term(t).cmp(norm_term))
            .ok()
            .map(|k| self.sorted[k])
    }

    /// The longest term starting at token `i` of `text`, with its end byte.
    fn longest_at(&self, text: &str, toks: &[Token], i: usize) -> Option<(u32, usize)> {
        let start = toks[i].start as usize;
        let (best, reached) = self.paths.longest(text, toks, i);
        let (term, j) = best?;
        let end = toks[j].end as usize;
        if self.term(term) == &text[start..end] {
            return Some((term, end));
        }
        // a hash collision named a term the text does not hold: every term starting here ends
        // by the last token the walk reached, so ask the sorted terms, longest first
        (i..=reached).rev().find_map(|j| {
            let end = toks[j].end as usize;
            self.search(&text[start..end]).map(|t| (t, end))
        })
    }

    /// Leftmost-longest hits on token boundaries, in text order, not overlapping.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let (mut toks, mut hits) = (Vec::new(), Vec::new());
        self.find_into(text, &mut toks, &mut hits);
        hits
    }

    /// [`Lexicon::find`] into reused buffers (`toks` is scratch space).
    pub fn find_into(&self, text: &str, toks: &mut Vec<Token>, hits: &mut Vec<Hit>) {
        hits.clear();
        if self.terms.is_empty() {
            return;
        }
        tokenize(text, toks);
        let mut i = 0;
        while i < toks.len() {
            // The filter is bigger than L2: ask for a later token's block ahead of time.
            if let Some(t) = toks.get(i + PREFETCH_AHEAD) {
                prefetch(&self.start_pairs[pair_slot(t.hash, None).0]);
            }
            let (first, second) = first_two(text, toks, i);
            let (block, end_bit) = pair_slot(first, None);
            let line = &self.start_pairs[block];
            let may_start =
                line.has(end_bit) || (second.is_some() && line.has(pair_slot(first, second).1));
            if may_start {
                if let Some((term, end)) = self.longest_at(text, toks, i) {
                    hits.push(Hit {
                        term,
                        start: toks[i].start as usize,
                        end,
                    });
                    while i < toks.len() && (toks[i].start as usize) < end {
                        i += 1;
                    }
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Serialize: magic, then concepts, their names, terms, offsets, entries, the term order, the start
    /// filter, the paths and the fingerprint, each table aligned so [`Lexicon::open`] can map
    /// it in place.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        let mut w = Writer::new(w, MAGIC)?;
        self.concepts.write(&mut w)?;
        self.names.write(&mut w)?;
        self.terms.write(&mut w)?;
        w.array(&self.offsets)?;
        w.array(&self.entries)?;
        w.array(&self.sorted)?;
        w.array(&self.start_pairs)?;
        self.paths.write(&mut w)?;
        w.u64(self.fingerprint)
    }

    /// The lexicon saved at `path`, mapped rather than read: its tables are used in place.
    pub fn open(path: &Path) -> Result<Self, LexiconError> {
        Self::read(Reader::open(path, MAGIC, "lexicon")?)
    }

    /// A lexicon from the bytes [`Lexicon::write_to`] wrote.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LexiconError> {
        Self::read(Reader::from_bytes(b, MAGIC, "lexicon")?)
    }

    fn read(mut r: Reader) -> Result<Self, LexiconError> {
        let concepts = StrTable::read(&mut r)?;
        let names = StrTable::read(&mut r)?;
        let terms = StrTable::read(&mut r)?;
        let offsets: Array<u32> = r.array()?;
        let entries: Array<Entry> = r.array()?;
        if names.len() != concepts.len()
            || offsets.len() != terms.len() + 1
            || offsets.first() != Some(&0)
            || offsets.windows(2).any(|p| p[0] >= p[1]) // every term has a concept
            || offsets.last().copied() != Some(entries.len() as u32)
            || entries
                .iter()
                .any(|e| e.concept as usize >= concepts.len() || e.kind as usize >= KINDS.len())
        {
            return Err(LexiconError(
                "corrupt lexicon file (inconsistent tables)".into(),
            ));
        }
        let sorted: Array<u32> = r.array()?;
        if sorted.len() != terms.len() || sorted.iter().any(|&t| t as usize >= terms.len()) {
            return Err(LexiconError("corrupt lexicon file (term order)".into()));
        }
        let start_pairs: Array<Block> = r.array()?;
        if start_pairs.len() != FILTER_BLOCKS {
            return Err(LexiconError("corrupt lexicon file (start filter)".into()));
        }
        let paths = TermPaths::read(&mut r, terms.len())?;
        let fingerprint = r.u64()?;
        Ok(Lexicon {
            concepts,
            names,
            terms,
            offsets,
            entries,
            sorted,
            start_pairs,
            paths,
            fingerprint,
        })
    }
}

/// Order-sensitive hash of a lexicon's terms.
fn terms_fingerprint<'a>(terms: impl ExactSizeIterator<Item = &'a str>) -> u64 {
    let n = terms.len() as u64;
    terms.fold(n, |h, t| {
        (h ^ crate::tokens::hash_bytes(t.as_bytes()))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29)
    })
}

const MAGIC: &[u8; 8] = b"TNLEX06\n";

/// Item `i` of a flat table cut by end offsets: `ends[i - 1]..ends[i]`.
pub(crate) fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    (if i == 0 { 0 } else { ends[i - 1] as usize })..ends[i] as usize
}

/// Strings in one blob, `blob[ends[i - 1]..ends[i]]`, as the lexicon and the fuzzy index keep
/// them: read in place from a mapped file, no allocation per string (the fuzzy index has ~700k).
#[derive(Default)]
pub struct StrTable {
    blob: Array<u8>,
    ends: Array<u32>,
}

impl StrTable {
    pub(crate) fn from_strings(v: &[String]) -> Self {
        let (mut blob, mut ends) = (String::new(), Vec::with_capacity(v.len()));
        for x in v {
            blob.push_str(x);
            ends.push(blob.len() as u32);
        }
        StrTable {
            blob: blob.into_bytes().into(),
            ends: ends.into(),
        }
    }

    pub fn get(&self, i: usize) -> &str {
        let b = &self.blob[span(&self.ends, i)];
        // SAFETY: the blob is UTF-8 and every end is a char boundary (built from strings, or
        // checked by `read`).
        unsafe { std::str::from_utf8_unchecked(b) }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub(crate) fn write(&self, w: &mut Writer<impl Write>) -> io::Result<()> {
        w.array(&self.ends)?;
        w.array(&self.blob)
    }

    pub(crate) fn read(r: &mut Reader) -> Result<Self, LexiconError> {
        let ends: Array<u32> = r.array()?;
        let blob: Array<u8> = r.array()?;
        let text = std::str::from_utf8(&blob)
            .map_err(|_| LexiconError("corrupt lexicon file (UTF-8)".into()))?;
        // ascending, each on a char boundary (past the end is none)
        let mut prev = 0;
        for &e in ends.iter() {
            if e < prev || !text.is_char_boundary(e as usize) {
                return Err(LexiconError("corrupt lexicon file (string table)".into()));
            }
            prev = e;
        }
        Ok(StrTable { blob, ends })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> Lexicon {
        let concepts = vec![
            "C:dm".to_string(),
            "C:t2dm".into(),
            "C:htn".into(),
            "C:gxy".into(),
        ];
        Lexicon::new(
            concepts,
            vec![
                ("diabetes".to_string(), 0, 1),
                ("diabetes mellitus".into(), 0, 0),
                ("type 2 diabetes mellitus".into(), 1, 0),
                ("hypertension".into(), 2, 0),
                ("高血压".into(), 3, 0),
                ("高血压".into(), 2, 1),
                ("diabetes".into(), 0, 0),
            ],
        )
        .unwrap()
    }

    #[test]
    fn leftmost_longest_on_boundaries() {
        let l = lex();
        let text = "type 2 diabetes mellitus and hypertensions; diabetes";
        let got: Vec<_> = l.find(text).iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(got, vec!["type 2 diabetes mellitus", "diabetes"]);
        let cjk = "患者有高血压病史";
        let got: Vec<_> = l.find(cjk).iter().map(|h| &cjk[h.start..h.end]).collect();
        assert_eq!(got, vec!["高血压"]);
        assert!(l.find("prediabetes").is_empty());
    }

    #[test]
    fn collisions_fall_back_to_the_sorted_terms() {
        let mut l = lex();
        let text = "type 2 diabetes mellitus and hypertension; 高血压 diabetes";
        let before = l.find(text);
        let looked = l.lookup("diabetes mellitus");
        l.paths.scramble(l.len() as u32);
        assert_eq!(l.find(text), before);
        assert_eq!(l.lookup("diabetes mellitus"), looked);
        assert_eq!(l.lookup("diabetes mellitu"), None);
    }

    #[test]
    fn entries_keep_strongest_kind_sorted() {
        let l = lex();
        let t = l.lookup("diabetes").unwrap();
        assert_eq!(l.entries(t), &[Entry::new(0, 0)]);
        let g = l.lookup("高血压").unwrap();
        assert_eq!(l.entries(g), &[Entry::new(3, 0), Entry::new(2, 1)]);
    }

    #[test]
    fn round_trip() {
        let names: Vec<String> = ["Diabetes", "Type 2 DM", "", "高血压"]
            .map(String::from)
            .into();
        let l = lex().with_names(&names).unwrap();
        assert!(lex().with_names(&names[..2]).is_err());
        let mut buf = Vec::new();
        l.write_to(&mut buf).unwrap();
        let back = Lexicon::from_bytes(&buf).unwrap();
        assert!(back.terms().iter().eq(l.terms().iter()));
        assert!(back.concepts().iter().eq(l.concepts().iter()));
        assert!(back.names().iter().eq(names.iter().map(String::as_str)));
        assert_eq!(back.fingerprint(), l.fingerprint());
        assert_eq!(back.find("hypertension"), l.find("hypertension"));
        assert_eq!(back.lookup("高血压"), l.lookup("高血压"));
        for cut in [20, buf.len() / 2, buf.len() - 1] {
            assert!(Lexicon::from_bytes(&buf[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Lexicon::from_bytes(b"garbage!garbage!").is_err());
        // a damaged byte anywhere is refused, or leaves a lexicon that still answers
        // without a crash (a wrong term id is caught by comparing the term with the text)
        // (every byte of the small tables before and after the 1 MiB start filter, which is
        // only bits, and a sample of the filter)
        let text = "type 2 diabetes mellitus and hypertension; 高血压";
        let tail = buf.len() - 4096;
        let mut bad = buf.clone();
        for at in (8..buf.len()).filter(|&at| at < 4096 || at > tail || at % 4099 == 0) {
            bad[at] ^= 0xA5;
            let read = Lexicon::from_bytes(&bad);
            bad[at] ^= 0xA5;
            if let Ok(l) = read {
                for h in l.find(text) {
                    assert!(text.get(h.start..h.end).is_some());
                    let _ = l.entries(h.term);
                }
                let _ = l.lookup("diabetes");
            }
        }
    }

    #[test]
    fn open_maps_a_saved_file() {
        let l = lex();
        let path = std::env::temp_dir().join(format!("termnorm-lex-{}.bin", std::process::id()));
        let mut f = std::fs::File::create(&path).unwrap();
        l.write_to(&mut f).unwrap();
        drop(f);
        let back = Lexicon::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let text = "type 2 diabetes mellitus and 高血压";
        assert_eq!(back.find(text), l.find(text));
    }
}
