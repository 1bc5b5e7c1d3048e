//! The clean stage: text as it should be stored (case kept, unlike `normalize`). Mojibake
//! repaired (UTF-8 that was decoded as Windows-1252 or Latin-1: "Ã©" → "é", "â€™" → "’"),
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
    if text.is_ascii()
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

pub fn clean(text: &str) -> String {
    let fixed = fix_mojibake(text);
    // NFC only where the text may not be in it already: most text is (ASCII always is).
    if fixed.is_ascii() || is_nfc_quick(fixed.chars()) == IsNormalized::Yes {
        tidy(fixed.chars(), fixed.len())
    } else {
        tidy(fixed.nfc(), fixed.len())
    }
}

/// Controls dropped, spaces and line breaks tidied.
fn tidy(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    let mut newlines = 0;
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
                newlines = 0;
                pending_space = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
