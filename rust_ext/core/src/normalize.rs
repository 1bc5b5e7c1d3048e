//! Text normalization with an offset map back to the original.
//!
//! Steps, in one pass over the input: Unicode NFKC (which also folds full-width forms and circled
//! digits), lower-casing, traditional Chinese characters to simplified, unified dashes / quotes /
//! slashes, removal of invisible format characters, whitespace collapse; then a second, rarely taken pass that rewrites Roman numerals used as type
//! numbers ("type II", "Ⅱ型", "stage iv") as Arabic digits.
//!
//! Every byte of the output remembers the span of original characters (code points, as Python
//! counts them) it came from, so every later span can be reported in original offsets.

use crate::t2s_table::T2S;
use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

/// Normalized text plus, for each of its bytes, the original character span it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// `orig_start[b]` / `orig_end[b]`: original char span of the output char that holds byte `b`.
    pub orig_start: Vec<u32>,
    pub orig_end: Vec<u32>,
}

impl Normalized {
    /// Original char span `[start, end)` of the normalized byte span `[bstart, bend)`.
    /// Returns `None` if the span is empty, out of range or not on char boundaries.
    pub fn original_span(&self, bstart: usize, bend: usize) -> Option<(u32, u32)> {
        if bstart >= bend
            || bend > self.text.len()
            || !self.text.is_char_boundary(bstart)
            || !self.text.is_char_boundary(bend)
        {
            return None;
        }
        Some((self.orig_start[bstart], self.orig_end[bend - 1]))
    }

    /// Per output *char* original spans (what Python sees: one entry per code point).
    pub fn char_spans(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.text
            .char_indices()
            .map(move |(b, _)| (self.orig_start[b], self.orig_end[b]))
    }

    fn with_capacity(n: usize) -> Self {
        Normalized {
            text: String::with_capacity(n),
            orig_start: Vec::with_capacity(n),
            orig_end: Vec::with_capacity(n),
        }
    }

    #[inline]
    fn push(&mut self, c: char, start: u32, end: u32) {
        let n = c.len_utf8();
        self.text.push(c);
        if n == 1 {
            self.orig_start.push(start);
            self.orig_end.push(end);
        } else {
            self.orig_start.extend(std::iter::repeat_n(start, n));
            self.orig_end.extend(std::iter::repeat_n(end, n));
        }
    }

    fn ends_with_space(&self) -> bool {
        matches!(self.text.as_bytes().last(), Some(b' ' | b'\n'))
    }

    /// Emit a collapsed space for whitespace at original span `[start, end)`. A run that holds a
    /// line break collapses to `\n` instead: line ends bound sentences in clinical notes.
    fn push_space(&mut self, start: u32, end: u32, newline: bool) {
        if self.text.is_empty() {
            return; // leading whitespace is dropped
        }
        if self.ends_with_space() {
            let last = self.orig_end.len() - 1;
            self.orig_end[last] = end; // widen the existing space over this run
            if newline && self.text.ends_with(' ') {
                self.text.pop();
                self.text.push('\n');
            }
        } else {
            self.push(if newline { '\n' } else { ' ' }, start, end);
        }
    }

    /// ASCII text, one original char per byte: the hot loop for mostly-English text. Runs of
    /// printable non-space bytes are copied and lower-cased in bulk.
    fn push_ascii_run(&mut self, run: &str, ci: u32) {
        let b = run.as_bytes();
        let plain = |x: u8| PLAIN[x as usize];
        let mut k = 0;
        while k < b.len() {
            if plain(b[k]) {
                let s = k;
                // A lone space between two printable bytes stays as it is, so a run is usually a
                // whole line, not a word.
                while k < b.len()
                    && (plain(b[k])
                        || (b[k] == b' '
                            && plain(b[k - 1])
                            && b.get(k + 1).is_some_and(|&x| plain(x))))
                {
                    k += 1;
                }
                let at = self.text.len();
                self.text.push_str(&run[s..k]);
                self.text[at..].make_ascii_lowercase();
                let (lo, hi) = (ci + s as u32, ci + k as u32);
                self.orig_start.extend(lo..hi);
                self.orig_end.extend(lo + 1..hi + 1);
                continue;
            }
            let c = ci + k as u32;
            match b[k] {
                b' ' | b'\t' | 0x0b | 0x0c => self.push_space(c, c + 1, false),
                b'\n' | b'\r' => self.push_space(c, c + 1, true),
                b'`' => self.push('\'', c, c + 1),
                _ => {} // NUL and other controls carry no text
            }
            k += 1;
        }
    }

