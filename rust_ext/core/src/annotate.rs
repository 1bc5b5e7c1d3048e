//! One document through the engine: normalize, match the lexicon, drop abbreviation hits whose
//! original surface is not written as an abbreviation, flag context. Spans come back in original
//! char offsets.

use crate::context::{Context, Flags};
use crate::lexicon::{Lexicon, KIND_ABBREVIATION};
use crate::normalize::{normalize, Normalized};

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
}

pub struct Engine {
    pub lexicon: Lexicon,
    pub context: Context,
}

/// Abbreviation-only terms ("MI", "AS", "HTN") match only where the original is written with a
/// capital letter or a digit, so "as" and "mi" in running text stay words.
fn looks_abbreviated(original: &str) -> bool {
    original
        .chars()
        .any(|c| c.is_uppercase() || c.is_ascii_digit())
}

impl Engine {
    pub fn annotate(&self, text: &str) -> (Normalized, Vec<Mention>) {
        let norm = normalize(text);
        let hits = self.lexicon.find(&norm.text);
        let mut char_bytes: Option<Vec<usize>> = None;
        let mut kept = Vec::with_capacity(hits.len());
        for h in hits {
            let (start, end) = norm
                .original_span(h.start, h.end)
                .expect("hits are on char boundaries");
            let abbreviation_only = self
                .lexicon
                .entries(h.term)
                .iter()
                .all(|e| e.kind == KIND_ABBREVIATION);
            if abbreviation_only {
                let cb = char_bytes.get_or_insert_with(|| {
                    let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
                    v.push(text.len());
                    v
                });
                if !looks_abbreviated(&text[cb[start as usize]..cb[end as usize]]) {
                    continue;
                }
            }
            kept.push((h, start, end));
        }
        let spans: Vec<(usize, usize)> = kept.iter().map(|(h, ..)| (h.start, h.end)).collect();
        let flags = self.context.flags(&norm.text, &spans);
        let mentions = kept
            .into_iter()
            .zip(flags)
            .map(|((h, start, end), flags)| Mention {
                start,
                end,
                norm_start: h.start,
                norm_end: h.end,
                term: h.term,
                flags,
            })
            .collect();
        (norm, mentions)
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
        let engine = Engine {
            lexicon,
            context: Context::with_defaults(),
        };
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
    }
}
