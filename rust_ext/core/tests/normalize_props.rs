use proptest::prelude::*;
use termnorm_core::normalize;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Never panics, and every output char maps to a valid, ordered original span.
    #[test]
    fn spans_are_valid(s in "\\PC*|[a-zA-Z Ⅰ-Ⅻ①-⑩型期\u{0300}-\u{036F}\u{3000}\t\n-]{0,40}") {
        let n = normalize(&s);
        let len = s.chars().count() as u32;
        prop_assert_eq!(n.orig_start.len(), n.text.len());
        prop_assert_eq!(n.orig_end.len(), n.text.len());
        let mut prev_start = 0;
        for (a, b) in n.char_spans() {
            prop_assert!(a < b && b <= len, "span {}..{} of {}", a, b, len);
            prop_assert!(a >= prev_start, "spans go backwards");
            prev_start = a;
        }
        prop_assert!(!n.text.starts_with([' ', '\n']) && !n.text.ends_with([' ', '\n']));
        prop_assert!(!n.text.contains("  ") && !n.text.contains(" \n") && !n.text.contains("\n "));
    }

    /// Normalizing twice changes nothing more (terms and text meet in the same space).
    #[test]
    fn idempotent(s in "\\PC{0,60}") {
        let once = normalize(&s).text;
        prop_assert_eq!(normalize(&once).text, once);
    }
}

/// The case proptest once found: NFKC per segment left the combining marks of "שׁ" + a
/// half-width voiced mark in a non-canonical order, so a second pass changed them.
#[test]
fn idempotent_on_marks_across_segments() {
    for s in [
        "\u{5e9}\u{5c1}\u{ff9e}",
        "a\u{301}\u{ff9e}\u{316}",
        "\u{5e9}\u{ff9e}\u{5c1}",
    ] {
        let once = normalize(s).text;
        assert_eq!(normalize(&once).text, once, "{s:?}");
    }
}
