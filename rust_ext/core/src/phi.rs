//! PHI de-identification: the HIPAA Safe Harbor identifier types text can hold, English and
//! Chinese, replaced by typed placeholders (`[DATE]`, `[PHONE]`, ...) or by surrogates
//! consistent within a document (`surrogates`).
//!
//! Each rule is a regex; where it has a group named `v`, only that group is replaced (the label
//! "MRN:" or "患者" stays, the value goes). A gate (all rules as one alternation) finds where any
//! rule can match in one pass; the rules run on the lines around those places; hits are resolved
//! leftmost-first, longest on ties, and Chinese resident ID numbers must pass their ISO 7064
//! checksum. The `regex` crate has no look-around, so number boundaries are matched as
//! `(?:^|\D)` / `(?:$|\D)` around the `v` group.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexSet};

use crate::surrogates;
use crate::tokens::on_boundaries;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PhiType {
    Name,
    Date,
    Phone,
    Email,
    Url,
    Ip,
    Ssn,
    Id,
    Age,
    Address,
    Postcode,
    IdCard,
}

impl PhiType {
    pub const ALL: [PhiType; 12] = [
        PhiType::Name,
        PhiType::Date,
        PhiType::Phone,
        PhiType::Email,
        PhiType::Url,
        PhiType::Ip,
        PhiType::Ssn,
        PhiType::Id,
        PhiType::Age,
        PhiType::Address,
        PhiType::Postcode,
        PhiType::IdCard,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PhiType::Name => "NAME",
            PhiType::Date => "DATE",
            PhiType::Phone => "PHONE",
            PhiType::Email => "EMAIL",
            PhiType::Url => "URL",
            PhiType::Ip => "IP",
            PhiType::Ssn => "SSN",
            PhiType::Id => "ID",
            PhiType::Age => "AGE",
            PhiType::Address => "ADDRESS",
            PhiType::Postcode => "POSTCODE",
            PhiType::IdCard => "ID_CARD",
        }
    }
}

const MONTH: &str = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";

