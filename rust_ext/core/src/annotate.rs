//! One document through the engine: normalize, match the lexicon, drop abbreviation hits whose
//! original surface is not written as an abbreviation and cued terms without a cue beside them,
//! flag context, choose abbreviation senses (a mention carries its sense's concept; a sense
//! known to name no concept, "PT" as patient, drops it). Spans come back in original char
//! offsets.

use std::collections::HashSet;
use std::sync::Arc;

use crate::context::{Context, Flags};
use crate::lexicon::{Hit, Lexicon, KIND_ABBREVIATION};
use crate::normalize::{normalize_into, Normalized};
use crate::senses::SenseTable;
use crate::tokens::{hash_bytes, Token};

/// [`Engine::sense_concepts`] value of a sense that names no concept: its mention is dropped.
pub const SENSE_DROPS: u32 = u32::MAX - 1;
/// ... of a sense without a concept of its own: the term's own concept stays.
pub const SENSE_KEEPS: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Original char offsets.
    pub start: u32,
    pub end: u32,
    /// Normalized byte offsets.
    pub norm_start: usize,
    pub norm_end: usize,
    pub term: u32,
    pub flags: Flags,
    /// For a term whose first entry is an abbreviation: its sense in the engine's sense table.
    pub sense: Option<u32>,
    /// The concept of the chosen sense, where it names one (else the term's first entry's).
    pub concept: Option<u32>,
}

pub struct Engine {
    pub lexicon: Lexicon,
    pub context: Context,
    pub senses: Option<Arc<SenseTable>>,
    /// Per sense of `senses`: its concept, [`SENSE_DROPS`] or [`SENSE_KEEPS`].
    pub sense_concepts: Vec<u32>,
    /// Terms kept only with a cue token right before or after them ("his back", "back pain").
    cued: HashSet<u32>,
    /// Hashes of the cue tokens, sorted.
    cues: Vec<u64>,
}

