//! Names and places that no regex can find: a word-level pass over a text with lexicons the
//! caller supplies (first and last names with how common each is as an ordinary word, cue words,
//! a gazetteer, Chinese surnames and given-name characters), independent of letter case.
//!
//! A name-list word that is rare as an ordinary word ("healey", "rizzo") is a name anywhere;
//! one that is also an ordinary or medical word ("rich", "hope", "foley", "parkinson") is a name
//! only beside a cue: a title before it ("dr", "mrs"), a role or relation before it ("nurse",
//! "husband", "dtr"), a verb that takes a person ("spoke with", "paged"), a role after it
//! ("RN", "NP"), another name next to it, or capitalisation inside a mixed-case line. A medical
//! head after it ("Parkinson's disease", "Foley catheter") keeps it a medical word. Places: a
//! facility head ("hospital", "rehab") after words that can name one, and gazetteer entries,
//! the ambiguous ones ("Revere", "Mobile") only after "in"/"from"/... or before a state.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::phi::{PhiHit, PhiType};
use crate::tokens::{hash_bytes, TokenMap};

/// What a lexicon word is; a word may be several of these.
pub mod flag {
    pub const FIRST: u32 = 1;
    pub const LAST: u32 = 1 << 1;
    /// a medical word: a name only right after a title
    pub const MEDICAL: u32 = 1 << 2;
    /// a function word: never part of a name
    pub const STOP: u32 = 1 << 3;
    /// before a name, any word ("dr", "mrs")
    pub const TITLE: u32 = 1 << 4;
    /// before a name: roles and relations ("nurse", "husband")
    pub const BEFORE: u32 = 1 << 5;
    /// after a name ("rn", "np", "md")
    pub const AFTER: u32 = 1 << 6;
    /// a verb that takes a person ("paged", "per")
    pub const VERB: u32 = 1 << 7;
    /// a medical head that makes the word before it an eponym ("disease", "catheter")
    pub const HEAD: u32 = 1 << 8;
    /// a facility head ("hospital", "clinic")
    pub const FACILITY: u32 = 1 << 9;
    /// a word that may open a facility's name without naming it ("st", "general")
    pub const FACILITY_MOD: u32 = 1 << 10;
    /// a preposition before a place ("in", "from")
    pub const PLACE_CUE: u32 = 1 << 11;
    /// a state or its abbreviation (after a city and a comma)
    pub const STATE: u32 = 1 << 12;
    /// set by the lexicon itself: the last word of a cue phrase, the first word of a place
    pub const PHRASE_END: u32 = 1 << 14;
    pub const PLACE_START: u32 = 1 << 15;
    /// before an employer, a school or a company ("works at", "job at", "company")
    pub const ORG_CUE: u32 = 1 << 16;
    /// an ordinary word of the dictionary, in lower case ("gallop", "hope", "brown"): a
    /// name-list word that is one needs a cue
    pub const WORD: u32 = 1 << 13;

    /// The flags a word list may give, by name (the rest the lexicon sets itself).
    pub const NAMED: [(&str, u32); 15] = [
        ("FIRST", FIRST),
        ("LAST", LAST),
        ("MEDICAL", MEDICAL),
        ("STOP", STOP),
        ("TITLE", TITLE),
        ("BEFORE", BEFORE),
        ("AFTER", AFTER),
        ("VERB", VERB),
        ("HEAD", HEAD),
        ("FACILITY", FACILITY),
        ("FACILITY_MOD", FACILITY_MOD),
        ("PLACE_CUE", PLACE_CUE),
        ("ORG_CUE", ORG_CUE),
        ("STATE", STATE),
        ("WORD", WORD),
    ];
}

#[derive(Debug, Clone, Copy, Default)]
struct Word {
    flags: u32,
    /// the flags of the cue phrases that end with this word (`PHRASE_END` is set too)
    ends: u32,
    /// how common the word is as an ordinary English word: Zipf frequency x 10
    zipf: u8,
}

const FILTER_BITS: usize = 1 << 20;

/// Zipf frequency (x10) below which a name-list word that is no dictionary word is a name
/// without a cue.
const RARE: u8 = 50;
/// ... below which a role or relation before it makes it a name (above: "very", "will").
const COMMON: u8 = 58;
/// ... below which a verb before it does ("paged Rich", not "called back").
const VERB_LIMIT: u8 = 45;

pub struct PhiLexicon {
    /// by the hash of the word's key (see [`key`])
    words: TokenMap<Word>,
    /// one bit per word hash (mod 2^20): most tokens of a text are in no list, and this
    /// 128 KiB filter answers them from cache, not from a probe of the map
    filter: Vec<u64>,
    /// dictionary words that are nothing else, apart: looked up only for candidates, so the
    /// map every token probes stays small enough to stay in cache
    dictionary: HashSet<u64, std::hash::BuildHasherDefault<crate::tokens::PassThrough>>,
    /// multi-word cues by their last word: the words before it, and the cue's flags
    phrases: TokenMap<Vec<(Vec<u64>, u32)>>,
    /// places by their first word: all their words, and whether a place anywhere (true) or
    /// only beside a cue; longest first
    places: TokenMap<Vec<(Vec<u64>, bool)>>,
    zh_surnames: HashSet<char>,
    zh_compound: HashSet<(char, char)>,
    zh_given: HashSet<char>,
    zh_before: Option<AhoCorasick>,
    /// The same cues as words: a cue that overlaps the end of another is found here
    zh_before_words: Vec<String>,
    zh_after: Option<AhoCorasick>,
    /// words that make a title with the cue after them (夜班 + 护士): no name before
    zh_title_parts: Vec<String>,
    /// Chinese cities and provinces by their short names (深圳, 河南)
    zh_places: Option<AhoCorasick>,
}

/// A word of a text: its byte span and what the lexicon says of it.
#[derive(Debug, Clone)]
struct Tok {
    start: usize,
    end: usize,
    /// the hash of the token's key
    h: u64,
    w: Word,
    /// an inflected dictionary word? 0: not looked at yet, 1: yes, 2: no
    inflected: std::cell::Cell<u8>,
    /// capitalised ("Healey", "HEALEY") inside a line that is neither all caps nor all lower
    cap: bool,
    /// one letter, or one letter and a period: an initial
    initial: bool,
    /// all capitals, five letters at most, in a line that is not all capitals: an
    /// abbreviation ("LOA", "CEA"), no name
    shout: bool,
    /// a sentence or line starts right before it
    opens: bool,
    /// the chars between the previous word and this one
    gap_before: (usize, usize),
}

