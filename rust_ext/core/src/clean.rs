//! The clean stage: text as it should be stored (case kept, unlike `normalize`). HTML
//! character references as their chars ("&lt;" → "<": web-based records, the CBLUE files),
//! mojibake repaired (UTF-8 that was decoded as Windows-1252 or Latin-1: "Ã©" → "é", "â€™" → "’"),
//! Unicode NFC, control characters dropped (tab and newline kept), CR LF → LF, runs of spaces
//! and tabs → one space, trailing spaces cut, three or more line breaks → two, ends trimmed.

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Windows-1252 bytes 0x80..=0x9F as the characters they decode to (None: unassigned).
const CP1252: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The byte a char stands for when UTF-8 was shown as Windows-1252 / Latin-1.
fn as_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if u < 0x100 {
        return Some(u as u8);
    }
    CP1252
        .iter()
        .position(|&m| m == Some(c))
        .map(|i| 0x80 + i as u8)
}

/// Repair runs of chars that, read back as bytes, are valid UTF-8 holding non-ASCII text.
fn fix_mojibake(text: &str) -> Cow<'_, str> {
    // every lead char below is U+00C2..U+00E9, UTF-8 0xC3 0x..: one SIMD byte search rules
    // out most texts before the char-wise one
    if memchr::memchr(0xC3, text.as_bytes()).is_none()
        || !text.contains(['Ã', 'Â', 'â', 'Ä', 'Å', 'Î', 'Ï', 'Ð', 'Ñ', 'ç', 'è', 'é'])
    {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // a candidate run starts at a UTF-8 lead byte (0xC2..=0xF4) shown as a char
        let lead = as_byte(chars[i]).filter(|b| (0xC2..=0xF4).contains(b));
        if let Some(b0) = lead {
            let need = match b0 {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            if i + need <= chars.len() {
                let bytes: Option<Vec<u8>> =
                    chars[i..i + need].iter().map(|&c| as_byte(c)).collect();
                if let Some(s) = bytes.and_then(|b| String::from_utf8(b).ok()) {
                    out.push_str(&s);
                    i += need;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// HTML character references ("&lt;", "&#160;", "&nbsp;") as the chars they stand for.
fn unescape(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    html_escape::decode_html_entities(text)
}

pub fn clean(text: &str) -> String {
    let text = unescape(text);
    let fixed = fix_mojibake(&text);
    if is_nfc(&fixed) {
        tidy(&fixed)
    } else {
        tidy(&fixed.nfc().collect::<String>())
    }
}

/// NFC's quick check, asked only of the runs of non-ASCII chars: an ASCII char is NFC and
/// leaves the check in its initial state (no combining class pending), so the runs answer for
/// the whole text, and the ASCII between them is skipped at memory speed.
fn is_nfc(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(|&x| x >= 0x80) {
        let start = i + p;
        i = b[start..]
            .iter()
            .position(|&x| x < 0x80)
            .map_or(b.len(), |q| start + q);
        if is_nfc_quick(text[start..i].chars()) != IsNormalized::Yes {
            return false;
        }
    }
    true
}

/// Printable ASCII but the space: copied a run at a time.
fn plain(x: u8) -> bool {
    (0x21..0x7f).contains(&x)
}

/// The end of the run of bytes from `i` (a plain one) that `tidy` copies as they are: plain
/// bytes, and single spaces or line breaks between two of them ("Pt denies\npain").
fn plain_run(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        if plain(b[i]) {
            i += 1;
        } else if matches!(b[i], b' ' | b'\n') && b.get(i + 1).is_some_and(|&n| plain(n)) {
            i += 2;
        } else {
            break;
        }
    }
    i
}

/// Control chars dropped, runs of spaces and tabs one space, line breaks kept (at most one
/// blank line), nothing at either end.
fn tidy(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut pending_space, mut newlines) = (false, 0);
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = if plain(b[i]) {
            i = plain_run(b, i);
            None
        } else if b[i] < 0x80 {
            i += 1;
            Some(char::from(b[i - 1]))
        } else {
            let c = text[i..].chars().next().expect("a char starts here");
            i += c.len_utf8();
            Some(c)
        };
        match c {
            Some('\n') => {
                pending_space = false;
                newlines += 1;
                continue;
            }
            Some(' ' | '\t' | '\u{a0}') => {
                pending_space = true;
                continue;
            }
            Some(c) if c.is_control() => continue, // '\r' too
            _ => {}
        }
        if !out.is_empty() {
            if newlines > 0 {
                out.push_str(if newlines >= 2 { "\n\n" } else { "\n" });
            } else if pending_space {
                out.push(' ');
            }
        }
        out.push_str(&text[start..i]);
        (newlines, pending_space) = (0, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The char-at-a-time version `clean` replaced: the fast paths must agree with it.
    fn reference(text: &str) -> String {
        let text = html_escape::decode_html_entities(text);
        let fixed = fix_mojibake(&text);
        let chars: Vec<char> = if is_nfc_quick(fixed.chars()) == IsNormalized::Yes {
            fixed.chars().collect()
        } else {
            fixed.nfc().collect()
        };
        let mut out = String::new();
        let (mut pending_space, mut newlines) = (false, 0);
        for c in chars {
            match c {
                '\n' => {
                    pending_space = false;
                    newlines += 1;
                }
                '\r' => {}
                ' ' | '\t' | '\u{a0}' => pending_space = true,
                c if c.is_control() => {}
                c => {
                    if !out.is_empty() {
                        if newlines > 0 {
                            out.push_str(if newlines >= 2 { "\n\n" } else { "\n" });
                        } else if pending_space {
                            out.push(' ');
                        }
                    }
                    out.push(c);
                    (newlines, pending_space) = (0, false);
                }
            }
        }
        out
    }

    const PIECES: &[&str] = &[
        "a",
        "Pt",
        "BP 120/80.",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\n\n\n",
        "\u{0}",
        "\u{7}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{3000}",
        "é",
        "e\u{301}",
        "\u{301}",
        "\u{327}\u{301}",
        "\u{301}\u{327}",
        "Ã©",
        "â€™",
        "ÃX",
        "患者",
        "Ⅱ型",
        "ｶ",
        "\u{2028}",
        "ﬁ",
        "Å",
        "&lt;",
        "&amp;",
        "&nbsp;",
        "&#32;",
        "&",
        "lt;",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        #[test]
        fn fast_paths_agree_with_the_char_wise_clean(
            parts in proptest::collection::vec(0usize..PIECES.len(), 0..40)
        ) {
            let text: String = parts.iter().map(|&i| PIECES[i]).collect();
            proptest::prop_assert_eq!(clean(&text), reference(&text));
        }
    }

    #[test]
    fn repairs_mojibake() {
        assert_eq!(clean("CafÃ© au lait"), "Café au lait");
        assert_eq!(clean("patientâ€™s â€œpainâ€\u{9d}"), "patient’s “pain”");
        assert_eq!(clean("Ã¤rztlicher Befund"), "ärztlicher Befund");
        assert_eq!(clean("Ã©"), "é");
        assert_eq!(
            clean("naïve café"),
            "naïve café",
            "proper text is left alone"
        );
        assert_eq!(clean("ÃX"), "ÃX", "not valid UTF-8 read back: kept");
    }

    #[test]
    fn character_references() {
        assert_eq!(
            clean("血糖&lt;7.0 mmol/L &amp; HbA1c&gt;6.5%"),
            "血糖<7.0 mmol/L & HbA1c>6.5%"
        );
        assert_eq!(clean("a&nbsp;&nbsp;b&#32;c"), "a b c");
        assert_eq!(
            clean("AT&T, R&D, 5 & 6"),
            "AT&T, R&D, 5 & 6",
            "a bare & stays"
        );
    }

    #[test]
    fn whitespace_and_controls() {
        assert_eq!(
            clean("  a\t\tb \r\nc  \n\n\n\nd\u{0}e\u{7} "),
            "a b\nc\n\nde"
        );
        assert_eq!(clean("e\u{301}"), "é", "NFC");
        assert_eq!(clean(""), "");
        assert_eq!(clean("患者\u{3000}否认胸痛"), "患者\u{3000}否认胸痛");
    }
}
