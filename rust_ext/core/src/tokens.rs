//! Tokens of normalized text, as the matcher sees them: a run of word chars (letters and digits
//! outside CJK) or any other single char; spaces and line breaks separate tokens. Terms may
//! start and end only on token edges, so the matcher works token by token.

/// CJK ideographs, kana, hangul: scripts matched per character, without word boundaries.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F
        | 0x20000..=0x3FFFF)
}

pub fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Does `[start, end)` of `text` sit on token boundaries? Only word chars on both sides of an
/// edge make a violation, so CJK text matches anywhere.
pub fn on_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    let after = text[end..].chars().next();
    let ok = |a: Option<char>, b: Option<char>| !matches!((a, b), (Some(x), Some(y)) if is_word(x) && is_word(y));
    ok(before, first) && ok(last, after)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte span in the text.
    pub start: u32,
    pub end: u32,
    /// Hash of the token's bytes (see [`hash_bytes`]).
    pub hash: u64,
}

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A fast hash of a token's bytes, eight at a time (tokens are short; this is a filter key, not
/// a security boundary).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(31);
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes(c.try_into().expect("8 bytes")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(buf));
    }
    (h ^ (h >> 32)).wrapping_mul(K)
}

/// Hashes for maps keyed by token hashes, which are already mixed: the key passes through.
#[derive(Default, Clone, Copy)]
pub struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(bytes);
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// A map keyed by token hashes.
pub type TokenMap<V> =
    std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<PassThrough>>;

/// ASCII letters and digits, as a table: the word-run loop is the tokenizer's hot spot.
const ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = (i as u8).is_ascii_alphanumeric();
        i += 1;
    }
    t
};

/// The tokens of `text` into `out` (cleared first), each with its hash.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    tokenize_first(text, usize::MAX, out)
}

/// The first `max` tokens of `text` into `out` (cleared first).
pub fn tokenize_first(text: &str, max: usize, out: &mut Vec<Token>) {
    out.clear();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() && out.len() < max {
        let x = b[i];
        if x == b' ' || x == b'\n' {
            i += 1;
            continue;
        }
        let start = i;
        if ALNUM[x as usize] || (x >= 0x80 && char_at(text, i).is_some_and(is_word)) {
            // a word run: ASCII letters and digits in a tight loop, other chars decoded
            loop {
                i += b[i..].iter().take_while(|&&y| ALNUM[y as usize]).count();
                match (i < b.len() && b[i] >= 0x80)
                    .then(|| char_at(text, i))
                    .flatten()
                {
                    Some(c) if is_word(c) => i += c.len_utf8(),
                    _ => break,
                }
            }
        } else {
            i += if x < 0x80 {
                1
            } else {
                char_at(text, i).map_or(1, char::len_utf8)
            };
        }
        out.push(Token {
            start: start as u32,
            end: i as u32,
            hash: hash_bytes(&b[start..i]),
        });
    }
}

#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

/// Does token `next` follow `tok` in the same phrase: adjacent, or after exactly one space?
#[inline]
pub fn follows(text: &[u8], tok: &Token, next: &Token) -> bool {
    next.start == tok.end || (next.start == tok.end + 1 && text[tok.end as usize] == b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_hashes() {
        let text = "type 2 diabetes-mellitus (t2dm)\n糖尿病 naïve";
        let mut toks = Vec::new();
        tokenize(text, &mut toks);
        let words: Vec<&str> = toks
            .iter()
            .map(|t| &text[t.start as usize..t.end as usize])
            .collect();
        assert_eq!(
            words,
            vec![
                "type", "2", "diabetes", "-", "mellitus", "(", "t2dm", ")", "糖", "尿", "病",
                "naïve"
            ]
        );
        for (t, w) in toks.iter().zip(&words) {
            assert_eq!(t.hash, hash_bytes(w.as_bytes()));
        }
        assert!(follows(text.as_bytes(), &toks[0], &toks[1]));
        assert!(follows(text.as_bytes(), &toks[2], &toks[3]));
        assert!(!follows(text.as_bytes(), &toks[7], &toks[8]), "line break");
    }
}