impl PhiLexicon {
    /// `words`: (word, flags, zipf x10); `phrases`: multi-word cues (words separated by spaces,
    /// flags); `places`: (place name, strong); `zh_*`: Chinese surnames (one or two chars),
    /// given-name chars, cue words before and after a name.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        words: Vec<(String, u32, u8)>,
        dictionary: Vec<String>,
        phrases: Vec<(String, u32)>,
        places: Vec<(String, bool)>,
        zh_surnames: Vec<String>,
        zh_given: String,
        zh_before: Vec<String>,
        zh_after: Vec<String>,
        zh_title_parts: Vec<String>,
        zh_places: Vec<String>,
    ) -> Self {
        let mut map: TokenMap<Word> = TokenMap::default();
        map.reserve(words.len());
        for (w, f, z) in words {
            let e = map.entry(hkey(&w)).or_default();
            e.flags |= f;
            e.zipf = e.zipf.max(z);
        }
        let mut ph: TokenMap<Vec<(Vec<u64>, u32)>> = TokenMap::default();
        for (p, f) in phrases {
            let mut parts: Vec<u64> = p.split_whitespace().map(hkey).collect();
            if let Some(last) = parts.pop() {
                ph.entry(last).or_default().push((parts, f));
            }
        }
        let mut pl: TokenMap<Vec<(Vec<u64>, bool)>> = TokenMap::default();
        for (name, strong) in places {
            // one-letter words ("D.C.") would match initials and abbreviations
            if words_of(&name).any(|w| w.len() < 2) {
                continue;
            }
            let parts: Vec<u64> = words_of(&name).map(hkey).collect();
            if let Some(&first) = parts.first() {
                pl.entry(first).or_default().push((parts, strong));
            }
        }
        for v in pl.values_mut() {
            v.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        }
        // the word each token looks up says whether a phrase ends or a place starts with it,
        // so neither table is probed for the other tokens
        for (h, v) in &ph {
            let w = map.entry(*h).or_default();
            w.flags |= flag::PHRASE_END;
            w.ends |= v.iter().fold(0, |a, (_, f)| a | f);
        }
        for h in pl.keys() {
            map.entry(*h).or_default().flags |= flag::PLACE_START;
        }
        let mut single = HashSet::new();
        let mut compound = HashSet::new();
        for s in zh_surnames {
            let c: Vec<char> = s.chars().collect();
            match c.as_slice() {
                [a] => {
                    single.insert(*a);
                }
                [a, b] => {
                    compound.insert((*a, *b));
                }
                _ => {}
            }
        }
        let ac = |v: Vec<String>| {
            (!v.is_empty()).then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(v)
                    .expect("cues make an automaton")
            })
        };
        PhiLexicon {
            filter: {
                let mut f = vec![0u64; FILTER_BITS / 64];
                for h in map.keys() {
                    let b = (*h as usize) & (FILTER_BITS - 1);
                    f[b / 64] |= 1 << (b % 64);
                }
                f
            },
            words: map,
            dictionary: dictionary.iter().map(|w| hkey(w)).collect(),
            phrases: ph,
            places: pl,
            zh_surnames: single,
            zh_compound: compound,
            zh_given: zh_given.chars().collect(),
            zh_before_words: zh_before.clone(),
            zh_before: ac(zh_before),
            zh_after: ac(zh_after),
            zh_title_parts,
            zh_places: ac(zh_places),
        }
    }

    /// Is `w` too common a word to be taken for the same name wherever else it occurs?
    pub fn common(&self, w: &str) -> bool {
        let h = hkey(w);
        let x = self.word(h);
        x.zipf >= 40 || x.flags & (flag::STOP | flag::MEDICAL) != 0 || self.dictionary.contains(&h)
    }

    /// Is `k` a dictionary word with an English ending ("woods", "pulling", "enhancing",
    /// "longest", "weakly", "denies")?
    fn inflected_word(&self, k: &str) -> bool {
        let is = |w: &str| self.in_dictionary(hkey(w));
        let y = |suf: &str| {
            k.strip_suffix(suf)
                .is_some_and(|s| s.len() >= 2 && is(&format!("{s}y")))
        };
        if y("ies") || y("ied") || y("ier") || y("iest") || y("ily") {
            return true; // "denies", "carried", "happily"
        }
        ["s", "es", "d", "ing", "ed", "est", "er", "ly"]
            .iter()
            .any(|suf| {
                let Some(stem) = k.strip_suffix(suf) else {
                    return false;
                };
                if stem.len() < 3 {
                    return false;
                }
                let b = stem.as_bytes();
                let doubled = b.len() >= 2 && b[b.len() - 1] == b[b.len() - 2];
                is(stem) || is(&format!("{stem}e")) || doubled && is(&stem[..stem.len() - 1])
            })
    }

    fn in_dictionary(&self, h: u64) -> bool {
        self.word(h).flags & flag::WORD != 0 || self.dictionary.contains(&h)
    }

    fn word(&self, h: u64) -> Word {
        let b = (h as usize) & (FILTER_BITS - 1);
        if self.filter[b / 64] & (1 << (b % 64)) == 0 {
            return Word::default();
        }
        self.words.get(&h).copied().unwrap_or_default()
    }

    /// Is token `t` a dictionary word, or one with an English ending? The ending is looked at
    /// only when a rule asks (most tokens never are candidates), once per token.
    fn is_word(&self, text: &str, t: &Tok) -> bool {
        if t.w.flags & flag::WORD != 0 {
            return true;
        }
        match t.inflected.get() {
            1 => true,
            2 => false,
            _ => {
                let r = self.dictionary.contains(&t.h)
                    || self.inflected_word(&key(&text[t.start..t.end]));
                t.inflected.set(if r { 1 } else { 2 });
                r
            }
        }
    }

    /// Does a token of `text` hold `f` (as a word, or as the last word of a phrase that ends
    /// at token `i`)?
    fn cue(&self, toks: &[Tok], i: usize, f: u32) -> bool {
        if toks[i].w.flags & f != 0 {
            return true;
        }
        if toks[i].w.ends & f == 0 {
            return false;
        }
        self.phrases.get(&toks[i].h).is_some_and(|v| {
            v.iter().any(|(before, pf)| {
                pf & f != 0
                    && before.len() <= i
                    && before
                        .iter()
                        .rev()
                        .enumerate()
                        .all(|(j, b)| toks[i - 1 - j].h == *b)
            })
        })
    }

    /// Names and places in `text`, Latin and Chinese.
    pub fn find(&self, text: &str, hits: &mut Vec<PhiHit>) {
        thread_local! {
            // one token buffer a thread, reused text after text (fresh pages cost more than
            // the pass itself)
            static TOKS: std::cell::RefCell<Vec<Tok>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let mut toks = TOKS.with(|t| std::mem::take(&mut *t.borrow_mut()));
        self.tokens(text, &mut toks);
        self.latin_names(text, &toks, hits);
        self.facilities(text, &toks, hits);
        self.gazetteer(text, &toks, hits);
        self.states(text, &toks, hits);
        self.organizations(text, &toks, hits);
        self.named_places(text, &toks, hits);
        TOKS.with(|t| *t.borrow_mut() = toks);
        if text.bytes().any(|b| b >= 0xE0) {
            self.chinese_names(text, hits);
            self.zh_nicknames(text, hits);
            self.zh_signatures(text, hits);
            zh_facilities(text, hits);
            zh_divisions(text, hits);
            self.zh_cities(text, hits);
        }
    }

    fn tokens(&self, text: &str, toks: &mut Vec<Tok>) {
        toks.clear();
        let b = text.as_bytes();
        let mut line_start = 0;
        let mut i = 0;
        let mut prev_end = 0;
        // per line: are letters mostly of one case (then capitals say nothing)?
        let mut line_mixed = false;
        let mut caps = false;
        while i < b.len() {
            if i == line_start {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |j| i + j);
                let (upper, lower) = case_counts(&b[i..end]);
                line_mixed = lower > 0 && upper > 0 && upper * 10 < (upper + lower) * 4;
                caps = upper > 0 && upper * 10 >= (upper + lower) * 6;
            }
            if b[i] == b'\n' {
                i += 1;
                line_start = i;
                continue;
            }
            if !b[i].is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphabetic()
                    || (b[i] == b'\'' && i + 1 < b.len() && b[i + 1].is_ascii_alphabetic()))
            {
                i += 1;
            }
            // letters glued to digits ("Ox3", "q4h") are no word
            let glued = (start > 0 && b[start - 1].is_ascii_digit())
                || (i < b.len() && b[i].is_ascii_digit());
            if glued {
                prev_end = i;
                continue;
            }
            let word = &text[start..i];
            let h = hkey(word);
            let w = self.word(h);
            let first = b[start];
            let cap = line_mixed && first.is_ascii_uppercase();
            // a sentence or line opens: a line break in the gap, or it ends with . ! ? : ;
            let gap = &b[prev_end..start];
            let last = gap.iter().rev().find(|&&c| c != b' ' && c != b'\t');
            let opens = toks.is_empty()
                || memchr::memchr(b'\n', gap).is_some()
                || last.is_some_and(|c| matches!(c, b'.' | b'!' | b'?' | b':' | b';'));
            let initial = i - start == 1 && first.is_ascii_uppercase();
            let shout = i - start <= 5 && word.bytes().all(|c| c.is_ascii_uppercase()) && !caps;
            toks.push(Tok {
                start,
                end: i,
                h,
                w,
                inflected: std::cell::Cell::new(0),
                cap,
                initial,
                shout,
                opens,
                gap_before: (prev_end, start),
            });
            prev_end = i;
        }
    }

    fn latin_names(&self, text: &str, toks: &[Tok], hits: &mut Vec<PhiHit>) {
        use flag::*;
        let n = toks.len();
        let mut name = vec![false; n];
        let gap = |i: usize| &text[toks[i].gap_before.0..toks[i].gap_before.1];
        // adjacent: only spaces, a period after an initial or title, or an apostrophe between
        let joined = |i: usize| {
            let g = gap(i);
            let t = &toks[i - 1];
            let dot_ok = t.initial || t.end - t.start <= 2 || t.w.flags & TITLE != 0;
            !g.contains('\n') && g.trim_matches(' ').is_empty() && g.len() <= 2
                || dot_ok
                    && !g.contains('\n')
                    && g.trim_matches(|c: char| c == ' ' || c == '.').is_empty()
        };
        let listed = |t: &Tok| t.w.flags & (FIRST | LAST) != 0;
        let stop = |t: &Tok| t.w.flags & STOP != 0;
        let eponym = |i: usize| {
            i + 1 < n && joined(i + 1) && toks[i + 1].w.flags & HEAD != 0 || {
                // "Parkinson's disease": the head after the possessive
                let w = &text[toks[i].start..toks[i].end];
                (w.ends_with("'s") || w.ends_with("'S"))
                    && i + 1 < n
                    && toks[i + 1].w.flags & HEAD != 0
            }
        };
        // a word that may be a name beside a cue
        let nameish = |i: usize, strict: bool| {
            let t = &toks[i];
            // a modal or a month is a name when capitalised after a relation ("son Will")
            let capital_name = t.cap && !t.opens && listed(t) && !strict;
            if stop(t) && !capital_name
                || t.w.flags & (TITLE | BEFORE | AFTER | VERB | HEAD | FACILITY) != 0
            {
                return false;
            }
            // "social work (finn)": one word in brackets after a role is a name
            let bracketed = text[t.gap_before.0..t.gap_before.1]
                .trim_end()
                .ends_with('(')
                && text[t.end..].starts_with(')');
            if t.w.flags & MEDICAL != 0 && !t.cap && strict {
                return false;
            }
            let limit = if bracketed && !strict {
                80
            } else if strict {
                VERB_LIMIT
            } else {
                COMMON
            };
            let word = self.is_word(text, t);
            // a first name even when it is a word ("wife grace"), a surname only when not
            // ("husband works" is no name)
            let as_name = t.w.flags & FIRST != 0 || t.w.flags & LAST != 0 && !word;
            (as_name && t.w.zipf < limit && !t.shout)
                // "md shah": a surname that is also a rare word, after a role
                || (!strict && t.w.flags & LAST != 0 && word && t.w.zipf < 40 && !t.shout)
                || (t.cap && !t.opens && !word && !t.shout)
                || (t.cap && !t.opens && listed(t))
                // an unknown word: no dictionary word, no name, rare ("Oconnell", "RAJIV")
                || (!strict && !word && t.w.zipf < 20 && t.end - t.start >= 4 && !t.shout
                    && t.w.flags & MEDICAL == 0)
        };
        for i in 0..n {
            let t = &toks[i];
            // a rare name-list word
            if listed(t)
                && !t.shout
                && t.w.zipf < RARE
                && t.w.flags & (MEDICAL | STOP) == 0
                && !self.is_word(text, t)
                && t.end - t.start >= 3
                && !eponym(i)
            {
                name[i] = true;
            }
            // only a cue word, or the last word of a cue phrase, can open a name
            if i + 1 >= n || t.w.flags & (TITLE | BEFORE | VERB | AFTER | PHRASE_END) == 0 {
                continue;
            }
            let g = gap(i + 1);
            if g.contains('\n') || !matches!(g.trim().trim_matches('.'), "" | "(" | "," | ":" | "-")
            {
                continue;
            }
            let gt = g.trim().trim_matches('.');
            let title = self.cue(toks, i, TITLE) && gt.is_empty();
            // "RN, Case Manager", "MD, FACC": after a role that follows names, a comma ends
            if gt == "," && self.cue(toks, i, AFTER) {
                continue;
            }
            let before = title || self.cue(toks, i, BEFORE | VERB);
            if !before {
                continue;
            }
            let strict = !title && self.cue(toks, i, VERB) && !self.cue(toks, i, BEFORE);
            let j = i + 1;
            let ok = if title {
                !stop(&toks[j])
                    && toks[j].w.flags & (TITLE | BEFORE | AFTER) == 0
                    && toks[j].end - toks[j].start >= 2
            } else {
                nameish(j, strict) && !eponym(j)
            };
            if ok {
                name[j] = true;
                // "Drs. Smith and Jones", "two sons, Sean and Patrick"
                let mut k = j + 1;
                while k + 1 < n && !gap(k).contains('\n') {
                    let w = key(&text[toks[k].start..toks[k].end]);
                    let next_name = listed(&toks[k + 1]) && nameish(k + 1, false);
                    if w == "and" && next_name {
                        name[k + 1] = true;
                        break;
                    }
                    if !(name[k] || listed(&toks[k]) && nameish(k, false)) {
                        break;
                    }
                    k += 1;
                }
            }
        }
        // a role after: "R. Kowalski RN", "jmartinez, RN"
        for i in 1..n {
            if toks[i].w.flags & AFTER == 0 || toks[i].opens {
                continue;
            }
            let g = gap(i).trim();
            if !(g.is_empty() || g == "," || g == "(") || gap(i).contains('\n') {
                continue;
            }
            let j = i - 1;
            let t = &toks[j];
            // "jmartinez, RN": a user name in lower case
            let handle = t.w.flags & STOP == 0
                && !self.is_word(text, t)
                && t.w.zipf < 20
                && t.end - t.start >= 5
                && text[t.start..t.end].bytes().all(|c| c.is_ascii_lowercase());
            if nameish(j, false) || handle {
                name[j] = true;
            }
        }
        // capitalised first + last in a mixed-case line: "Rose Brown called"
        for i in 0..n.saturating_sub(1) {
            let (a, b) = (&toks[i], &toks[i + 1]);
            if a.cap
                && b.cap
                && joined(i + 1)
                && a.w.flags & FIRST != 0
                && b.w.flags & LAST != 0
                && a.w.flags & (STOP | MEDICAL) == 0
                && b.w.flags & (STOP | MEDICAL) == 0
                && !eponym(i + 1)
            {
                name[i] = true;
                name[i + 1] = true;
            }
        }
        // a signature: "thx -- june", "- K. O'Brien" closing a line
        for (i, named) in name.iter_mut().enumerate() {
            let g = gap(i);
            if g.len() < 2 {
                continue;
            }
            let dashed = g.trim_end().ends_with("--") || g.trim_end().ends_with('—');
            if dashed && (i + 1 == n || gap(i + 1).contains('\n')) && nameish(i, false) {
                *named = true;
            }
        }
        // grow each name over the names, initials and capitalised words next to it: rightward
        // in a forward sweep, leftward in a backward one (each carries a run in one pass); a
        // name is a few words, so a few rounds settle it (and keep a long line linear)
        let cue = TITLE | BEFORE | AFTER | VERB | HEAD | FACILITY;
        let grows_right = |i: usize| {
            let t = &toks[i];
            joined(i)
                && !eponym(i)
                && ((listed(t)
                    && t.w.zipf < COMMON
                    && !stop(t)
                    && t.w.flags & (MEDICAL | cue) == 0
                    && !self.is_word(text, t))
                    || t.initial
                    || (t.cap
                        && !stop(t)
                        && t.w.flags & cue == 0
                        && (!self.is_word(text, t) || listed(t))))
        };
        let grows_left = |i: usize| {
            // token i joins the name at i + 1
            let t = &toks[i];
            joined(i + 1)
                && (!toks[i + 1].opens || t.initial)
                && ((t.w.flags & FIRST != 0
                    && t.w.zipf < COMMON + 5
                    && !stop(t)
                    && t.w.flags & (MEDICAL | TITLE | BEFORE | VERB) == 0)
                    || t.initial
                    || (t.cap && !t.opens && !stop(t) && t.w.flags & (TITLE | BEFORE | VERB) == 0))
        };
        for _ in 0..3 {
            let mut changed = false;
            for i in 1..n {
                if name[i - 1] && !name[i] && grows_right(i) {
                    name[i] = true;
                    changed = true;
                }
            }
            for i in (0..n.saturating_sub(1)).rev() {
                if name[i + 1] && !name[i] && grows_left(i) {
                    name[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut i = 0;
        while i < n {
            if !name[i] {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < n && name[j + 1] && joined(j + 1) {
                j += 1;
            }
            let mut end = toks[j].end;
            if text[..end].ends_with("'s") || text[..end].ends_with("'S") {
                end -= 2;
            }
            hits.push(PhiHit {
                start: toks[i].start,
                end,
                kind: PhiType::Name,
            });
            // a nickname in brackets or quotes right after: 'Walter ("Walt")'
            if j + 1 < n
                && matches!(gap(j + 1).trim(), "(\"" | "(" | "\"" | "(“" | "“")
                && toks[j + 1].cap
                && !text[toks[j + 1].start..toks[j + 1].end]
                    .bytes()
                    .all(|c| c.is_ascii_uppercase())
            {
                hits.push(PhiHit {
                    start: toks[j + 1].start,
                    end: toks[j + 1].end,
                    kind: PhiType::Name,
                });
            }
            i = j + 1;
        }
    }

    /// "Calvert Hospital", "st. mary's", "OAK HILL REHAB": a facility head after words that
    /// can name a place.
    fn facilities(&self, text: &str, toks: &[Tok], hits: &mut Vec<PhiHit>) {
        use flag::*;
        for h in 1..toks.len() {
            if toks[h].w.flags & FACILITY == 0 {
                continue;
            }
            let mut first = h;
            let mut named = false;
            let mut words = 0;
            let mut mods = 0;
            while first > 0 && h - first < 4 {
                let t = &toks[first - 1];
                let g = &text[toks[first].gap_before.0..toks[first].gap_before.1];
                if g.contains('\n')
                    || !g
                        .trim_matches(|c: char| c == ' ' || c == '.' || c == '-')
                        .is_empty()
                {
                    break;
                }
                let modifier = t.w.flags & FACILITY_MOD != 0;
                let word = self.is_word(text, t);
                let naming = !modifier
                    && t.w.flags & (STOP | FACILITY | TITLE | VERB) == 0
                    && (t.cap
                        && !(t.opens
                            && word
                            && !text[t.gap_before.0..t.gap_before.1].contains('\n'))
                        || !word
                            && t.w.flags & MEDICAL == 0
                            && (t.w.zipf < 30 && t.end - t.start >= 3
                                || t.w.flags & (FIRST | LAST) != 0 && t.w.zipf < 50));
                // a word that names no place alone but can be part of a name ("shore")
                let other =
                    !modifier && !naming && t.w.flags & (STOP | FACILITY | TITLE | VERB) == 0;
                if !(modifier || naming || other) {
                    break;
                }
                named |= naming;
                words += 1;
                mods += usize::from(modifier);
                first -= 1;
            }
            // "NORTH SHORE MEDICAL CENTER": three words, one a modifier, before the head
            named |= words >= 3 && mods >= 1;
            // trailing ordinary words that named nothing are left out ("outside hospital")
            while !named && first < h {
                first += 1;
            }
            // modifiers without a naming word ("general hospital") name nothing
            while first < h && toks[first].w.flags & FACILITY_MOD != 0 && !named {
                first += 1;
            }
            if named {
                hits.push(PhiHit {
                    start: toks[first].start,
                    end: toks[h].end,
                    kind: PhiType::Location,
                });
            }
        }
    }

    fn gazetteer(&self, text: &str, toks: &[Tok], hits: &mut Vec<PhiHit>) {
        let mut a = 0;
        while a < toks.len() {
            let cands = if toks[a].w.flags & flag::PLACE_START != 0 {
                self.places.get(&toks[a].h)
            } else {
                None
            };
            let Some(cands) = cands else {
                a += 1;
                continue;
            };
            // the longest place whose words are these tokens, a space or a period between
            let hit = cands.iter().find(|(words, _)| {
                a + words.len() <= toks.len()
                    && words.iter().enumerate().all(|(j, w)| toks[a + j].h == *w)
                    && (1..words.len()).all(|j| {
                        let t = &toks[a + j];
                        let g = &text[t.gap_before.0..t.gap_before.1];
                        g.len() <= 2
                            && g.trim_matches(|c: char| c == ' ' || c == '.' || c == '-')
                                .is_empty()
                    })
            });
            let Some((words, strong)) = hit else {
                a += 1;
                continue;
            };
            let z = a + words.len() - 1;
            if a == z && toks[a].w.flags & flag::MEDICAL != 0 {
                a += 1;
                continue;
            }
            let cued = a > 0 && self.cue(toks, a - 1, flag::PLACE_CUE)
                || z + 1 < toks.len()
                    && toks[z + 1].w.flags & flag::STATE != 0
                    && text[toks[z].end..toks[z + 1].start].trim() == ",";
            let single_cap = toks[a].cap || toks[a].w.zipf < 45;
            if *strong || cued && single_cap || cued && a < z {
                hits.push(PhiHit {
                    start: toks[a].start,
                    end: toks[z].end,
                    kind: PhiType::Location,
                });
            }
            a = z + 1;
        }
    }

    /// "works at raytheon", "job at Wayfair", "oxygen company lincare": after an employer cue,
    /// up to three words that can only be a name (capitalised in a mixed-case line, or no
    /// dictionary word and rare), on one line.
    fn organizations(&self, text: &str, toks: &[Tok], hits: &mut Vec<PhiHit>) {
        use flag::*;
        for i in 0..toks.len() {
            if !self.cue(toks, i, ORG_CUE) {
                continue;
            }
            let mut z = i;
            while z + 1 < toks.len() && z - i < 3 {
                let t = &toks[z + 1];
                let g = &text[t.gap_before.0..t.gap_before.1];
                let glue = g.trim_matches(|c: char| c == ' ' || c == '&' || c == '-' || c == '.');
                let naming = t.w.flags & (STOP | MEDICAL | FACILITY) == 0
                    && !t.shout
                    && (t.cap && !t.opens || !self.is_word(text, t) && t.w.zipf < 35);
                if g.contains('\n') || !glue.is_empty() || !naming {
                    break;
                }
                z += 1;
            }
            if z > i {
                hits.push(PhiHit {
                    start: toks[i + 1].start,
                    end: toks[z].end,
                    kind: PhiType::Location,
                });
            }
        }
    }

    /// Places named by the word before: a rare surname after "at" ("AT CARNEY", "seen at
    /// brigham"), a mount ("mount auburn", "Mt. Sinai") and a saint's hospital by its short name
    /// ("st. v's", "ST. E'S"; not "St. John's wort").
    fn named_places(&self, text: &str, toks: &[Tok], hits: &mut Vec<PhiHit>) {
        use flag::*;
        for i in 0..toks.len().saturating_sub(1) {
            let (a, b) = (&toks[i], &toks[i + 1]);
            let w = &text[a.start..a.end];
            let g = &text[b.gap_before.0..b.gap_before.1];
            let adjacent = g.trim_matches([' ', '.']).is_empty();
            let named = !g.contains('\n') && b.w.flags & (STOP | MEDICAL) == 0;
            let at_name = named
                && w.eq_ignore_ascii_case("at")
                && b.w.flags & (FIRST | LAST) != 0
                && b.w.zipf < 40
                && b.end - b.start >= 4
                && !self.is_word(text, b);
            let mount = named
                && (w.eq_ignore_ascii_case("mount") || w.eq_ignore_ascii_case("mt"))
                && adjacent
                && (b.w.flags & (PLACE_START | FIRST | LAST) != 0 || b.cap && !b.opens);
            let saint = (w.eq_ignore_ascii_case("st") || w.eq_ignore_ascii_case("saint"))
                && adjacent
                && g.len() <= 2
                && {
                    let t = &text[b.start..b.end]; // ASCII letters and apostrophes
                    t.len() > 2 && t[t.len() - 2..].eq_ignore_ascii_case("'s")
                }
                && !toks
                    .get(i + 2)
                    .is_some_and(|t| text[t.start..t.end].eq_ignore_ascii_case("wort"));
            if at_name || mount || saint {
                hits.push(PhiHit {
                    start: if at_name { b.start } else { a.start },
                    end: b.end,
                    kind: PhiType::Location,
                });
            }
        }
    }

    /// A state after "from", "in", "to" ("called from nh", "flew back from CALIFORNIA").
    fn states(&self, text: &str, toks: &[Tok], hits: &mut Vec<PhiHit>) {
        for a in 1..toks.len() {
            let t = &toks[a];
            // two-letter codes that are also clinical abbreviations (CT, ID, PA, MS) never
            let code = t.end - t.start == 2;
            if t.w.flags & flag::STATE != 0
                && t.w.flags & (flag::STOP | flag::MEDICAL) == 0
                && !(code
                    && (t.shout
                        || matches!(
                            &text[t.start..t.end].to_ascii_lowercase()[..],
                            "ct" | "id"
                                | "in"
                                | "or"
                                | "me"
                                | "pa"
                                | "md"
                                | "de"
                                | "co"
                                | "la"
                                | "ms"
                                | "ga"
                                | "al"
                                | "ar"
                                | "mi"
                                | "mo"
                                | "va"
                                | "wa"
                                | "ne"
                                | "ok"
                                | "hi"
                                | "sc"
                                | "nc"
                                | "oh"
                        )))
                && self.cue(toks, a - 1, flag::PLACE_CUE)
                && !hits
                    .iter()
                    .rev()
                    .take(4)
                    .any(|h| h.start <= t.start && t.end <= h.end)
            {
                hits.push(PhiHit {
                    start: t.start,
                    end: t.end,
                    kind: PhiType::Location,
                });
            }
        }
    }

    /// Chinese names after a cue (患者, 主治医师：, 其子) or before a title (医生, 主任),
    /// starting with a surname.
    fn chinese_names(&self, text: &str, hits: &mut Vec<PhiHit>) {
        if let Some(ac) = &self.zh_before {
            let cues: Vec<_> = ac.find_iter(text).collect();
            for (i, m) in cues.iter().enumerate() {
                let end = self.zh_cue_end(text, m.start(), m.end());
                let rest = text[end..].trim_start_matches([' ', ':', '：', '\u{3000}']);
                let mut at = text.len() - rest.len();
                // "患儿母亲刘晓燕": the name comes after the next cue
                if cues.get(i + 1).is_some_and(|n| n.start() == at) {
                    continue;
                }
                // "记录者：夏天", "谈话医师：热依拉": a person's field in a form holds a name
                // whatever its characters
                if let Some(len) =
                    form_field_value(&text[m.start()..end], &text[end..at], &text[at..])
                {
                    if self.zh_name_at(&text[at..]).is_none() {
                        hits.push(PhiHit {
                            start: at,
                            end: at + len,
                            kind: PhiType::Name,
                        });
                        continue;
                    }
                }
                // "访视护士：阮晓琳、苗佳": a list of names after one cue
                while let Some(len) = self.zh_name_at(&text[at..]) {
                    // "与患者关系：": a label, not a name
                    if text[at + len..].starts_with([':', '：']) {
                        break;
                    }
                    hits.push(PhiHit {
                        start: at,
                        end: at + len,
                        kind: PhiType::Name,
                    });
                    at += len;
                    // names in a list: 、 or a comma between them, or spaces in a signature line
                    let sep = text[at..].strip_prefix(['、', '，', ',']).or_else(|| {
                        let r = text[at..].trim_start_matches([' ', '\u{3000}']);
                        (r.len() < text.len() - at && !r.starts_with('\n')).then_some(r)
                    });
                    match sep {
                        Some(r)
                            if self.zh_name_at(r).is_some_and(|l| {
                                l < r.len()
                                    && r[l..].starts_with(['、', '，', ',', ' ', '；', '。'])
                            }) || text[at..].starts_with('、') =>
                        {
                            at = text.len() - r.len();
                        }
                        _ => break,
                    }
                }
            }
        }
        if let Some(ac) = &self.zh_after {
            let mut last_end = usize::MAX;
            for m in ac.find_iter(text) {
                // a title right after another ("主任医师") or after a word that makes one with
                // it ("夜班护士", "主管医生") has no name before it
                let chained = last_end == m.start();
                last_end = m.end();
                if chained
                    || self
                        .zh_title_parts
                        .iter()
                        .any(|p| text[..m.start()].ends_with(p.as_str()))
                {
                    continue;
                }
                let before: Vec<(usize, char)> =
                    text[..m.start()].char_indices().rev().take(4).collect();
                // the longest surname + given chars that ends right before the title and
                // starts after a break
                let mut best = None;
                for len in (1..=before.len().min(4)).rev() {
                    let (at, _) = before[len - 1];
                    let cand = &text[at..m.start()];
                    let Some(sur) = self.zh_surname_len(cand) else {
                        continue;
                    };
                    // "由刘医生": 由 is a surname too, but here the word before the name (a
                    // surname alone before a title may be one: "曾主任")
                    if len > sur && cand.starts_with(|c: char| ZH_BREAK.contains(c)) {
                        continue;
                    }
                    if len == 2 && cand.chars().nth(0) == cand.chars().nth(1) {
                        continue;
                    }
                    if sur > len
                        || !cand.chars().skip(sur).all(|c| self.zh_given_char(c))
                        || len - sur > 2
                    {
                        continue;
                    }
                    let prev = text[..at].chars().next_back();
                    let open = prev.is_none_or(|p| {
                        !crate::tokens::is_cjk(p)
                            || ZH_BREAK.contains(p)
                            || ZH_NOT_GIVEN.contains(p)
                    });
                    // a surname alone: before a person's title only ("告知李大夫", not "加强陪护")
                    let title = [
                        "医生", "医师", "大夫", "主任", "护士", "教授", "老师", "院长", "主治",
                        "阿姨", "师傅", "先生", "女士",
                    ]
                    .iter()
                    .any(|w| text[m.start()..].starts_with(w));
                    let doubled = prev == cand.chars().next();
                    if open || len == sur && title && !doubled {
                        best = Some(at);
                        break;
                    }
                }
                if let Some(at) = best {
                    hits.push(PhiHit {
                        start: at,
                        end: m.start(),
                        kind: PhiType::Name,
                    });
                }
            }
        }
    }

    /// 小何, 老孙: a nickname, 小/老 and a surname, with a break or a role after it.
    fn zh_nicknames(&self, text: &str, hits: &mut Vec<PhiHit>) {
        for (i, c) in text.char_indices() {
            if c != '小' && c != '老' {
                continue;
            }
            let mut rest = text[i + c.len_utf8()..].chars();
            let Some(s) = rest.next() else { continue };
            if !self.zh_surnames.contains(&s)
                || "时于便量儿孩年人姐妹哥弟爷奶伴母父师板大家乡".contains(s)
            {
                continue;
            }
            let after = &text[i + c.len_utf8() + s.len_utf8()..];
            let ends = after.is_empty()
                || after.starts_with([
                    '，', '。', '、', '；', '：', '（', '(', ' ', '\n', ':', ',', '；',
                ])
                || [
                    "接班", "交班", "来", "说", "医生", "护士", "陪", "告知", "已", "和", "与",
                ]
                .iter()
                .any(|w| after.starts_with(w));
            if ends {
                hits.push(PhiHit {
                    start: i,
                    end: i + c.len_utf8() + s.len_utf8(),
                    kind: PhiType::Name,
                });
            }
        }
    }

    /// A city or province by its short name where a place is expected: after 在/去/回/到/
    /// 住/于/来自..., or before 市/人/工作/打工 ("在深圳工作", "回汕头老家", "河南人").
    fn zh_cities(&self, text: &str, hits: &mut Vec<PhiHit>) {
        let Some(ac) = &self.zh_places else { return };
        for m in ac.find_iter(text) {
            let prev = text[..m.start()].chars().next_back();
            let after = &text[m.end()..];
            let cued = prev.is_some_and(|p| "在去回到住于至赴往从自来转返".contains(p))
                || [
                    "市", "人", "工作", "打工", "上学", "老家", "读书", "出差", "旅游",
                ]
                .iter()
                .any(|w| after.starts_with(w));
            if cued {
                hits.push(PhiHit {
                    start: m.start(),
                    end: m.end(),
                    kind: PhiType::Location,
                });
            }
        }
    }

    /// A line that is a name alone: the signature under a note ("周丽娟").
    fn zh_signatures(&self, text: &str, hits: &mut Vec<PhiHit>) {
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let t = line.trim();
            let n = t.chars().count();
            if (2..=4).contains(&n)
                && t.chars().all(crate::tokens::is_cjk)
                && self.zh_name_like(t)
                && !ZH_NOT_NAMES.iter().any(|w| t.starts_with(w))
            {
                let start = at + line.find(t).unwrap_or(0);
                hits.push(PhiHit {
                    start,
                    end: start + t.len(),
                    kind: PhiType::Name,
                });
            }
            at += line.len();
        }
    }

    /// The byte length of a Chinese name that `s` starts with: a surname and one or two given
    /// chars, the second given char only when the char after it cannot start the next words.
    /// Where the cue found at `start..end` ends: further where another cue begins inside it
    /// and runs past it ("其女儿秦晓燕": 其女 then 女儿), for the automaton finds one of the two.
    fn zh_cue_end(&self, text: &str, start: usize, end: usize) -> usize {
        let inside = (start + 1..end).filter(|&k| text.is_char_boundary(k));
        inside
            .flat_map(|k| {
                let rest = &text[k..];
                self.zh_before_words
                    .iter()
                    .filter(move |c| rest.starts_with(c.as_str()))
                    .map(move |c| k + c.len())
            })
            .filter(|&e| e > end)
            .max()
            .unwrap_or(end)
    }

    fn zh_name_at(&self, s: &str) -> Option<usize> {
        let c: Vec<(usize, char)> = s.char_indices().take(5).collect();
        let ch = |i: usize| c.get(i).map(|x| x.1);
        let sur = self.zh_surname_len(s)?;
        if ch(0).is_some_and(|x| ZH_BREAK.contains(x)) {
            return None;
        }
        let given = |i: usize| ch(i).is_some_and(|x| self.zh_given_char(x));
        if !given(sur) {
            return None;
        }
        // a second given char unless the char after it could also be one ("其子侯涛表示":
        // 侯涛, not 侯涛表); a compound surname takes two
        let len = if given(sur + 1) && (sur == 2 || !given(sur + 2)) {
            sur + 2
        } else {
            sur + 1
        };
        // "谢谢", "好好": a char doubled is a word
        if len == 2 && ch(0) == ch(1) {
            return None;
        }
        // "皮肤科", "谈话室": a department or a room, not a name
        if ch(len).is_some_and(|x| "科室院部组楼".contains(x)) {
            return None;
        }
        Some(c.get(len).map_or(s.len(), |x| x.0))
    }

    /// Does `s` look like a name: a surname and given-name chars only?
    pub fn zh_name_like(&self, s: &str) -> bool {
        self.zh_surname_len(s).is_some_and(|sur| {
            let given: Vec<char> = s.chars().skip(sur).collect();
            !given.is_empty()
                && given.len() <= 2
                && given.iter().all(|&c| self.zh_given_char(c))
                && s.chars().nth(0) != s.chars().nth(1)
        })
    }

    /// The chars of a surname `s` starts with: 2 for a compound one (欧阳), 1, or none.
    pub fn zh_surname_len(&self, s: &str) -> Option<usize> {
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(a), Some(b)) if self.zh_compound.contains(&(a, b)) => Some(2),
            (Some(a), _) if self.zh_surnames.contains(&a) => Some(1),
            _ => None,
        }
    }

    /// Can `c` be part of a given name? The listed given-name chars, and any other Han char
    /// that is neither a function word nor one that names a thing ("科", "院", "床").
    fn zh_given_char(&self, c: char) -> bool {
        self.zh_given.contains(&c)
            || crate::tokens::is_cjk(c) && !ZH_BREAK.contains(c) && !ZH_NOT_GIVEN.contains(c)
    }
}

/// Han chars that end a name's run: they name things, places or times, not people.
const ZH_NOT_GIVEN: &str = "式看黑尔属史断址讯龄醉科院部室区床号级期型度次分秒天周月年日时病症癌炎痛查房诊治疗术药医护师士生长人者属患儿位处例种项组号市省县镇村路街";

/// Chinese hospitals and clinics: the run of Han chars before 医院/卫生院/... back to a
/// function word or punctuation ("转入郸城县人民医院" -> 郸城县人民医院); "我院", "当地医院"
/// and the like name no place.
fn zh_facilities(text: &str, hits: &mut Vec<PhiHit>) {
    static AC: std::sync::OnceLock<AhoCorasick> = std::sync::OnceLock::new();
    let ac = AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build([
                "医院",
                "卫生院",
                "体检中心",
                "健康管理中心",
                "卫生服务中心",
                "卫生服务站",
                "卫生室",
                "诊所",
                "保健院",
                "门诊部",
                "医疗中心",
                "医学中心",
                "疗养院",
                "养老院",
                // workplaces and schools
                "厂",
                "公司",
                "集团",
                "幼儿园",
                "小学",
                "中学",
                "大学",
            ])
            .expect("facility heads")
    });
    const GENERIC: &[&str] = &[
        "送检",
        "转诊",
        "就诊",
        "定点",
        "三甲",
        "互联网",
        "网上",
        "公立",
        "民营",
        "综合性",
        "我",
        "本",
        "该",
        "外",
        "当地",
        "上级",
        "基层",
        "其他",
        "附近",
        "各级",
        "省级",
        "市级",
        "县级",
        "乡镇",
        "专科",
        "综合",
        "大",
        "小",
        "私人",
        "多家",
        "多",
        "某",
        "一家",
        "家",
        "住",
        "出",
        "回",
        "去",
        "到",
        "上述",
        "此",
        "两",
        "三",
        "几",
    ];
    for m in ac.find_iter(text) {
        let mut start = m.start();
        let mut n = 0;
        for (i, c) in text[..m.start()].char_indices().rev() {
            if !crate::tokens::is_cjk(c) && !c.is_ascii_digit() || ZH_BREAK.contains(c) || n >= 12 {
                break;
            }
            start = i;
            n += 1;
        }
        let name = &text[start..m.start()];
        if n >= 2 && !GENERIC.contains(&name) {
            hits.push(PhiHit {
                start,
                end: m.end(),
                kind: PhiType::Location,
            });
        }
    }
}

