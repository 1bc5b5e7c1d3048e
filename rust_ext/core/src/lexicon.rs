//! The lexicon: normalized terms in an Aho-Corasick automaton (leftmost-longest), each term
//! pointing at its concepts with the synonym kind. Matches respect token boundaries in Latin
//! script and match per character in CJK text.
//!
//! The automaton is daachorse's char-wise double-array Aho-Corasick rather than the
//! `aho-corasick` crate: with ~450k terms its NFA took 6 s to build on every load and searched at
//! 4 MB/s, while the double array serializes (load is a copy) and searches many times faster
//! (bench/RESULTS.md has the figures).

use std::collections::HashMap;
use std::io::{self, Read, Write};

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub concept: u32,
    pub kind: u8,
}

/// A lexicon hit in normalized text: byte offsets and the term's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub term: u32,
    pub start: usize,
    pub end: usize,
}

pub struct Lexicon {
    concepts: Vec<String>,
    terms: Vec<String>,
    /// CSR: entries of term t are `entries[offsets[t]..offsets[t + 1]]`.
    offsets: Vec<u32>,
    entries: Vec<Entry>,
    ac: CharwiseDoubleArrayAhoCorasick<u32>,
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

/// CJK ideographs, kana, hangul: scripts matched per character, without word boundaries.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F
        | 0x20000..=0x3FFFF)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Does `[start, end)` of `text` sit on token boundaries? Only word chars on both sides of an
/// edge make a violation, so CJK text matches anywhere.
pub fn on_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    let after = text[end..].chars().next();
    let ok = |a: Option<char>, b: Option<char>| !matches!((a, b), (Some(x), Some(y)) if is_word(x) && is_word(y));
    ok(before, first) && ok(last, after)
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
                None => list.push(Entry { concept, kind }),
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
        let ac = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build_with_values(
                terms
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.as_str(), i as u32)),
            )
            .map_err(|e| LexiconError(format!("cannot build the automaton: {e}")))?;
        Ok(Lexicon {
            concepts,
            terms,
            offsets,
            entries,
            ac,
        })
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn concepts(&self) -> &[String] {
        &self.concepts
    }

    pub fn term(&self, t: u32) -> &str {
        &self.terms[t as usize]
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    pub fn entries(&self, t: u32) -> &[Entry] {
        let t = t as usize;
        &self.entries[self.offsets[t] as usize..self.offsets[t + 1] as usize]
    }

    /// The index of an exact normalized term: the longest term at position 0 spanning it all.
    pub fn lookup(&self, norm_term: &str) -> Option<u32> {
        self.ac
            .leftmost_find_iter(norm_term)
            .next()
            .filter(|m| m.start() == 0 && m.end() == norm_term.len())
            .map(|m| m.value())
    }

    /// Leftmost-longest hits on token boundaries, in text order, not overlapping. A hit that
    /// breaks a word boundary is dropped and the search resumes one char after its start.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut at = 0;
        'search: while at < text.len() {
            for m in self.ac.leftmost_find_iter(&text[at..]) {
                let (s, e) = (at + m.start(), at + m.end());
                if on_boundaries(text, s, e) {
                    hits.push(Hit {
                        term: m.value(),
                        start: s,
                        end: e,
                    });
                } else {
                    // A shorter term may still fit further on: search again one char later.
                    at = s + text[s..].chars().next().map_or(1, char::len_utf8);
                    continue 'search;
                }
            }
            break;
        }
        hits
    }

    /// Serialize: magic, then concepts, terms, offsets, entries and the automaton itself.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(MAGIC)?;
        write_strings(w, &self.concepts)?;
        write_strings(w, &self.terms)?;
        write_u32s(w, &self.offsets)?;
        w.write_all(&(self.entries.len() as u64).to_le_bytes())?;
        let mut buf = Vec::with_capacity(self.entries.len() * 5);
        for e in &self.entries {
            buf.extend_from_slice(&e.concept.to_le_bytes());
            buf.push(e.kind);
        }
        w.write_all(&buf)?;
        let ac = self.ac.serialize();
        w.write_all(&(ac.len() as u64).to_le_bytes())?;
        w.write_all(&ac)
    }

    pub fn read_from(r: &mut impl Read) -> Result<Self, LexiconError> {
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(LexiconError(
                "not a termnorm lexicon file (bad magic)".into(),
            ));
        }
        let concepts = read_strings(r)?;
        let terms = read_strings(r)?;
        let offsets = read_u32s(r)?;
        let n = read_u64(r)? as usize;
        let mut buf = vec![0u8; n * 5];
        r.read_exact(&mut buf)?;
        let entries: Vec<Entry> = buf
            .chunks_exact(5)
            .map(|c| Entry {
                concept: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                kind: c[4],
            })
            .collect();
        if offsets.len() != terms.len() + 1
            || offsets.last().copied() != Some(entries.len() as u32)
            || entries.iter().any(|e| e.concept as usize >= concepts.len())
        {
            return Err(LexiconError(
                "corrupt lexicon file (inconsistent tables)".into(),
            ));
        }
        let n = read_u64(r)? as usize;
        let mut buf = vec![0u8; n];
        r.read_exact(&mut buf)?;
        let (ac, rest) = CharwiseDoubleArrayAhoCorasick::<u32>::deserialize(&buf)
            .map_err(|e| LexiconError(format!("corrupt lexicon file (automaton: {e})")))?;
        if !rest.is_empty() {
            return Err(LexiconError("corrupt lexicon file (trailing bytes)".into()));
        }
        Ok(Lexicon {
            concepts,
            terms,
            offsets,
            entries,
            ac,
        })
    }
}

