//! Quality and script signals of a document in one pass over its chars: what the corpus quality
//! filters (Gopher-style rules) and the language rules read.

use crate::tokens::{hash_bytes, is_cjk, TokenMap};

/// English words that are not also common words of other Latin-script languages ("a", "in",
/// "no", "on", "patient" are): their share of a text's words tells English prose apart.
pub const ENGLISH_FUNCTION_WORDS: [&str; 34] = [
    "the", "of", "and", "to", "is", "was", "with", "for", "not", "at", "by", "be", "are", "were",
    "this", "that", "he", "she", "his", "her", "from", "or", "an", "has", "had", "which", "there",
    "denies", "without", "after", "history", "who", "they", "been",
];

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Signals {
    pub n_chars: u32,
    /// Whitespace-separated words.
    pub n_words: u32,
    pub mean_word_len: f64,
    /// Chars that are neither letters, digits, whitespace nor CJK, over all chars.
    pub symbol_ratio: f64,
    pub digit_ratio: f64,
    /// Non-empty lines (trimmed) that repeat an earlier line, over non-empty lines.
    pub dup_line_frac: f64,
    /// CJK chars over letters.
    pub cjk_ratio: f64,
    /// Latin-script letters over letters.
    pub latin_ratio: f64,
    /// English function words over runs of ASCII letters.
    pub english_ratio: f64,
}

/// One signal's value in a document: a count or a ratio.
#[derive(Clone, Copy)]
pub enum Signal {
    Count(fn(&Signals) -> u32),
    Ratio(fn(&Signals) -> f64),
}

/// The signals by name, in the order of the columns the bindings return (the Python stage and
/// its filters read these names).
pub const SIGNALS: [(&str, Signal); 9] = [
    ("n_chars", Signal::Count(|s| s.n_chars)),
    ("n_words", Signal::Count(|s| s.n_words)),
    ("mean_word_len", Signal::Ratio(|s| s.mean_word_len)),
    ("symbol_ratio", Signal::Ratio(|s| s.symbol_ratio)),
    ("digit_ratio", Signal::Ratio(|s| s.digit_ratio)),
    ("dup_line_frac", Signal::Ratio(|s| s.dup_line_frac)),
    ("cjk_ratio", Signal::Ratio(|s| s.cjk_ratio)),
    ("latin_ratio", Signal::Ratio(|s| s.latin_ratio)),
    ("english_ratio", Signal::Ratio(|s| s.english_ratio)),
];

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF)
}

/// CJK and full-width punctuation (、。「」（），：；): Chinese prose needs more of it than
/// English does, so it is not counted among the symbols.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40
        | 0xFF5B..=0xFF65)
}

/// The length of the PHI placeholder (`[NAME]`, `[ID_CARD]`: capitals and `_` in brackets)
/// that `bytes` starts with, if it starts with one.
fn placeholder_len(bytes: &[u8]) -> Option<usize> {
    let inner = bytes[1..]
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_uppercase() || **b == b'_')
        .count();
    (inner >= 2 && bytes.get(1 + inner) == Some(&b']')).then_some(inner + 2)
}

/// A run of up to 8 ASCII letters as one number: lowercase bytes shifted in.
fn pack(word: &[u8]) -> u64 {
    word.iter()
        .fold(0u64, |k, b| (k << 8) | u64::from(b.to_ascii_lowercase()))
}

pub struct QualityScorer {
    /// The function words packed (none is longer than 8 letters) in a table that a multiply
    /// and a shift index without collisions: each word of a text is one load and one compare.
    function_words: [u64; 256],
    multiplier: u64,
}

impl Default for QualityScorer {
    fn default() -> Self {
        let keys: Vec<u64> = ENGLISH_FUNCTION_WORDS
            .iter()
            .map(|w| {
                debug_assert!(w.len() <= 8);
                pack(w.as_bytes())
            })
            .collect();
        // the first odd multiplier (from a fixed sequence) that spreads the words apart; 0
        // (no word) marks an empty slot, and no packed run of letters is 0
        let mut state = 1u64;
        loop {
            state = state
                .wrapping_mul(0x5851_F42D_4C95_7F2D)
                .wrapping_add(0x1405_7B7E_F767_814F);
            let mut q = QualityScorer {
                function_words: [0; 256],
                multiplier: state | 1,
            };
            let mut ok = true;
            for &k in &keys {
                let s = q.slot(k);
                ok &= q.function_words[s] == 0;
                q.function_words[s] = k;
            }
            if ok {
                return q;
            }
        }
    }
}