/// Chinese places by their division suffix: 成都市, 萧山区, 郸城县, 宁平镇, 李庄村 (the run of
/// Han chars before it back to a function word, two to four of them), but not 病区, 心前区,
/// 社区, 超市, 镇痛.
fn zh_divisions(text: &str, hits: &mut Vec<PhiHit>) {
    const NOT_PLACE: &str = "节叶段灶野心肝脾肺肾胃肠腹胸背腰头颈部前后左右上下内外侧病术疗治诊院科药血手足眼耳鼻口牙骨皮肤";
    const GENERIC: &[&str] = &[
        "社", "小", "园", "景", "城", "市", "郊", "山", "农", "乡", "城乡", "超", "上", "都", "门",
        "夜", "黑", "本", "外", "全", "各", "老", "新", "同", "城镇", "乡镇", "地", "灾", "牧",
        "渔", "疫", "高发", "流行", "偏远", "贫困", "行政", "开发", "示范", "试点", "高危", "重点",
        "该", "其", "邻", "周边",
    ];
    let mut prev_end = 0;
    for (i, c) in text.char_indices() {
        if !matches!(c, '省' | '市' | '区' | '县' | '镇' | '乡' | '村') || i < prev_end {
            continue;
        }
        let next = text[i + c.len_utf8()..].chars().next();
        if c == '镇' && next.is_some_and(|n| "静痛定咳痉".contains(n))
            || c == '市' && next == Some('场')
        {
            continue;
        }
        let mut start = i;
        let mut n = 0;
        for (j, p) in text[..i].char_indices().rev() {
            if j < prev_end
                || !crate::tokens::is_cjk(p)
                || ZH_BREAK.contains(p)
                || NOT_PLACE.contains(p)
                || n >= 4
            {
                break;
            }
            start = j;
            n += 1;
        }
        let run = &text[start..i];
        if n >= 2 && !GENERIC.contains(&run)
            || n == 1 && matches!(c, '县' | '村' | '镇') && !GENERIC.contains(&run)
        {
            let end = i + c.len_utf8();
            hits.push(PhiHit {
                start,
                end,
                kind: PhiType::Location,
            });
            prev_end = end;
        }
    }
}