const MAGIC: &[u8; 8] = b"TNLEX02\n";

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn write_u32s(w: &mut impl Write, v: &[u32]) -> io::Result<()> {
    w.write_all(&(v.len() as u64).to_le_bytes())?;
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    w.write_all(&bytes)
}

fn read_u32s(r: &mut impl Read) -> io::Result<Vec<u32>> {
    let n = read_u64(r)? as usize;
    let mut buf = vec![0u8; n * 4];
    r.read_exact(&mut buf)?;
    Ok(buf
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Strings as one blob plus end offsets: two reads, no per-string allocation on disk.
fn write_strings(w: &mut impl Write, v: &[String]) -> io::Result<()> {
    let mut ends = Vec::with_capacity(v.len());
    let mut blob = Vec::new();
    for s in v {
        blob.extend_from_slice(s.as_bytes());
        ends.push(blob.len() as u32);
    }
    write_u32s(w, &ends)?;
    w.write_all(&(blob.len() as u64).to_le_bytes())?;
    w.write_all(&blob)
}

fn read_strings(r: &mut impl Read) -> Result<Vec<String>, LexiconError> {
    let ends = read_u32s(r)?;
    let n = read_u64(r)? as usize;
    let mut blob = vec![0u8; n];
    r.read_exact(&mut blob)?;
    let blob =
        String::from_utf8(blob).map_err(|_| LexiconError("corrupt lexicon file (UTF-8)".into()))?;
    let mut out = Vec::with_capacity(ends.len());
    let mut prev = 0usize;
    for &e in &ends {
        let e = e as usize;
        if e < prev || e > blob.len() || !blob.is_char_boundary(e) {
            return Err(LexiconError("corrupt lexicon file (string table)".into()));
        }
        out.push(blob[prev..e].to_string());
        prev = e;
    }
    Ok(out)
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
    fn entries_keep_strongest_kind_sorted() {
        let l = lex();
        let t = l.lookup("diabetes").unwrap();
        assert_eq!(
            l.entries(t),
            &[Entry {
                concept: 0,
                kind: 0
            }]
        );
        let g = l.lookup("高血压").unwrap();
        assert_eq!(
            l.entries(g),
            &[
                Entry {
                    concept: 3,
                    kind: 0
                },
                Entry {
                    concept: 2,
                    kind: 1
                }
            ]
        );
    }

    #[test]
    fn round_trip() {
        let l = lex();
        let mut buf = Vec::new();
        l.write_to(&mut buf).unwrap();
        let back = Lexicon::read_from(&mut buf.as_slice()).unwrap();
        assert_eq!(back.terms(), l.terms());
        assert_eq!(back.concepts(), l.concepts());
        assert_eq!(back.find("hypertension"), l.find("hypertension"));
        assert!(Lexicon::read_from(&mut &buf[..20]).is_err());
        assert!(Lexicon::read_from(&mut &b"garbage!garbage!"[..]).is_err());
    }
}
