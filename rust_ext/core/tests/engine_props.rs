//! The matcher, context and fuzzy search on arbitrary text: no panics, spans in range and on
//! char boundaries, hits equal to their terms, and the token-pair filter never hiding a match
//! that a plain scan finds.
use proptest::prelude::*;
use termnorm_core::{Context, Engine, FuzzyIndex, Lexicon};

const TERMS: &[&str] = &[
    "chest pain",
    "pain",
    "type 2 diabetes",
    "diabetes",
    "高血压",
    "血压",
    "mi",
    "c/o",
    "β-blocker",
    "covid-19",
    "café au lait",
    "a",
    "2",
];

fn engine() -> Engine {
    let concepts: Vec<String> = TERMS.iter().map(|t| format!("C:{t}")).collect();
    let rows = TERMS
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), i as u32, (i % 3) as u8));
    Engine::new(
        Lexicon::new(concepts, rows).expect("lexicon"),
        Context::with_defaults(),
    )
}

fn text() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "chest",
        "pain",
        "Pain",
        "type",
        "2",
        "diabetes",
        "高",
        "血压",
        "高血压",
        "MI",
        "c/o",
        "no",
        "denies",
        "否认",
        "β-blocker",
        "COVID-19",
        "café",
        "au",
        "lait",
        "😀",
        "\u{0}",
        ",",
        ".",
        "\n",
        "Ⅱ",
        "a",
        "painful",
    ]);
    prop_oneof![
        prop::collection::vec(words, 0..30).prop_map(|w| w.join(" ")),
        "\\PC{0,80}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn hits_are_terms_on_token_edges(s in text()) {
        let e = engine();
        let (norm, mentions) = e.annotate(&s);
        let n = s.chars().count() as u32;
        let mut last_end = 0;
        for m in &mentions {
            prop_assert!(m.start < m.end && m.end <= n);
            prop_assert!(norm.text.is_char_boundary(m.norm_start));
            prop_assert!(norm.text.is_char_boundary(m.norm_end));
            prop_assert_eq!(&norm.text[m.norm_start..m.norm_end], e.lexicon.term(m.term));
            prop_assert!(m.norm_start >= last_end, "hits overlap");
            last_end = m.norm_end;
            prop_assert!(termnorm_core::tokens::on_boundaries(&norm.text, m.norm_start, m.norm_end));
        }
        // every term occurrence on token edges that no hit covers would be a missed match
        for (i, t) in TERMS.iter().enumerate() {
            for (at, _) in norm.text.match_indices(t) {
                let end = at + t.len();
                if !termnorm_core::tokens::on_boundaries(&norm.text, at, end) {
                    continue;
                }
                let covered = mentions.iter().any(|m| m.norm_start < end && at < m.norm_end);
                prop_assert!(covered, "term {} ({:?}) at {} not matched in {:?}", i, t, at, norm.text);
            }
        }
    }

    #[test]
    fn fuzzy_never_panics(s in "\\PC{0,60}") {
        let idx = FuzzyIndex::new(TERMS.iter().copied());
        for h in idx.search(&termnorm_core::normalize(&s).text, 3, 0.3) {
            prop_assert!((h.term as usize) < TERMS.len() && h.score <= 1.0);
        }
    }
}