/// Words a line or a clause may open with, before a colon, that are no names.
pub const ZH_NOT_NAMES: &[&str] = &[
    "麻醉", "初步", "家族", "门诊", "通讯", "查体", "查房", "主诉", "诊断", "处理", "计划", "医嘱",
    "结论", "印象", "病史", "治疗", "体检", "检查", "复查", "随访", "建议", "意见", "说明", "备注",
    "地址", "电话", "手机", "时间", "日期", "性别", "年龄", "科室", "床号", "姓名", "单位", "职业",
    "民族", "婚姻", "籍贯", "出生", "住址", "联系", "签名", "签字", "记录", "交班", "接班", "出院",
    "入院", "新入", "病危", "病重", "翻译", "家属", "方案", "石膏", "周期", "钱医", "黄疸", "白细",
    "林可", "高血", "胡言", "于是", "马上", "何时", "余下", "江湖", "应用", "应该", "严重", "华法",
    "程度", "项目", "费用", "方式", "名称", "经过", "表现", "部位", "范围", "宋体", "司法", "武器",
    "关节", "管理", "夜班", "白班", "交接", "护理", "病程", "会诊", "转科", "出院", "夜间", "全天",
    "晨间", "康复",
];

/// Chars that end or open the words around a Chinese name ("患者李华因…", "由刘医生"):
/// function words and verbs that rarely belong to a given name.
const ZH_BREAK: &str = "因于自在与和及或的了是为被由从对向诉述称主入出现今已无有不未以来去到至经行术后前时曾于其住回我你他她您们这那哪、，。；：:;,.（）()“”\"' 男女岁床";