    fn push_folded(&mut self, c: char, start: u32, end: u32) {
        if c.is_ascii() {
            let c = c.to_ascii_lowercase();
            match c {
                ' ' | '\t' | '\x0b' | '\x0c' => self.push_space(start, end, false),
                '\n' | '\r' => self.push_space(start, end, true),
                '`' => self.push('\'', start, end),
                c if c.is_ascii_control() => {} // NUL and friends carry no text
                c => self.push(c, start, end),
            }
            return;
        }
        if c.is_whitespace() {
            let newline = matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
            return self.push_space(start, end, newline);
        }
        match unify_punct(c) {
            Some(Some(u)) => self.push(u, start, end),
            Some(None) => {}
            None if c as u32 >= 0x3400 && simplified(c) != c => {
                self.push(simplified(c), start, end)
            }
            None => {
                for l in c.to_lowercase() {
                    self.push(l, start, end);
                }
            }
        }
    }
}

/// The simplified form of a traditional Chinese character ("壓" -> "压"), else `c`. Characters
/// that are also correct in simplified text (乾, 於, 徵) are left alone; see tools/gen_t2s.py.
pub fn simplified(c: char) -> char {
    T2S.binary_search_by_key(&(c as u32), |p| p.0)
        .ok()
        .and_then(|i| char::from_u32(T2S[i].1))
        .unwrap_or(c)
}

/// Printable ASCII copied as is (but lower-cased): everything but spaces, controls and '`'.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = (i as u8).is_ascii_graphic() && i as u8 != b'`';
        i += 1;
    }
    t
};

/// Length of the ASCII prefix of `b`, eight bytes at a time.
fn ascii_prefix_len(b: &[u8]) -> usize {
    let mut n = 0;
    for c in b.chunks_exact(8) {
        if u64::from_le_bytes(c.try_into().expect("8 bytes")) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        n += 8;
    }
    n + b[n..].iter().take_while(|x| x.is_ascii()).count()
}

/// `Some(Some(c))`: replace with `c`; `Some(None)`: drop (invisible); `None`: keep as is.
fn unify_punct(c: char) -> Option<Option<char>> {
    Some(match c {
        '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{2E3A}'
        | '\u{2E3B}'
        | '\u{FE58}'
        | '\u{FE63}' => Some('-'),
        '\u{2018}'..='\u{201B}' | '\u{2032}' | '\u{00B4}' => Some('\''),
        '\u{201C}'..='\u{201F}'
        | '\u{2033}'
        | '\u{00AB}'
        | '\u{00BB}'
        | '\u{300C}'..='\u{300F}' => Some('"'),
        '\u{2044}' | '\u{2215}' | '\u{29F8}' => Some('/'),
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        c if c.is_control() => None,
        _ => return None,
    })
}

/// Normalize one string. Never panics; the empty string gives the empty result.
pub fn normalize(input: &str) -> Normalized {
    let mut out = Normalized::with_capacity(input.len());
    normalize_into(input, &mut out);
    out
}

/// [`normalize`] into a reused buffer: batch callers keep one and skip the allocations (and the
/// page faults of fresh ones) per document.
pub fn normalize_into(input: &str, out: &mut Normalized) {
    out.text.clear();
    out.orig_start.clear();
    out.orig_end.clear();
    let bytes = input.as_bytes();
    let mut seg = String::new();
    let mut i = 0; // byte index into input
    let mut ci: u32 = 0; // original char index
    while i < bytes.len() {
        let b = bytes[i];
        // Fast path: a run of ASCII not followed by a combining mark needs no Unicode tables.
        if b < 0x80 {
            let mut j = i + 1 + ascii_prefix_len(&bytes[i + 1..]);
            if j < bytes.len() {
                j -= 1; // the last ASCII byte may start a segment with combining marks
            }
            if j > i {
                out.push_ascii_run(&input[i..j], ci);
                ci += (j - i) as u32;
                i = j;
                continue;
            }
        }
        // A segment is a starter plus the combining marks after it: NFKC composes within it.
        let start = ci;
        let mut rest = input[i..].chars();
        let c = rest.next().expect("i is on a char boundary");
        i += c.len_utf8();
        ci += 1;
        seg.clear();
        seg.push(c);
        for n in rest {
            if !continues_segment(n) {
                break;
            }
            seg.push(n);
            i += n.len_utf8();
            ci += 1;
        }
        if seg.len() == c.len_utf8()
            && unicode_normalization::is_nfkc_quick(std::iter::once(c))
                == unicode_normalization::IsNormalized::Yes
        {
            out.push_folded(c, start, ci);
        } else {
            for n in seg.nfkc() {
                out.push_folded(n, start, ci);
            }
        }
    }
    if out.ends_with_space() {
        out.text.pop();
        out.orig_start.pop();
        out.orig_end.pop();
    }
    if let Some(rewritten) = arabize_type_numerals(out) {
        *out = rewritten;
    }
}

