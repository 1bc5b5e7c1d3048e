//! MinHash signatures, one pass per document, and exact-duplicate keys (clustering: `lsh`).
//!
//! Shingles are `ngram` consecutive words (lower-cased runs of letters and digits; each CJK
//! character is a word of its own, so Chinese gets character n-grams). A document with fewer
//! words than `ngram` is one shingle. Each shingle is hashed to 64 bits from its words' hashes,
//! then every permutation is `(a·x + b) mod 2^32` of its top 32 bits x (a odd: a bijection of
//! u32; the top bits, which decide the minimum, depend on all of x), and the signature keeps the
//! minimum per permutation. 32-bit lanes let the loop run eight permutations per instruction.
//! (A 64-bit multiply-shift is as good and 2.4x slower; `(a·x + b) >> 32` with a < 2^32 is
//! nearly monotone in x, the same order for every permutation: near-dup precision fell to 0.92.) Parameters are drawn from `seed` by splitmix64,
//! so signatures are the same on every machine and run.

use crate::tokens::is_cjk;

pub struct MinHasher {
    a: Vec<u32>,
    b: Vec<u32>,
    ngram: usize,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn mix(h: u64) -> u64 {
    let h = (h ^ (h >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    let h = (h ^ (h >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// Hashes of the words of `text`: ASCII letters/digits lower-cased in place of a copy.
fn word_hashes(text: &str, out: &mut Vec<u64>) {
    out.clear();
    let mut h: u64 = 0;
    let mut in_word = false;
    let flush = |h: &mut u64, in_word: &mut bool, out: &mut Vec<u64>| {
        if *in_word {
            out.push(mix(*h));
            *h = 0;
            *in_word = false;
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            h = (h ^ c.to_ascii_lowercase() as u64).wrapping_mul(0x100_0000_01B3);
            in_word = true;
        } else if c.is_ascii() {
            flush(&mut h, &mut in_word, out);
        } else if is_cjk(c) {
            flush(&mut h, &mut in_word, out);
            out.push(mix(c as u64 ^ 0x5BD1_E995));
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                h = (h ^ l as u64).wrapping_mul(0x100_0000_01B3);
            }
            in_word = true;
        } else {
            flush(&mut h, &mut in_word, out);
        }
    }
    flush(&mut h, &mut in_word, out);
}

impl MinHasher {
    pub fn new(num_perm: usize, ngram: usize, seed: u64) -> Self {
        let mut state = seed;
        let a = (0..num_perm)
            .map(|_| splitmix64(&mut state) as u32 | 1)
            .collect();
        let b = (0..num_perm)
            .map(|_| splitmix64(&mut state) as u32)
            .collect();
        MinHasher {
            a,
            b,
            ngram: ngram.max(1),
        }
    }

    pub fn num_perm(&self) -> usize {
        self.a.len()
    }

    /// The signature of `text` into `sig` (`num_perm` values); `words` is scratch space. An
    /// empty text (no words) gets all `u32::MAX`.
    pub fn signature_into(&self, text: &str, words: &mut Vec<u64>, sig: &mut [u32]) {
        sig.fill(u32::MAX);
        word_hashes(text, words);
        if words.is_empty() {
            return;
        }
        let n = self.ngram.min(words.len());
        // shingle hashes replace the word hashes in place: window i only reads words i..i+n
        for i in 0..=words.len() - n {
            words[i] = mix(words[i..i + n]
                .iter()
                .fold(0u64, |h, &v| h.rotate_left(17) ^ v))
                >> 32;
        }
        words.truncate(words.len() - n + 1);
        permute_min(words, &self.a, &self.b, sig);
    }

    pub fn signature(&self, text: &str) -> Vec<u32> {
        let mut sig = vec![0; self.num_perm()];
        self.signature_into(text, &mut Vec::new(), &mut sig);
        sig
    }
}

/// `sig[i] = min over x of (a[i]·x + b[i]) mod 2^32`. The same loop twice: compiled for AVX2 it
/// runs 2-3x faster (eight 32-bit lanes), chosen at run time where the CPU has it.
fn permute_min(xs: &[u64], a: &[u32], b: &[u32], sig: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { permute_min_avx2(xs, a, b, sig) };
    }
    permute_min_portable(xs, a, b, sig)
}

#[inline(always)]
fn permute_min_portable(xs: &[u64], a: &[u32], b: &[u32], sig: &mut [u32]) {
    for &x in xs {
        let x = x as u32;
        for ((s, &a), &b) in sig.iter_mut().zip(a).zip(b) {
            let v = a.wrapping_mul(x).wrapping_add(b);
            *s = (*s).min(v);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn permute_min_avx2(xs: &[u64], a: &[u32], b: &[u32], sig: &mut [u32]) {
    permute_min_portable(xs, a, b, sig)
}

/// The key exact deduplication compares: a 128-bit hash of the normalized text, so copies that
/// differ only in case, width, whitespace or punctuation style are one document.
pub fn exact_key(text: &str) -> u128 {
    normalized_key(&crate::normalize::normalize(text).text)
}

/// [`exact_key`] of a text from its normalized form (for callers that normalize it anyway).
pub fn normalized_key(norm: &str) -> u128 {
    let b = norm.as_bytes();
    let (mut h1, mut h2) = (0x243F_6A88_85A3_08D3u64, 0x1319_8A2E_0370_7344u64);
    for c in b.chunks(8) {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        h1 = mix(h1 ^ w);
        h2 = mix(h2.rotate_left(29) ^ w ^ 0x9E37_79B9_7F4A_7C15);
    }
    let n = b.len() as u64;
    ((mix(h1 ^ n) as u128) << 64) | mix(h2 ^ n) as u128
}

/// Estimated Jaccard similarity: the share of equal signature values.
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(1) as f64
}

/// For each key, the index of its first occurrence (itself for the first, and for a `None`).
pub fn first_occurrences<K: std::hash::Hash + Eq>(
    keys: impl IntoIterator<Item = Option<K>>,
) -> Vec<u32> {
    let mut first = std::collections::HashMap::new();
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| match k {
            Some(k) => *first.entry(k).or_insert(i as u32),
            None => i as u32,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_estimate_jaccard() {
        let m = MinHasher::new(256, 3, 1);
        let a = "the patient denies chest pain and shortness of breath at rest today";
        let b = "the patient denies chest pain and shortness of breath at rest tonight";
        let c = "fracture of the left distal radius after a fall on an outstretched hand";
        let (sa, sb, sc) = (m.signature(a), m.signature(b), m.signature(c));
        assert!(similarity(&sa, &sb) > 0.6, "{}", similarity(&sa, &sb)); // true J = 10/12
        assert!(similarity(&sa, &sc) < 0.1);
        assert_eq!(
            m.signature("The PATIENT, denies!"),
            m.signature("the patient denies")
        );
        assert_eq!(m.signature(""), vec![u32::MAX; 256]);
        let zh = MinHasher::new(64, 2, 1);
        assert!(similarity(&zh.signature("患者否认胸痛"), &zh.signature("患者否认胸闷")) > 0.3);
    }

    #[test]
    fn exact_keys_ignore_case_width_and_spacing() {
        assert_eq!(exact_key("Chest  PAIN.\n"), exact_key("chest pain."));
        assert_eq!(exact_key("ＣＯＶＩＤ－１９"), exact_key("covid-19"));
        assert_ne!(exact_key("chest pain"), exact_key("chest pains"));
        assert_ne!(exact_key("abcdefgh"), exact_key("abcdefgh\u{0}\u{0}x"));
    }
}