/// The byte length of the value of a form's person field: `cue` names a person ("记录者",
/// "谈话医师", "签名"; not a relative, whose field may hold their health) and a colon ends it or is in `between` (what separates it from `after`),
/// then two to four Chinese characters (or a name joined by "·": "买买提·艾力") up to a
/// space, a bracket, 、 or ；, the end of the field (a
/// comma or a full stop after them is a sentence: "父亲：健在，"). Not a blank ("无", "不详").
fn form_field_value(cue: &str, between: &str, after: &str) -> Option<usize> {
    let label = cue.trim_end_matches([':', '：']);
    let last = label.chars().next_back()?;
    let colon = cue.ends_with([':', '：']) || between.contains([':', '：']);
    // a dialogue's speakers ("医生：您好") say words, not names
    let speaker = ["医生", "医师", "患者", "病人", "护士", "家属", "患儿"].contains(&label);
    // a relative's field may hold their health ("父亲：冠心病"): names there need a surname
    if !colon || speaker || !"者人师生士名长签".contains(last) {
        return None;
    }
    let mut len = 0;
    let mut chars = 0;
    for c in after.chars() {
        // Han characters only (the CJK range holds 、 。 and the ideographic space too)
        if matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}') || c == '·' && chars > 0
        {
            len += c.len_utf8();
            chars += 1;
        } else {
            break;
        }
    }
    let value = &after[..len];
    let ends = after[len..]
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || "；、;（(".contains(c));
    let blank = [
        "无",
        "不详",
        "暂无",
        "未知",
        "本人",
        "患者",
        "家属",
        "同上",
        "见上",
        "拒绝",
        "体健",
        "健在",
        "已故",
        "阴性",
        "阳性",
        "正常",
        "同意",
        "不同意",
        "良好",
        "死亡",
        "去世",
    ]
    .iter()
    .any(|w| value.starts_with(w));
    // "会诊医师：消化内科 欧阳建平": the department comes first
    let department = value.ends_with(|c: char| "科室院部区组".contains(c));
    let sized = !department
        && if value.contains('·') {
            chars <= 12 && !value.ends_with('·')
        } else {
            (2..=4).contains(&chars)
        };
    (sized && ends && !blank).then_some(len)
}