impl QualityScorer {
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(self.multiplier) >> 56) as usize
    }

    fn is_function_word(&self, key: u64) -> bool {
        self.function_words[self.slot(key)] == key
    }

    pub fn signals(&self, text: &str) -> Signals {
        let (mut chars, mut letters, mut cjk, mut latin, mut digits, mut symbols) =
            (0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
        let (mut words, mut word_chars) = (0u32, 0u32);
        let (mut in_word, mut run_len, mut run_key) = (false, 0usize, 0u64);
        let (mut ascii_words, mut english) = (0u32, 0u32);
        let mut end_ascii_run = |len: &mut usize, key: &mut u64| {
            if *len > 0 {
                ascii_words += 1;
                english += u32::from(*len <= 8 && self.is_function_word(*key));
                (*len, *key) = (0, 0);
            }
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            chars += 1;
            let b = bytes[i];
            if b.is_ascii() {
                // the same counts as the general path below, without decoding or Unicode
                // tables (most clinical text is ASCII; this is 3x faster on it)
                i += 1;
                if matches!(b, b' ' | b'\t'..=b'\r') {
                    in_word = false;
                    end_ascii_run(&mut run_len, &mut run_key);
                    continue;
                }
                words += u32::from(!in_word);
                in_word = true;
                word_chars += 1;
                if b.is_ascii_alphabetic() {
                    run_len += 1;
                    run_key = (run_key << 8) | u64::from(b.to_ascii_lowercase());
                    letters += 1;
                    latin += 1;
                    continue;
                }
                end_ascii_run(&mut run_len, &mut run_key);
                if b.is_ascii_digit() {
                    digits += 1;
                } else if let Some(n) = (b == b'[')
                    .then(|| placeholder_len(&bytes[i - 1..]))
                    .flatten()
                {
                    // a PHI placeholder ("[NAME]") is one word of neither letters nor symbols
                    chars += n as u32 - 1;
                    word_chars += n as u32 - 1;
                    i += n - 1;
                } else {
                    symbols += 1;
                }
                continue;
            }
            let c = text[i..].chars().next().expect("a char starts here");
            i += c.len_utf8();
            end_ascii_run(&mut run_len, &mut run_key);
            if c.is_whitespace() {
                in_word = false;
                continue;
            }
            words += u32::from(!in_word);
            in_word = true;
            word_chars += 1;
            if c.is_alphabetic() {
                letters += 1;
                cjk += u32::from(is_cjk(c));
                latin += u32::from(is_latin(c));
            } else if c.is_numeric() {
                digits += 1;
            } else if !is_cjk_punctuation(c) {
                symbols += 1;
            }
        }
        end_ascii_run(&mut run_len, &mut run_key);
        let mut seen: TokenMap<()> = TokenMap::default();
        let (mut lines, mut repeated) = (0u32, 0u32);
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            lines += 1;
            repeated += u32::from(seen.insert(hash_bytes(line.as_bytes()), ()).is_some());
        }
        Signals {
            n_chars: chars,
            n_words: words,
            mean_word_len: ratio(word_chars, words),
            symbol_ratio: ratio(symbols, chars),
            digit_ratio: ratio(digits, chars),
            dup_line_frac: ratio(repeated, lines),
            cjk_ratio: ratio(cjk, letters),
            latin_ratio: ratio(latin, letters),
            english_ratio: ratio(english, ascii_words),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain per-char definition of the counts, the oracle of the ASCII fast path.
    fn reference(text: &str) -> (u32, u32, u32, u32, u32, u32, u32, u32) {
        let (mut chars, mut words, mut word_chars, mut in_word) = (0, 0, 0, false);
        let (mut letters, mut cjk, mut latin, mut digits, mut symbols) = (0, 0, 0, 0, 0);
        let mut placeholder_end = 0;
        for (at, c) in text.char_indices() {
            chars += 1;
            if at < placeholder_end {
                word_chars += 1;
                continue;
            }
            if c == '[' {
                if let Some(n) = placeholder_len(&text.as_bytes()[at..]) {
                    placeholder_end = at + n;
                    words += u32::from(!in_word);
                    in_word = true;
                    word_chars += 1;
                    continue;
                }
            }
            if c.is_whitespace() {
                in_word = false;
            } else {
                words += u32::from(!in_word);
                in_word = true;
                word_chars += 1;
            }
            if c.is_alphabetic() {
                letters += 1;
                cjk += u32::from(is_cjk(c));
                latin += u32::from(is_latin(c));
            } else if c.is_numeric() {
                digits += 1;
            } else if !c.is_whitespace() && !is_cjk_punctuation(c) {
                symbols += 1;
            }
        }
        (
            chars, words, word_chars, letters, cjk, latin, digits, symbols,
        )
    }

    #[test]
    fn function_words_are_found_and_only_they() {
        let q = QualityScorer::default();
        for w in ENGLISH_FUNCTION_WORDS {
            assert!(q.is_function_word(pack(w.as_bytes())), "{w}");
            assert!(q.is_function_word(pack(w.to_uppercase().as_bytes())), "{w}");
        }
        for w in [
            "a", "in", "no", "patient", "hte", "thee", "historys", "denie", "z",
        ] {
            assert!(!q.is_function_word(pack(w.as_bytes())), "{w}");
        }
        let s = q.signals("The patient denies pain; HISTORY of asthma, treated with albuterol.");
        // runs of ASCII letters: the patient denies pain history of asthma treated with albuterol
        assert!(
            (s.english_ratio - 5.0 / 10.0).abs() < 1e-9,
            "{}",
            s.english_ratio
        );
    }

    proptest::proptest! {
        #[test]
        fn fast_path_counts_as_the_definition(text in "[a-zA-Z0-9 \t\n.,:;()/\\[\\]_-é中文١٢\u{a0}\u{3000}ß，。]{0,80}") {
            let s = QualityScorer::default().signals(&text);
            let (chars, words, word_chars, letters, cjk, latin, digits, symbols) = reference(&text);
            proptest::prop_assert_eq!((s.n_chars, s.n_words), (chars, words));
            proptest::prop_assert_eq!(s.mean_word_len, ratio(word_chars, words));
            proptest::prop_assert_eq!(s.symbol_ratio, ratio(symbols, chars));
            proptest::prop_assert_eq!(s.digit_ratio, ratio(digits, chars));
            proptest::prop_assert_eq!(s.cjk_ratio, ratio(cjk, letters));
            proptest::prop_assert_eq!(s.latin_ratio, ratio(latin, letters));
        }
    }

    #[test]
    fn counts_words_scripts_and_repeats() {
        let q = QualityScorer::default();
        let s = q.signals("The patient was seen.\nThe patient was seen.\n\n  ");
        assert_eq!((s.n_words, s.dup_line_frac), (8, 0.5));
        assert!(
            (s.english_ratio - 4.0 / 8.0).abs() < 1e-9,
            "{}",
            s.english_ratio
        );
        assert_eq!(s.latin_ratio, 1.0);
        let z = q.signals("患者男，65岁。");
        assert_eq!(z.n_chars, 8);
        assert_eq!((z.cjk_ratio, z.digit_ratio), (1.0, 0.25));
        assert_eq!(z.symbol_ratio, 0.0, "CJK punctuation is no symbol");
        let p = q.signals("[NAME] seen on [DATE] (follow up) [x]");
        assert_eq!((p.n_chars, p.n_words), (37, 7));
        assert!(
            (p.symbol_ratio - 4.0 / 37.0).abs() < 1e-9,
            "only ( ) [ ] count"
        );
        assert_eq!(q.signals(""), Signals::default());
        let fr = q.signals("Le patient a été vu pour une douleur thoracique");
        assert_eq!(fr.english_ratio, 0.0);
    }
}