/// Abbreviation-only terms ("MI", "AS", "HTN") match only where the original is written with a
/// capital letter or a digit, so "as" and "mi" in running text stay words.
fn looks_abbreviated(original: &str) -> bool {
    original
        .chars()
        .any(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// One document's result; batch callers reuse one across documents.
#[derive(Debug, Default)]
pub struct Annotation {
    pub norm: Normalized,
    pub mentions: Vec<Mention>,
    tokens: Vec<Token>,
    hits: Vec<Hit>,
    words: Vec<u64>,
    kept: Vec<(Hit, u32, u32)>,
    spans: Vec<(usize, usize)>,
}

impl Engine {
    pub fn new(lexicon: Lexicon, context: Context) -> Self {
        Engine {
            lexicon,
            context,
            senses: None,
            sense_concepts: Vec::new(),
            cued: HashSet::new(),
            cues: Vec::new(),
        }
    }

    /// Keep a mention of any of `terms` only with one of `cues` (normalized words) as the token
    /// right before or after it.
    pub fn use_cues(&mut self, terms: &[u32], cues: &[String]) {
        self.cued = terms.iter().copied().collect();
        self.cues = cues.iter().map(|c| hash_bytes(c.as_bytes())).collect();
        self.cues.sort_unstable();
    }

    /// Whether a cue is the token right before or after `start..end` of `text`, with only
    /// spaces between ("back, pain" is two phrases).
    fn has_cue(&self, text: &str, tokens: &[Token], start: usize, end: usize) -> bool {
        let first = tokens.partition_point(|t| (t.start as usize) < start);
        let last = tokens.partition_point(|t| (t.end as usize) <= end);
        let spaces = |a: usize, b: usize| text.as_bytes()[a..b].iter().all(|&c| c == b' ');
        let cue = |t: &Token| self.cues.binary_search(&t.hash).is_ok();
        let before = first.checked_sub(1).map(|i| &tokens[i]);
        before.is_some_and(|t| cue(t) && spaces(t.end as usize, start))
            || tokens
                .get(last)
                .is_some_and(|t| cue(t) && spaces(end, t.start as usize))
    }

    /// The concept a mention carries, and its term's kind: the chosen sense's concept where it
    /// names one, else the term's strongest entry's.
    pub fn concept_and_kind(&self, m: &Mention) -> (u32, u8) {
        let best = self.lexicon.entries(m.term)[0];
        (m.concept.unwrap_or(best.concept), best.kind)
    }

    pub fn annotate(&self, text: &str) -> (Normalized, Vec<Mention>) {
        let mut a = Annotation::default();
        self.annotate_into(text, &mut a);
        (a.norm, a.mentions)
    }

    /// [`Engine::annotate`] into reused buffers.
    pub fn annotate_into(&self, text: &str, a: &mut Annotation) {
        normalize_into(text, &mut a.norm);
        let norm = &a.norm;
        self.lexicon
            .find_into(&norm.text, &mut a.tokens, &mut a.hits);
        a.kept.clear();
        let mut char_bytes = CharBytes::new(text);
        for &h in &a.hits {
            let (start, end) = norm
                .original_span(h.start, h.end)
                .expect("hits are on char boundaries");
            let abbreviation_only = self
                .lexicon
                .entries(h.term)
                .iter()
                .all(|e| e.kind == KIND_ABBREVIATION);
            if abbreviation_only
                && !looks_abbreviated(&text[char_bytes.byte(start)..char_bytes.byte(end)])
            {
                continue;
            }
            if self.cued.contains(&h.term) && !self.has_cue(&norm.text, &a.tokens, h.start, h.end) {
                continue;
            }
            a.kept.push((h, start, end));
        }
        a.spans.clear();
        a.spans
            .extend(a.kept.iter().map(|(h, ..)| (h.start, h.end)));
        let flags = self
            .context
            .flags_with_tokens(&norm.text, &a.tokens, &a.spans);
        a.mentions.clear();
        for (&(h, start, end), flags) in a.kept.iter().zip(flags) {
            let sense = match &self.senses {
                Some(table) if self.lexicon.entries(h.term)[0].kind == KIND_ABBREVIATION => table
                    .choose(
                        self.lexicon.term(h.term),
                        &norm.text,
                        &a.tokens,
                        h.start,
                        &mut a.words,
                    ),
                _ => None,
            };
            let concept = match sense.and_then(|i| self.sense_concepts.get(i as usize)) {
                // the document may define it ("physiotherapy (pt)"): Python maps it then
                Some(&SENSE_DROPS) if !in_parentheses(&norm.text, self.lexicon.term(h.term)) => {
                    continue
                }
                Some(&SENSE_DROPS) => None,
                Some(&SENSE_KEEPS) | None => None,
                Some(&c) => Some(c),
            };
            a.mentions.push(Mention {
                start,
                end,
                norm_start: h.start,
                norm_end: h.end,
                term: h.term,
                flags,
                sense,
                concept,
            });
        }
    }
}

/// Whether a parenthesis of `text` holds `short` as a word: the cheap test for an in-document
/// definition ("long form (SF)", "(Krabbe; SF)") that Python's `may_define` also makes.
fn in_parentheses(text: &str, short: &str) -> bool {
    text.match_indices('(').any(|(at, _)| {
        let inside = &text[at + 1..];
        inside
            .char_indices()
            .take(41)
            .find(|&(_, c)| c == ')' || c == '(')
            .is_some_and(|(end, c)| {
                c == ')'
                    && inside[..end].match_indices(short).any(|(at, _)| {
                        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
                        !word(inside[..at].chars().next_back())
                            && !word(inside[at + short.len()..].chars().next())
                    })
            })
    })
}

/// Byte offsets of char offsets in one text, for offsets asked in increasing order (mentions
/// come in text order): a cursor that walks forward, so no per-char table is built.
pub struct CharBytes<'t> {
    text: &'t str,
    char_at: u32,
    byte_at: usize,
    ascii: Option<bool>,
}

impl<'t> CharBytes<'t> {
    pub fn new(text: &'t str) -> Self {
        CharBytes {
            text,
            char_at: 0,
            byte_at: 0,
            ascii: None,
        }
    }

    pub fn byte(&mut self, char_idx: u32) -> usize {
        if *self.ascii.get_or_insert_with(|| self.text.is_ascii()) {
            return char_idx as usize;
        }
        if char_idx < self.char_at {
            (self.char_at, self.byte_at) = (0, 0); // asked out of order: start over
        }
        let skip = (char_idx - self.char_at) as usize;
        self.byte_at += self.text[self.byte_at..]
            .chars()
            .take(skip)
            .map(char::len_utf8)
            .sum::<usize>();
        self.char_at = char_idx;
        self.byte_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotates_in_original_offsets() {
        let lexicon = Lexicon::new(
            vec!["HP:htn".into(), "MI".into(), "T2DM".into()],
            vec![
                ("hypertension".to_string(), 0, 0),
                ("htn".into(), 0, 5),
                ("mi".into(), 1, 5),
                ("2型糖尿病".into(), 2, 1),
            ],
        )
        .unwrap();
        let mut engine = Engine::new(lexicon, Context::with_defaults());
        let sense = |w: &str, f| (w.to_string(), f);
        engine.senses = Some(Arc::new(SenseTable::new(
            vec![("mi".into(), vec![sense("myocardial", 9), sense("casa", 1)])],
            400,
        )));
        let text = "Pt  denies HTN; mi casa. Rule out MI. 既往Ⅱ型糖尿病";
        let (_, ms) = engine.annotate(text);
        let chars: Vec<char> = text.chars().collect();
        let surf: Vec<String> = ms
            .iter()
            .map(|m| chars[m.start as usize..m.end as usize].iter().collect())
            .collect();
        assert_eq!(surf, vec!["HTN", "MI", "Ⅱ型糖尿病"]);
        assert!(ms[0].flags.negated);
        assert!(ms[1].flags.uncertain && !ms[1].flags.negated);
        assert!(ms[2].flags.historical);
        // "mi" itself is written in lower case (not an abbreviation), but "casa" is near MI
        assert_eq!(
            ms.iter().map(|m| m.sense).collect::<Vec<_>>(),
            [None, Some(1), None]
        );
        // with no sense concepts given, each mention carries its term's strongest entry
        let carried: Vec<(u32, u8)> = ms.iter().map(|m| engine.concept_and_kind(m)).collect();
        assert_eq!(carried, [(0, 5), (1, 5), (2, 1)]);
        let sensed = Mention {
            concept: Some(2),
            ..ms[1].clone()
        };
        assert_eq!(
            engine.concept_and_kind(&sensed),
            (2, 5),
            "a sense's concept wins"
        );
    }

    #[test]
    fn dropped_senses_and_cues() {
        let lexicon = Lexicon::new(
            vec!["physiotherapy".into(), "back".into()],
            vec![("pt".into(), 0, 5), ("back".into(), 1, 0)],
        )
        .unwrap();
        let mut engine = Engine::new(lexicon, Context::with_defaults());
        engine.senses = Some(Arc::new(SenseTable::new(
            vec![("pt".into(), vec![("patient".into(), 1)])],
            400,
        )));
        engine.sense_concepts = vec![SENSE_DROPS];
        engine.use_cues(&[1], &["pain".into()]);
        let surfaces = |text: &str| {
            let (_, ms) = engine.annotate(text);
            ms.iter()
                .map(|m| text[m.start as usize..m.end as usize].to_string())
                .collect::<Vec<_>>()
        };
        assert!(
            surfaces("PT seen today.").is_empty(),
            "the patient sense drops it"
        );
        assert_eq!(
            surfaces("Physiotherapy (PT) daily. PT helped."),
            ["PT", "PT"],
            "the document defines it"
        );
        assert_eq!(surfaces("low back pain"), ["back"]);
        assert!(surfaces("lie on his back, pain free").is_empty());
        assert!(
            surfaces("PT seen today (except weekends).").is_empty(),
            "pt inside a word defines nothing"
        );
    }
}
