//! Surrogates: realistic stand-ins for the identifiers the PHI rules find, consistent within a
//! document (the same name is the same surrogate every time it recurs in that note, so "Mr.
//! Smith ... Smith's wife" stays coherent) and different across documents. Shapes are kept:
//! digits stay digits, letters stay letters of the same case, a date keeps its year (Safe
//! Harbor allows it) and gets a valid month/day, a Chinese name stays Chinese.

use crate::phi::PhiType;
use crate::tokens::{hash_bytes, is_cjk};

const FIRST: [&str; 16] = [
    "James", "Mary", "Robert", "Linda", "Michael", "Susan", "David", "Karen", "Daniel", "Nancy",
    "Paul", "Laura", "Mark", "Helen", "Steven", "Ruth",
];
const LAST: [&str; 16] = [
    "Carter", "Hughes", "Morgan", "Bennett", "Foster", "Griffin", "Hayes", "Jordan", "Kelley",
    "Lawson", "Maddox", "Norris", "Porter", "Reyes", "Sutton", "Walsh",
];
const ZH_SURNAMES: [char; 16] = [
    '王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林',
];
const ZH_GIVEN: [char; 16] = [
    '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '霞',
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const STREETS: [&str; 8] = [
    "Maple Avenue",
    "Oak Street",
    "Cedar Lane",
    "Pine Road",
    "Elm Drive",
    "Birch Court",
    "Willow Way",
    "Spruce Boulevard",
];
const ZH_STREETS: [&str; 8] = [
    "和平路",
    "建设路",
    "人民路",
    "解放路",
    "中山路",
    "长江路",
    "青年路",
    "新华路",
];

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// The seed of one document: surrogates differ across documents.
pub fn document_seed(text: &str) -> u64 {
    hash_bytes(text.as_bytes())
}

/// The surrogate of identifier `value` of type `kind` in the document seeded `seed`: the same
/// (kind, value) always gives the same surrogate under one seed (case and spacing ignored).
pub fn surrogate(kind: PhiType, value: &str, seed: u64) -> String {
    let key: String = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let mut rng = Rng(seed ^ hash_bytes(key.as_bytes()) ^ (kind as u64).rotate_left(17));
    match kind {
        PhiType::Name => name(value, &mut rng),
        PhiType::Date => date(value, &mut rng),
        PhiType::Email => {
            format!("{}.{}@example.org", rng.pick(&FIRST), rng.pick(&LAST)).to_lowercase()
        }
        PhiType::Url => format!("https://example.org/{}", rng.next() % 100_000),
        PhiType::Age => "90".to_string(),
        PhiType::Address => address(value, &mut rng),
        _ => same_shape(value, &mut rng),
    }
}

fn name(value: &str, rng: &mut Rng) -> String {
    if value.chars().any(is_cjk) {
        let n = value.chars().filter(|&c| is_cjk(c)).count().clamp(2, 3);
        let mut out = String::from(rng.pick(&ZH_SURNAMES));
        (1..n).for_each(|_| out.push(rng.pick(&ZH_GIVEN)));
        return out;
    }
    match value.split_whitespace().count() {
        0 | 1 => rng.pick(&LAST).to_string(),
        _ => format!("{} {}", rng.pick(&FIRST), rng.pick(&LAST)),
    }
}

/// Years (4 digits starting 19 or 20) stay; other numbers become 1..=12, valid as a month or a
/// day; month names become another month name.
fn date(value: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            let run = rest.len() - rest.trim_start_matches(|x: char| x.is_ascii_digit()).len();
            let digits = &rest[..run];
            if run == 4 && (digits.starts_with("19") || digits.starts_with("20")) {
                out.push_str(digits);
            } else {
                let v = 1 + rng.next() % 12;
                out.push_str(&format!("{v:0width$}", width = run.min(2)));
            }
            rest = &rest[run..];
        } else if c.is_ascii_alphabetic() {
            let run = rest.len()
                - rest
                    .trim_start_matches(|x: char| x.is_ascii_alphabetic())
                    .len();
            let word = &rest[..run];
            let month = MONTHS
                .iter()
                .any(|m| m.to_lowercase().starts_with(&word.to_lowercase()) && run >= 3);
            if month {
                let m = rng.pick(&MONTHS);
                out.push_str(if run == 3 { &m[..3] } else { m });
            } else {
                out.push_str(word);
            }
            rest = &rest[run..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn address(value: &str, rng: &mut Rng) -> String {
    if value.chars().any(is_cjk) {
        return format!("{}{}号", rng.pick(&ZH_STREETS), 1 + rng.next() % 200);
    }
    format!("{} {}", 1 + rng.next() % 9_000, rng.pick(&STREETS))
}

/// Digits → digits, letters → letters of the same case, the rest kept.
fn same_shape(value: &str, rng: &mut Rng) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from(b'0' + (rng.next() % 10) as u8)
            } else if c.is_ascii_uppercase() {
                char::from(b'A' + (rng.next() % 26) as u8)
            } else if c.is_ascii_lowercase() {
                char::from(b'a' + (rng.next() % 26) as u8)
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_within_a_document_and_shaped_like_the_original() {
        let s = 42;
        let a = surrogate(PhiType::Name, "Alice Moore", s);
        assert_eq!(a, surrogate(PhiType::Name, "alice  MOORE", s));
        assert_ne!(a, "Alice Moore");
        assert_eq!(a.split(' ').count(), 2);
        let zh = surrogate(PhiType::Name, "张三丰", s);
        assert_eq!(zh.chars().count(), 3);
        assert!(zh.chars().all(is_cjk));
        let d = surrogate(PhiType::Date, "03/15/2019", s);
        assert!(d.ends_with("/2019") && d.len() == 10, "{d}");
        let month: u32 = d[..2].parse().expect("digits");
        assert!((1..=12).contains(&month));
        let m = surrogate(PhiType::Date, "March 3, 2021", s);
        assert!(
            m.ends_with(", 2021") && MONTHS.iter().any(|x| m.starts_with(x)),
            "{m}"
        );
        let p = surrogate(PhiType::Phone, "(555) 123-4567", s);
        assert_eq!(p.len(), 14);
        assert_eq!(&p[..1], "(");
        assert_ne!(p, "(555) 123-4567");
        assert_ne!(
            surrogate(PhiType::Name, "Alice Moore", 1),
            surrogate(PhiType::Name, "Alice Moore", 2)
        );
    }
}
