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
pub fn surrogate(kind: PhiType, value: &str, seed: u64, shift: i64) -> String {
    let key: String = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let mut rng = Rng(seed ^ hash_bytes(key.as_bytes()) ^ (kind as u64).rotate_left(17));
    match kind {
        PhiType::Name => name(value, &mut rng),
        PhiType::Date => shifted_date(value, shift, &mut rng),
        PhiType::Email => {
            format!("{}.{}@example.org", rng.pick(&FIRST), rng.pick(&LAST)).to_lowercase()
        }
        PhiType::Url => format!("https://example.org/{}", rng.next() % 100_000),
        PhiType::Age => "90".to_string(),
        PhiType::Address => address(value, &mut rng),
        PhiType::Location => location(value, &mut rng),
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

/// The number of days a document's (or a patient's) dates move: one offset for all of them,
/// so intervals hold; 30 to 365 days back or forward, never zero.
pub fn date_shift(seed: u64) -> i64 {
    let mut rng = Rng(seed ^ 0xD47E_5417);
    let days = 30 + (rng.next() % 336) as i64;
    if rng.next().is_multiple_of(2) {
        days
    } else {
        -days
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) and back.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A date's parts as written: numbers and words with what lies between them.
enum Part<'a> {
    Num(&'a str),
    Word(&'a str),
    Other(&'a str),
}

fn parts(value: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        let run = |f: fn(char) -> bool| rest.len() - rest.trim_start_matches(f).len();
        let (n, kind) = if c.is_ascii_digit() {
            (run(|x| x.is_ascii_digit()), 0)
        } else if c.is_ascii_alphabetic() {
            (run(|x| x.is_ascii_alphabetic()), 1)
        } else {
            (c.len_utf8(), 2)
        };
        let piece = &rest[..n];
        out.push(match kind {
            0 => Part::Num(piece),
            1 => Part::Word(piece),
            _ => Part::Other(piece),
        });
        rest = &rest[n..];
    }
    out
}

fn month_of(word: &str) -> Option<i64> {
    let w = word.to_ascii_lowercase();
    (w.len() >= 3)
        .then(|| {
            MONTHS
                .iter()
                .position(|m| m.to_ascii_lowercase().starts_with(&w))
        })
        .flatten()
        .map(|i| i as i64 + 1)
}

/// `value` moved by `shift` days in the shape it was written: "7/22" -> "9/3", "2/3/21" ->
/// "3/20/21", "March 3, 2021" -> "April 15, 2021", "2021年3月5日" -> "2021年4月17日". A date
/// without a year moves within a leap year (Feb 29 stays valid); what cannot be read as a
/// date (a holiday, "the 22nd") gets a day of the same shape.
fn shifted_date(value: &str, shift: i64, rng: &mut Rng) -> String {
    let ps = parts(value);
    let nums: Vec<(usize, i64, usize)> = ps
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Part::Num(n) => n.parse().ok().map(|v| (i, v, n.len())),
            _ => None,
        })
        .collect();
    let month_word = ps.iter().enumerate().find_map(|(i, p)| match p {
        Part::Word(w) => month_of(w).map(|m| (i, m)),
        _ => None,
    });
    if let Some(out) = holiday_or_day(value, shift) {
        return out;
    }
    // (index of the part) for year, month, day; a month and year alone ("March 2021",
    // "2021年3月") move as their 15th does, the day not written
    const NO_DAY: usize = usize::MAX;
    let (y, m, d): (Option<usize>, usize, usize);
    let zh = value.contains('月');
    if let Some((mi, _)) = month_word {
        let day = nums.iter().find(|n| n.2 <= 2);
        let year = nums.iter().find(|n| n.2 == 4);
        match (day, year) {
            (Some(day), _) => (y, m, d) = (year.map(|n| n.0), mi, day.0),
            (None, Some(year)) => (y, m, d) = (Some(year.0), mi, NO_DAY),
            (None, None) => return date_fallback(value, rng),
        }
    } else if zh {
        // 2021年3月5日 / 3月5日 / 2021年3月: the numbers before 年, 月, 日/号
        match nums.as_slice() {
            [a, b, c] => (y, m, d) = (Some(a.0), b.0, c.0),
            [a, b] if a.2 != 4 => (y, m, d) = (None, a.0, b.0),
            [a, b] => (y, m, d) = (Some(a.0), b.0, NO_DAY),
            _ => return date_fallback(value, rng),
        }
    } else {
        match nums.as_slice() {
            [a, b, c] if a.2 == 4 => (y, m, d) = (Some(a.0), b.0, c.0),
            [a, b, c] => (y, m, d) = (Some(c.0), a.0, b.0),
            [a, b] => (y, m, d) = (None, a.0, b.0),
            _ => return date_fallback(value, rng),
        }
    }
    let num = |i: usize| nums.iter().find(|n| n.0 == i).map(|n| n.1);
    let month = match month_word {
        Some((_, mm)) => mm,
        None => match num(m) {
            Some(v) => v,
            None => return date_fallback(value, rng),
        },
    };
    let day = if d == NO_DAY { Some(15) } else { num(d) };
    let (Some(day), year) = (day, y.and_then(num)) else {
        return date_fallback(value, rng);
    };
    let full_year = match (
        year,
        y.map(|i| nums.iter().find(|n| n.0 == i).map_or(4, |n| n.2)),
    ) {
        (Some(v), Some(2)) => 2000 + v,
        (Some(v), _) => v,
        (None, _) => 2000,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return date_fallback(value, rng);
    }
    let (ny, nm, nd) = civil_from_days(days_from_civil(full_year, month, day) + shift);
    let mut out = String::with_capacity(value.len() + 4);
    for (i, p) in ps.iter().enumerate() {
        match p {
            Part::Num(n) if Some(i) == y => {
                if n.len() == 2 {
                    out.push_str(&format!("{:02}", ny.rem_euclid(100)));
                } else {
                    out.push_str(&ny.to_string());
                }
            }
            Part::Num(n) if i == m => out.push_str(&format!("{nm:0w$}", w = n.len().min(2))),
            Part::Num(n) if i == d => out.push_str(&format!("{nd:0w$}", w = n.len().min(2))),
            Part::Word(w) if Some(i) == month_word.map(|x| x.0) => {
                let name = MONTHS[nm as usize - 1];
                let abbr = w.len() <= 4 && !MONTHS.iter().any(|x| x.eq_ignore_ascii_case(w));
                let name = if abbr { &name[..3] } else { name };
                if w.chars().all(|c| c.is_ascii_uppercase()) {
                    out.push_str(&name.to_ascii_uppercase());
                } else if w.starts_with(|c: char| c.is_ascii_lowercase()) {
                    out.push_str(&name.to_ascii_lowercase());
                } else {
                    out.push_str(name);
                }
            }
            Part::Num(n) | Part::Word(n) | Part::Other(n) => out.push_str(n),
        }
    }
    out
}

/// Holidays ("Christmas Eve") as the month and day they fall on, and a day alone ("the 22nd",
/// "3rd"), moved by `shift` days: a holiday kept as written would give the real date away.
fn holiday_or_day(value: &str, shift: i64) -> Option<String> {
    const HOLIDAYS: [(&str, i64, i64); 13] = [
        ("christmas eve", 12, 24),
        ("christmas", 12, 25),
        ("xmas", 12, 25),
        ("new year's eve", 12, 31),
        ("new years eve", 12, 31),
        ("new year", 1, 1),
        ("thanksgiving", 11, 25),
        ("easter", 4, 10),
        ("memorial day", 5, 28),
        ("labor day", 9, 3),
        ("of july", 7, 4),
        ("halloween", 10, 31),
        ("valentine", 2, 14),
    ];
    let lower = value.to_ascii_lowercase();
    if let Some(&(_, m, d)) = HOLIDAYS.iter().find(|h| lower.contains(h.0)) {
        let (_, nm, nd) = civil_from_days(days_from_civil(2001, m, d) + shift);
        return Some(format!("{} {nd}", MONTHS[nm as usize - 1]));
    }
    let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
    let ordinal = ["st", "nd", "rd", "th"].iter().any(|s| lower.ends_with(s));
    if ordinal && !digits.is_empty() && digits.len() <= 2 && !lower.contains(['/', '-', '.']) {
        let day: i64 = digits.parse().ok()?;
        let nd = (day - 1 + shift).rem_euclid(28) + 1;
        let suffix = match nd {
            1 | 21 => "st",
            2 | 22 => "nd",
            3 | 23 => "rd",
            _ => "th",
        };
        let head = &value[..value.find(|c: char| c.is_ascii_digit())?];
        return Some(format!("{head}{nd}{suffix}"));
    }
    None
}

/// A date-like value that is not month/day/year: numbers become 1..=12, words stay.
fn date_fallback(value: &str, rng: &mut Rng) -> String {
    parts(value)
        .iter()
        .map(|p| match p {
            Part::Num(n) => format!("{:0w$}", 1 + rng.next() % 12, w = n.len().min(2)),
            Part::Word(w) | Part::Other(w) => w.to_string(),
        })
        .collect()
}

/// A place of the same script and kind: a hospital for a hospital, a town for a town.
fn location(value: &str, rng: &mut Rng) -> String {
    const TOWNS: [&str; 8] = [
        "Millbrook",
        "Eastfield",
        "Harlow",
        "Westbury",
        "Ashton",
        "Fairview",
        "Lakeside",
        "Brookdale",
    ];
    const ZH_TOWNS: [&str; 8] = [
        "青山", "白河", "临江", "东平", "安宁", "长乐", "南川", "西宁",
    ];
    if value.chars().any(is_cjk) {
        let town = rng.pick(&ZH_TOWNS);
        for (suffix, out) in [
            ("医院", "市人民医院"),
            ("卫生院", "镇卫生院"),
            ("中心", "社区卫生服务中心"),
            ("县", "县"),
            ("区", "区"),
            ("市", "市"),
            ("镇", "镇"),
            ("村", "村"),
        ] {
            if value.ends_with(suffix) {
                return format!("{town}{out}");
            }
        }
        return town.to_string();
    }
    let town = rng.pick(&TOWNS);
    let lower = value.to_ascii_lowercase();
    for head in [
        "hospital",
        "medical center",
        "clinic",
        "rehab",
        "center",
        "manor",
        "nursing home",
        "hospice",
    ] {
        if lower.ends_with(head) {
            return format!("{town} {}", &value[value.len() - head.len()..]);
        }
    }
    town.to_string()
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
        let sh = date_shift(s);
        let a = surrogate(PhiType::Name, "Alice Moore", s, sh);
        assert_eq!(a, surrogate(PhiType::Name, "alice  MOORE", s, sh));
        assert_ne!(a, "Alice Moore");
        assert_eq!(a.split(' ').count(), 2);
        let zh = surrogate(PhiType::Name, "张三丰", s, sh);
        assert_eq!(zh.chars().count(), 3);
        assert!(zh.chars().all(is_cjk));
        let p = surrogate(PhiType::Phone, "(555) 123-4567", s, sh);
        assert_eq!(p.len(), 14);
        assert_eq!(&p[..1], "(");
        assert_ne!(p, "(555) 123-4567");
        assert_ne!(
            surrogate(PhiType::Name, "Alice Moore", 1, sh),
            surrogate(PhiType::Name, "Alice Moore", 2, sh)
        );
    }

    fn day_number(v: &str) -> i64 {
        let n: Vec<i64> = v.split(['/', '-']).map(|x| x.parse().unwrap()).collect();
        match n.as_slice() {
            [m, d, y] => days_from_civil(if *y < 100 { 2000 + y } else { *y }, *m, *d),
            [m, d] => days_from_civil(2000, *m, *d),
            _ => unreachable!(),
        }
    }

    #[test]
    fn dates_move_together_in_their_shape() {
        for seed in [1, 7, 42, 99] {
            let sh = date_shift(seed);
            assert!((30..=365).contains(&sh.abs()));
            let d = |v: &str| surrogate(PhiType::Date, v, seed, sh);
            // "2/3/21, 2/10/21": a week apart before and after
            let (a, b) = (d("2/3/21"), d("2/10/21"));
            assert_eq!(day_number(&b) - day_number(&a), 7, "{a} {b}");
            assert_eq!(day_number(&a) - day_number("2/3/21"), sh);
            // without a year the date wraps around within its (leap) year
            let moved = day_number(&d("7/22")) - day_number("7/22");
            assert!(
                [sh, sh - 365, sh - 366, sh + 365, sh + 366].contains(&moved),
                "{moved} {sh}"
            );
            let iso = d("2021-03-05");
            assert_eq!(iso.len(), 10);
            assert!(d("03/15/2019").len() == 10);
            let m = d("March 3, 2021");
            assert!(
                MONTHS.iter().any(|x| m.starts_with(x)) && m.contains(", 20"),
                "{m}"
            );
            assert!(d("JAN 3").starts_with(|c: char| c.is_ascii_uppercase()));
            let zh = d("2021年3月5日");
            assert!(
                zh.contains('年') && zh.contains('月') && zh.ends_with('日'),
                "{zh}"
            );
        }
        // a month and year, a holiday, a day alone: moved too, nothing of the real date kept
        let sh = date_shift(7);
        let d = |v: &str| surrogate(PhiType::Date, v, 7, sh);
        assert!(d("March 2021").split(' ').count() == 2 && !d("March 2021").contains("March 2021"));
        assert!(d("2021年3月").ends_with('月'));
        assert!(!d("Christmas Eve").to_lowercase().contains("christmas"));
        assert!(d("the 22nd").starts_with("the ") && d("the 22nd") != "the 22nd");
        // the leap day of a date without a year
        assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
    }
}