/// A word as the lexicon keys it: ASCII lower case, apostrophes dropped ("O'Brien" -> "obrien"),
/// a possessive 's too ("Healey's" -> "healey").
fn key(w: &str) -> String {
    let w = w
        .strip_suffix("'s")
        .or_else(|| w.strip_suffix("'S"))
        .unwrap_or(w);
    w.bytes()
        .filter(|&c| c != b'\'')
        .map(|c| c.to_ascii_lowercase() as char)
        .collect()
}

/// Capital and small ASCII letters of a line, in one pass.
fn case_counts(line: &[u8]) -> (usize, usize) {
    line.iter().fold((0, 0), |(u, l), c| {
        (
            u + usize::from(c.is_ascii_uppercase()),
            l + usize::from(c.is_ascii_lowercase()),
        )
    })
}

/// The hash of a word's key.
fn hkey(w: &str) -> u64 {
    let b = w.as_bytes();
    let b = match b {
        [rest @ .., b'\'', b's' | b'S'] => rest,
        _ => b,
    };
    let mut buf = [0u8; 32];
    if b.len() > buf.len() {
        return hash_bytes(key(w).as_bytes());
    }
    let mut n = 0;
    for &c in b {
        buf[n] = c.to_ascii_lowercase();
        n += usize::from(c != b'\'');
    }
    hash_bytes(&buf[..n])
}