/// Does `n` belong to the segment before it: a combining mark, or a char whose compatibility
/// decomposition starts with one (U+0F81 is a starter that decomposes to two marks, the
/// half-width voiced mark U+FF9E to U+3099, which NFKC reorders with the marks before it)?
fn continues_segment(n: char) -> bool {
    if n.is_ascii() {
        return false;
    }
    if canonical_combining_class(n) != 0 {
        return true;
    }
    if (n as u32) < 0x0300 || crate::tokens::is_cjk(n) && !matches!(n, '\u{FF9E}' | '\u{FF9F}') {
        return false; // no decomposition there starts with a mark
    }
    let mut first = None;
    unicode_normalization::char::decompose_compatible(n, |d| {
        first.get_or_insert(d);
    });
    first.is_some_and(|d| canonical_combining_class(d) != 0)
}

/// Words after which a Roman numeral is a type / stage number.
const TYPE_WORDS: &[&str] = &[
    "type", "types", "grade", "stage", "class", "phase", "level", "degree", "group", "tier",
    "category", "cin", "nyha",
];
/// CJK suffixes before which a Roman numeral is a type / stage number (II型, Ⅲ期, Ⅱ度, Ⅳ级).
const TYPE_SUFFIXES: &[char] = &['型', '期', '度', '级', '級', '类', '類', '相', '号'];

fn roman_value(s: &[u8]) -> Option<u32> {
    let v = |b: u8| match b {
        b'i' => 1,
        b'v' => 5,
        b'x' => 10,
        b'l' => 50,
        _ => 0,
    };
    if s.is_empty() || s.len() > 7 {
        return None;
    }
    let mut total: i32 = 0;
    for (k, &b) in s.iter().enumerate() {
        let cur = v(b);
        if cur == 0 {
            return None;
        }
        let next = s.get(k + 1).map(|&n| v(n)).unwrap_or(0);
        total += if cur < next { -cur } else { cur };
    }
    // Accept only the canonical spelling, so "iiv" or "vv" stay words.
    let total = u32::try_from(total)
        .ok()
        .filter(|&t| (1..=50).contains(&t))?;
    (to_roman(total).as_bytes() == s).then_some(total)
}

fn to_roman(mut n: u32) -> String {
    let mut s = String::new();
    for &(v, r) in &[
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ] {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

/// Type words and CJK type suffixes, found in one pass; numerals are looked for only next to
/// them (most text has none, and a scan of every "i", "v", "x" and "l" cost a fifth of the
/// normalizer's time).
fn type_triggers() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let suffixes = TYPE_SUFFIXES.iter().map(|c| c.to_string());
        let patterns: Vec<String> = TYPE_WORDS
            .iter()
            .map(|w| w.to_string())
            .chain(suffixes)
            .collect();
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(patterns)
            .expect("the type triggers compile")
    })
}

/// The Roman numeral token ending at byte `e` (an ASCII letter run), if it is one.
fn numeral_before(b: &[u8], e: usize) -> Option<(usize, usize, u32)> {
    let mut s = e;
    while s > 0 && b[s - 1].is_ascii_alphanumeric() {
        s -= 1;
    }
    roman_value(&b[s..e]).map(|v| (s, e, v))
}

/// The Roman numeral token starting at byte `s`, if it is one.
fn numeral_after(b: &[u8], s: usize) -> Option<(usize, usize, u32)> {
    let mut e = s;
    while e < b.len() && b[e].is_ascii_alphanumeric() {
        e += 1;
    }
    roman_value(&b[s..e]).map(|v| (s, e, v))
}