fn rules() -> Vec<(PhiType, String)> {
    use PhiType::*;
    let m = MONTH;
    vec![
        (Email, r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}".into()),
        (Url, r#"(?i)\b(?:https?://|www\.)[^\s<>"，。）)]+"#.into()),
        (Ip, r"(?:^|[^\d.])(?P<v>(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d))(?:$|[^\d.]|\.(?:$|\D))".into()),
        (Ssn, r"(?:^|\D)(?P<v>\d{3}-\d{2}-\d{4})(?:$|\D)".into()),
        (IdCard, r"(?:^|\D)(?P<v>\d{17}[\dXx])(?:$|[^\dXx])".into()),
        (Phone, r"(?:^|[^\d])(?P<v>1[3-9]\d{9})(?:$|\D)".into()),
        (Phone, r"(?:^|[^\d])(?P<v>0\d{2,3}-\d{7,8})(?:$|\D)".into()),
        (Phone, r"(?:^|[^\d-])(?P<v>(?:\+?1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4})(?:$|\D)".into()),
        (Id, r"(?i)\b(?:MRN|MR#|medical record(?: number| no\.?)?|account(?: number| no\.?)?|acct\.?|license(?: number| no\.?)?|licence(?: number)?|DEA|NPI|device(?: id| number)?|serial(?: number| no\.?)?|member id|policy(?: number| no\.?)?|health plan(?: number)?|certificate(?: number)?|vehicle id|VIN)\b\s*(?:#|no\.?|number)?\s*[:#]?\s*(?P<v>[A-Za-z0-9-]*\d[A-Za-z0-9-]*)".into()),
        (Id, r"(?:住院号|门诊号|病案号|病历号|就诊卡号|医保卡号|床号|ID号)\s*[:：]?\s*(?P<v>[A-Za-z0-9-]{2,})".into()),
        (Date, format!(r"(?i)\b{m}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b")),
        (Date, format!(r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+{m}\.?,?\s+\d{{4}}\b")),
        (Date, format!(r"(?i)\b(?:January|February|March|April|June|July|August|September|October|November|December|{m}\.)\s+\d{{1,2}}(?:st|nd|rd|th)?\b")),
        (Date, r"(?:^|\D)(?P<v>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?:$|\D)".into()),
        (Date, r"(?:^|[^\d/])(?P<v>\d{1,2}[-/]\d{1,2}[-/](?:\d{4}|\d{2}))(?:$|[^\d/])".into()),
        (Date, r"(?P<v>(?:\d{4}年)?\d{1,2}月\d{1,2}[日号])".into()),
        (Date, r"(?P<v>\d{4}年\d{1,2}月)".into()),
        (Age, r"(?i)\b(?P<v>(?:9\d|1[0-1]\d))[- ](?:years?|yrs?|y/o|yo)\b".into()),
        (Age, r"(?i)\bage[d]?\s*[:]?\s*(?P<v>9\d|1[0-1]\d)\b".into()),
        (Age, r"(?:^|\D)(?P<v>(?:9\d|1[0-1]\d)岁)".into()),
        (Address, r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Parkway|Pkwy)\b\.?".into()),
        (Address, r"\p{Han}{2,6}(?:省|市|自治区)\p{Han}{1,8}?(?:市|区|县)\p{Han}{0,12}?(?:路|街|道|巷|村|弄)\d{1,5}号(?:\d{1,4}(?:室|栋|楼|单元))*".into()),
        (Postcode, r"\b(?:[A-Z]{2})\s+(?P<v>\d{5}(?:-\d{4})?)\b".into()),
        (Postcode, r"(?:邮编|邮政编码)\s*[:：]?\s*(?P<v>\d{6})".into()),
        (Name, r"\b(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+(?P<v>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)".into()),
        (Name, r"(?i:patient name|patient|name|pt)\s*:\s*(?P<v>[A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z]+)?)".into()),
        (Name, r"(?:患者|姓名|病人|患儿)\s*[:：]?\s*(?P<v>\p{Han}{2,3})(?:$|[，,、\s（(；;。])".into()),
    ]
}

/// First characters that make a "name" after 患者 a phrase instead ("患者因…", "患者男性").
const NOT_NAME_START: &str = "因于自男女无有诉近既主入以为反出现今半一二三四五六七八九十本术经行";

fn idcard_ok(s: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let b = s.as_bytes();
    if b.len() != 18 {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(&d, w)| (d - b'0') as u32 * w)
        .sum();
    C[(sum % 11) as usize] == b[17].to_ascii_uppercase()
}

/// Line breaks a rule match can hold at most: each whitespace run in a rule may take one (a
/// value wrapped onto the next line), not two (a blank line ends a paragraph), and no rule has
/// more than four runs. The rules see the gate match's line and this many after it.
const MAX_BREAKS: usize = 4;

/// `pattern` with each whitespace run outside a class (`\s*`, `\s+`) able to hold at most one
/// line break.
fn one_break_per_run(pattern: &str) -> String {
    const H: &str = r"[ \t\x0B\x0C\r\x{A0}\x{3000}]"; // whitespace but a line break
    let mut out = String::with_capacity(pattern.len() + 64);
    let mut in_class = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let n = chars.next().expect("an escape is complete");
                match (n, in_class, chars.peek()) {
                    ('s', 0, Some('*')) => {
                        chars.next();
                        out.push_str(&format!(r"(?:{H}*\n?{H}*)"));
                    }
                    ('s', 0, Some('+')) => {
                        chars.next();
                        out.push_str(&format!(r"(?:{H}+\n?{H}*|\n{H}*)"));
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push('[');
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Bytes of text the rules see at once (whole lines; a longer line is cut at a char boundary).
const BLOCK: usize = 1 << 13;

/// The end of the block starting at byte `start`: after the last line break within `BLOCK`
/// bytes, or at the end of the text.
fn block_end(text: &str, start: usize) -> usize {
    if text.len() - start <= BLOCK {
        return text.len();
    }
    let mut cut = start + BLOCK;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[start..cut].rfind('\n').map_or(cut, |i| start + i + 1)
}

/// One identifier found: byte span and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhiHit {
    pub start: usize,
    pub end: usize,
    pub kind: PhiType,
}

pub struct Deidentifier {
    rules: Vec<(PhiType, Regex)>,
    /// All rules as one alternation: one pass over a block finds where any rule can match, and
    /// the rules themselves then run only on the lines around those places.
    gate: Regex,
    /// The rules as a set: one pass over such a window says which of them match there at all,
    /// so the others (most, in a window one date opened) do not each scan it again.
    set: RegexSet,
}

impl Default for Deidentifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Deidentifier {
    pub fn new() -> Self {
        // ASCII word boundaries: the rules use `\b` only beside Latin letters and digits,
        // and a Unicode `\b` keeps the regex engine off its fast DFA on non-ASCII text.
        // `^`/`$` are line ends and whitespace runs hold one line break at most: a rule match
        // then lies within the lines `gated_hits` gives the rules, and they find there what they
        // would find over the whole block.
        let patterns: Vec<(PhiType, String)> = rules()
            .into_iter()
            .map(|(t, re)| {
                let re = one_break_per_run(&re.replace(r"\b", r"(?-u:\b)"));
                (t, format!("(?m){re}"))
            })
            .collect();
        let union = patterns
            .iter()
            .map(|(_, p)| format!("(?:{})", p.replace("(?P<v>", "(?:")))
            .collect::<Vec<_>>()
            .join("|");
        let gate = regex::RegexBuilder::new(&union)
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 26)
            .build()
            .expect("the PHI rules compile as one");
        let set = regex::RegexSetBuilder::new(patterns.iter().map(|(_, p)| p))
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 26)
            .build()
            .expect("the PHI rules compile as a set");
        let rules = patterns
            .into_iter()
            .map(|(t, re)| (t, Regex::new(&re).expect("the built-in PHI rules compile")))
            .collect();
        Deidentifier { rules, gate, set }
    }

    /// Identifiers in `text`, in order, not overlapping.
    pub fn find(&self, text: &str) -> Vec<PhiHit> {
        self.find_with(text, true)
    }

    /// `gated`: the rules run only around the gate's matches, and of them only those the set
    /// finds there (the same hits; on MTSamples the gate made it 2.6x faster, the set 2.5-3x
    /// more); without, every rule over every block (kept to test that claim).
    fn find_with(&self, text: &str, gated: bool) -> Vec<PhiHit> {
        let mut hits = Vec::new();
        // Long texts go through the rules a block of lines at a time: identifiers sit within a
        // line, and on one huge haystack the regex engine's lazy DFA gives up and falls back to
        // a search ten times slower.
        let mut base = 0;
        while base < text.len() {
            let end = block_end(text, base);
            if gated {
                self.gated_hits(&text[base..end], base, &mut hits);
            } else {
                self.rule_hits(&text[base..end], base, 0..self.rules.len(), &mut hits);
            }
            base = end;
        }
        // A name found once (after a title or 患者) is a name wherever else the document
        // writes it, with or without the cue: "患者张三... 张三否认发热".
        // A Latin full name's surname alone counts too ("Alice Moore ... Moore agreed").
        let mut names = std::collections::BTreeSet::new();
        for h in hits.iter().filter(|h| h.kind == PhiType::Name) {
            let v = &text[h.start..h.end];
            if v.chars().count() >= 2 {
                names.insert(v);
            }
            let last = v.rsplit(' ').next().unwrap_or(v);
            if last != v && last.len() >= 3 && last.starts_with(|c: char| c.is_uppercase()) {
                names.insert(last);
            }
        }
        if !names.is_empty() {
            // One pass for all of them (a search per name would be quadratic on a long text).
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(names)
                .expect("names make an automaton");
            for m in ac.find_iter(text) {
                if on_boundaries(text, m.start(), m.end()) {
                    hits.push(PhiHit {
                        start: m.start(),
                        end: m.end(),
                        kind: PhiType::Name,
                    });
                }
            }
        }
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        let mut out: Vec<PhiHit> = Vec::with_capacity(hits.len());
        for h in hits {
            if out.last().is_none_or(|l| h.start >= l.end) {
                out.push(h);
            }
        }
        out
    }

    /// The rules' hits in a block, the rules run only on windows of whole lines around the
    /// gate's matches: every rule match overlaps a gate match (the gate is their union, searched
    /// leftmost-first) and holds at most `MAX_BREAKS` line breaks.
    fn gated_hits(&self, block: &str, base: usize, hits: &mut Vec<PhiHit>) {
        let b = block.as_bytes();
        let mut windows: Vec<(usize, usize)> = Vec::new();
        for m in self.gate.find_iter(block) {
            // a rule match starts no earlier than the gate match it overlaps (the gate finds the
            // leftmost start of any rule): the window starts at the gate match's line (the one
            // before when the match starts at a line break, its context) and ends MAX_BREAKS
            // lines after the match's last
            let start = memchr::memrchr(b'\n', &b[..m.start()]).map_or(0, |i| i + 1);
            let mut end = m.end();
            for _ in 0..=MAX_BREAKS {
                end = memchr::memchr(b'\n', &b[end..]).map_or(b.len(), |i| end + i + 1);
                if end >= b.len() {
                    break;
                }
            }
            match windows.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => windows.push((start, end)),
            }
        }
        for (s, e) in windows {
            let window = &block[s..e];
            self.rule_hits(window, base + s, self.set.matches(window).into_iter(), hits);
        }
    }

    /// The hits of the rules numbered `which` in `text`.
    fn rule_hits(
        &self,
        text: &str,
        base: usize,
        which: impl Iterator<Item = usize>,
        hits: &mut Vec<PhiHit>,
    ) {
        for i in which {
            let (kind, re) = &self.rules[i];
            for c in re.captures_iter(text) {
                let m = c.name("v").or_else(|| c.get(0)).expect("a match");
                let v = m.as_str();
                let ok = match kind {
                    PhiType::IdCard => idcard_ok(v),
                    PhiType::Id => v.len() >= 4,
                    PhiType::Name => !v.starts_with(|ch| NOT_NAME_START.contains(ch)),
                    _ => !v.is_empty(),
                };
                if ok {
                    hits.push(PhiHit {
                        start: base + m.start(),
                        end: base + m.end(),
                        kind: *kind,
                    });
                }
            }
        }
    }

    /// `text` with each identifier replaced by `[TYPE]`, and the hits.
    pub fn deidentify(&self, text: &str) -> (String, Vec<PhiHit>) {
        self.replace(text, |h, _| format!("[{}]", h.kind.label()))
    }

    /// `text` with each identifier replaced by a surrogate of the same kind and shape,
    /// consistent within the document (see [`crate::surrogates`]), and the hits.
    pub fn deidentify_with_surrogates(&self, text: &str) -> (String, Vec<PhiHit>) {
        let seed = surrogates::document_seed(text);
        self.replace(text, |h, v| surrogates::surrogate(h.kind, v, seed))
    }

    fn replace(&self, text: &str, by: impl Fn(&PhiHit, &str) -> String) -> (String, Vec<PhiHit>) {
        let hits = self.find(text);
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for h in &hits {
            out.push_str(&text[last..h.start]);
            out.push_str(&by(h, &text[h.start..h.end]));
            last = h.end;
        }
        out.push_str(&text[last..]);
        (out, hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_find_the_same_as_their_lines() {
        let d = Deidentifier::new();
        let line = "Seen by Dr. Alice Moore on 03/15/2019, MRN: A1234567. Call (617) 555-0199.\n";
        let text = line.repeat(5_000);
        let one = d.find(line).len();
        assert_eq!(d.find(&text).len(), one * 5_000);
        let (out, _) = d.deidentify(&text);
        assert_eq!(out, d.deidentify(line).0.repeat(5_000));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Running only the rules the set finds, only around the gate's matches, finds exactly
        /// what running every rule everywhere finds, on texts of identifiers, near misses and
        /// filler across lines.
        #[test]
        fn the_gate_loses_nothing(parts in proptest::collection::vec(0usize..PIECES.len(), 0..60),
                                  seps in proptest::collection::vec(0usize..4, 60)) {
            static D: std::sync::OnceLock<Deidentifier> = std::sync::OnceLock::new();
            let d = D.get_or_init(Deidentifier::new);
            let mut text = String::new();
            for (i, p) in parts.iter().enumerate() {
                text.push_str(PIECES[*p]);
                text.push_str(["\n", " ", "\n\n", ""][seps[i]]);
            }
            proptest::prop_assert_eq!(d.find_with(&text, true), d.find_with(&text, false));
        }
    }

    #[test]
    fn a_value_wrapped_onto_the_next_line_is_found_but_not_across_a_blank_line() {
        let d = Deidentifier::new();
        let (out, _) = d.deidentify("Seen by Dr.\nAlice Moore on January\n5, 2020.");
        assert_eq!(out, "Seen by Dr.\n[NAME] on [DATE].");
        // the case proptest once found: a "name" running over blank lines is not one
        let text = "Dr.Alice\nDr.\nName :\n\nJanuary\n\nDr.\nBP 120/80,\nDr.\n";
        assert_eq!(d.find_with(text, true), d.find_with(text, false));
        assert!(!d.deidentify(text).0.contains("[NAME]\n\nDr"));
    }

    const PIECES: &[&str] = &[
        "Dr.",
        "Alice",
        "Moore",
        "Patient:",
        "John Smith",
        "MRN:",
        "A1234567",
        "on",
        "January",
        "5,",
        "2020",
        "03/15/2019",
        "12-3-21",
        "(617) 555-0199",
        "555-12-3456",
        "age 95",
        "a 97-year-old",
        "123 Main Street",
        "Boston, MA 02115",
        "john@example.org",
        "https://x.org/a",
        "10.0.0.1",
        "患者张三丰，",
        "姓名：李四；",
        "住院号：ZY20190012",
        "13812345678",
        "2019年3月15日",
        "北京市海淀区中关村大街27号",
        "邮编：100080",
        "11010519491231002X",
        "BP 120/80,",
        "pulse 72",
        "the patient denies pain.",
        "3",
        "x",
        "-",
        "/",
        ".",
        "Mr",
        "Street",
        "May",
        "Name :",
        "92",
        "岁",
        "号",
    ];

    #[test]
    fn a_name_found_once_is_found_everywhere_in_the_document() {
        let d = Deidentifier::new();
        let (out, _) =
            d.deidentify("患者张三丰，男。张三丰否认发热。Dr. Alice Moore saw him; Moore agreed.");
        assert_eq!(
            out,
            "患者[NAME]，男。[NAME]否认发热。Dr. [NAME] saw him; [NAME] agreed."
        );
        let (out, _) = d.deidentify("Dr. Moore saw him. Moore agreed, Moorefield did not.");
        assert_eq!(
            out,
            "Dr. [NAME] saw him. [NAME] agreed, Moorefield did not."
        );
    }

    fn kinds(text: &str) -> Vec<(String, &'static str)> {
        let d = Deidentifier::new();
        d.find(text)
            .into_iter()
            .map(|h| (text[h.start..h.end].to_string(), h.kind.label()))
            .collect()
    }

    #[test]
    fn english() {
        let got = kinds(
            "Seen by Dr. Alice Moore on March 3, 2021; MRN: A123456. Call (617) 555-0199 \
             or mail bob@example.org. SSN 123-45-6789, 94-year-old, lives at 12 Elm Street, \
             Boston, MA 02115. See https://x.org/p?id=1 from 10.0.0.12.",
        );
        let labels: Vec<&str> = got.iter().map(|g| g.1).collect();
        assert_eq!(
            labels,
            vec![
                "NAME", "DATE", "ID", "PHONE", "EMAIL", "SSN", "AGE", "ADDRESS", "POSTCODE", "URL",
                "IP"
            ],
            "{got:?}"
        );
        assert_eq!(got[0].0, "Alice Moore");
        assert_eq!(got[6].0, "94");
        assert!(kinds("She is 45 years old; BP 120/80; 5 mg daily.").is_empty());
        assert!(kinds("St. Vincent's Hospital; the device that was placed").is_empty());
    }

    #[test]
    fn chinese() {
        let got = kinds(
            "患者张三，男，92岁，身份证号11010519491231002X，电话13812345678，\
             住院号:ZY20230001，2023年5月12日入院，住址北京市朝阳区建国路88号。患者因胸痛入院。",
        );
        let labels: Vec<&str> = got.iter().map(|g| g.1).collect();
        assert_eq!(
            labels,
            vec!["NAME", "AGE", "ID_CARD", "PHONE", "ID", "DATE", "ADDRESS"],
            "{got:?}"
        );
        assert_eq!(got[0].0, "张三");
        assert!(
            kinds("身份证号110105194912310021").is_empty(),
            "bad checksum"
        );
        let (text, hits) = Deidentifier::new().deidentify("电话13812345678。");
        assert_eq!((text.as_str(), hits.len()), ("电话[PHONE]。", 1));
    }
}