/// The words of a name as the tokenizer cuts them: runs of ASCII letters and apostrophes.
fn words_of(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flag::*;

    fn lex() -> PhiLexicon {
        let w = |s: &str, f: u32, z: u8| (s.to_string(), f, z);
        PhiLexicon::new(
            vec![
                w("healey", LAST, 25),
                w("rizzo", LAST, 30),
                w("rich", FIRST, 49),
                w("martino", LAST, 28),
                w("foley", LAST | MEDICAL, 35),
                w("catheter", HEAD, 30),
                w("dr", TITLE, 50),
                w("husband", BEFORE, 45),
                w("in", STOP | PLACE_CUE, 70),
                w("to", STOP, 70),
                w("talk", 0, 50),
                w("hospital", FACILITY, 50),
                w("calvert", LAST, 20),
                w("rn", AFTER, 30),
                w("kowalski", LAST, 22),
                w("mary", FIRST, 45),
                w("wife", BEFORE, 50),
                w("at", STOP, 70),
                w("bedside", 0, 30),
                w("the", STOP, 75),
                w("lives", 0, 50),
                w("transfer", 0, 45),
                w("from", STOP | PLACE_CUE, 70),
                w("and", STOP, 75),
            ],
            vec!["gallop".into()],
            vec![("spoke with".into(), VERB), ("works at".into(), ORG_CUE)],
            vec![("revere".into(), false), ("east boston".into(), true)],
            vec!["李".into(), "刘".into(), "欧阳".into(), "秦".into()],
            "华明娜".into(),
            vec![
                "患者".into(),
                "主治医师".into(),
                "记录者".into(),
                "其女".into(),
                "女儿".into(),
            ],
            vec!["医生".into()],
            vec!["夜班".into()],
            vec!["深圳".into()],
        )
    }

    fn found(text: &str) -> Vec<&str> {
        let mut hits = Vec::new();
        lex().find(text, &mut hits);
        // overlaps resolved as the Deidentifier does: leftmost, then longest
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        let mut end = 0;
        hits.iter()
            .filter(|h| {
                let keep = h.start >= end;
                end = end.max(h.end);
                keep
            })
            .map(|h| &text[h.start..h.end])
            .collect()
    }

    #[test]
    fn names_in_any_case_beside_cues() {
        assert_eq!(found("followed at gh by dr healey"), ["healey"]);
        assert_eq!(found("PLAN: DR RIZZO IN TO TALK"), ["RIZZO"]);
        assert_eq!(found("Husband Rich Martino in to visit"), ["Rich Martino"]);
        assert_eq!(found("wife at the bedside"), Vec::<&str>::new());
        assert_eq!(found("R. Kowalski RN"), ["R. Kowalski"]);
        assert_eq!(
            found("foley catheter draining; FOLEY in place"),
            Vec::<&str>::new()
        );
        assert_eq!(found("dr foley aware"), ["foley"]);
    }

    #[test]
    fn places() {
        assert_eq!(
            found("TRANSFER FROM CALVERT HOSPITAL"),
            ["CALVERT HOSPITAL"]
        );
        assert_eq!(found("lives in revere; the hospital"), ["revere"]);
        assert_eq!(found("revere and East Boston"), ["East Boston"]);
        assert_eq!(found("works at raytheon in revere"), ["raytheon", "revere"]);
        assert_eq!(found("works at the hospital"), Vec::<&str>::new());
        assert_eq!(
            found("went to st. v's ed, ST E'S before"),
            ["st. v's", "ST E'S"]
        );
        assert_eq!(found("st. john's wort daily"), Vec::<&str>::new());
        assert_eq!(
            found("PRIOR PCI AT CALVERT. left mount revere"),
            ["CALVERT", "mount revere"]
        );
        assert_eq!(found("wet mount showed"), Vec::<&str>::new());
    }

    #[test]
    fn chinese() {
        assert_eq!(
            found("患者李华因胸痛入院，由刘医生接诊。主治医师：欧阳娜娜"),
            ["李华", "刘", "欧阳娜娜"]
        );
        assert_eq!(
            found("曾在当地医院就诊，后转入郸城县人民医院。"),
            ["郸城县人民医院"]
        );
        assert_eq!(found("我在深圳工作。深圳湾"), ["深圳"]);
        // one cue overlapping the end of another: 其女 then 女儿
        assert_eq!(found("由其女儿秦晓燕及女婿照顾"), ["秦晓燕"]);
        // a form's person field holds a name whatever its characters; a speaker says words
        assert_eq!(found("记录者：夏天　审核：略"), ["夏天"]);
        assert_eq!(found("记录者：买买提·艾力"), ["买买提·艾力"]);
        assert_eq!(found("患者：好的，谢谢。记录者：无"), Vec::<&str>::new());
        assert_eq!(found("检验者：阴性　记录者：体健"), Vec::<&str>::new());
    }
}