/// The text with Roman type numbers rewritten, or `None` where there are none (the usual case):
/// "type ii", "type-ii", "grade:iii" (after a type word), "ii型", "ii 型" (before a suffix).
fn arabize_type_numerals(n: &Normalized) -> Option<Normalized> {
    let t = n.text.as_str();
    let b = t.as_bytes();
    let mut edits: Vec<(usize, usize, u32)> = Vec::new();
    for m in type_triggers().find_iter(t) {
        let (s, e) = (m.start(), m.end());
        if b[s] >= 0x80 {
            // a CJK suffix: the numeral sits just before it, maybe past one space
            let end = if s > 0 && b[s - 1] == b' ' { s - 1 } else { s };
            edits.extend(numeral_before(b, end));
        } else if (s == 0 || !b[s - 1].is_ascii_alphanumeric())
            && b.get(e).is_some_and(|x| matches!(x, b' ' | b'-' | b':'))
        {
            let mut k = e;
            while k < b.len() && matches!(b[k], b' ' | b'-' | b':') {
                k += 1;
            }
            edits.extend(numeral_after(b, k));
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_unstable();
    edits.dedup();
    let mut out = Normalized::with_capacity(n.text.len());
    let mut last = 0;
    for (s, e, v) in edits {
        if s < last {
            continue; // overlaps the previous edit
        }
        copy_range(n, &mut out, last, s);
        let (os, oe) = (n.orig_start[s], n.orig_end[e - 1]);
        for d in v.to_string().chars() {
            out.push(d, os, oe);
        }
        last = e;
    }
    copy_range(n, &mut out, last, n.text.len());
    Some(out)
}

fn copy_range(from: &Normalized, to: &mut Normalized, s: usize, e: usize) {
    to.text.push_str(&from.text[s..e]);
    to.orig_start.extend_from_slice(&from.orig_start[s..e]);
    to.orig_end.extend_from_slice(&from.orig_end[s..e]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn folds_case_width_and_space() {
        assert_eq!(n("  Chest   PAIN\t\n"), "chest pain");
        assert_eq!(n("Chest pain \r\n\n HISTORY"), "chest pain\nhistory");
        assert_eq!(n("ＣＯＶＩＤ－１９"), "covid-19");
        assert_eq!(n("高血压（原发性）"), "高血压(原发性)");
        assert_eq!(n("a\u{00A0}b\u{3000}c"), "a b c");
    }

    #[test]
    fn traditional_chinese_to_simplified() {
        assert_eq!(n("高血壓、腫瘤與醫院"), "高血压、肿瘤与医院");
        assert_eq!(n("乾燥"), "乾燥", "also correct in simplified text: kept");
        let r = normalize("頭髮");
        assert_eq!(r.char_spans().collect::<Vec<_>>(), vec![(0, 1), (1, 2)]);
    }

    #[test]
    fn unifies_punctuation() {
        assert_eq!(n("Crohn’s — “disease”"), "crohn's - \"disease\"");
        assert_eq!(n("and\u{2044}or 10\u{2215}20"), "and/or 10/20");
        assert_eq!(n("hyper\u{00AD}tension\u{200B}"), "hypertension");
    }

    #[test]
    fn roman_type_numbers() {
        assert_eq!(n("Type II diabetes"), "type 2 diabetes");
        assert_eq!(n("diabetes mellitus, type-ii"), "diabetes mellitus, type-2");
        assert_eq!(n("Ⅱ型糖尿病"), "2型糖尿病");
        assert_eq!(n("II型糖尿病"), "2型糖尿病");
        assert_eq!(n("NYHA class IV"), "nyha class 4");
        assert_eq!(n("宫颈癌Ⅲ期"), "宫颈癌3期");
        assert_eq!(n("①型"), "1型");
        // not a type number: left alone
        assert_eq!(n("Louis XIV was king"), "louis xiv was king");
        assert_eq!(n("vitamin C, IV fluids"), "vitamin c, iv fluids");
        assert_eq!(n("type vi"), "type 6");
        assert_eq!(n("type vv"), "type vv");
    }

    #[test]
    fn offsets_point_back() {
        let s = "  Ⅱ型  Diabetes";
        let r = normalize(s);
        assert_eq!(r.text, "2型 diabetes");
        let chars: Vec<char> = s.chars().collect();
        let orig = |a: u32, b: u32| chars[a as usize..b as usize].iter().collect::<String>();
        let spans: Vec<_> = r.char_spans().collect();
        assert_eq!(orig(spans[0].0, spans[0].1), "Ⅱ");
        assert_eq!(orig(spans[2].0, spans[2].1), "  ");
        let bs = r.text.find("diabetes").unwrap();
        let (a, b) = r.original_span(bs, bs + 8).unwrap();
        assert_eq!(orig(a, b), "Diabetes");
        assert_eq!(r.original_span(0, 2), None, "not a char boundary");
    }

    #[test]
    fn combining_marks_compose() {
        let r = normalize("Sjo\u{0308}gren");
        assert_eq!(r.text, "sjögren");
        let spans: Vec<_> = r.char_spans().collect();
        assert_eq!(spans[2], (2, 4), "ö covers o + combining diaeresis");
    }

    #[test]
    fn expansions_keep_spans() {
        let r = normalize("5㎎");
        assert_eq!(r.text, "5mg");
        let spans: Vec<_> = r.char_spans().collect();
        assert_eq!(spans, vec![(0, 1), (1, 2), (1, 2)]);
    }

    #[test]
    fn starters_that_decompose_to_marks_join_the_segment() {
        // U+0F81 decomposes to U+0F71 U+0F80 (marks), reordered with the mark before them
        let once = n("\u{11100}\u{f81}");
        assert_eq!(n(&once), once);
    }

    #[test]
    fn empty_and_control() {
        assert_eq!(n(""), "");
        assert_eq!(n("   "), "");
        assert_eq!(n("a\0b"), "ab");
        assert_eq!(n("\u{0301}x"), "\u{0301}x".nfkc().collect::<String>());
    }
}
