//! ConText / NegEx-style context: triggers (negation, uncertainty, history, family) with scopes
//! that run forward or backward from the trigger and stop at sentence ends, at terminators
//! ("but", "however", 但, 但是) and, for Chinese triggers, at clause commas.
//! Works on normalized text (lower-cased, full-width folded), English and Chinese.

use crate::tokens::{hash_bytes, is_cjk, on_boundaries, tokenize, tokenize_first, Token, TokenMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Negated = 0,
    Uncertain = 1,
    Historical = 2,
    Family = 3,
    /// Ends scopes ("but", "however", 但).
    Terminate = 4,
    /// Looks like a trigger but is not ("no increase", "not only"): matched so it blocks.
    Pseudo = 5,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
    Both,
}

/// Context flags of one mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub negated: bool,
    pub uncertain: bool,
    pub historical: bool,
    pub family: bool,
}

impl Flags {
    fn set(&mut self, c: Category) {
        match c {
            Category::Negated => self.negated = true,
            Category::Uncertain => self.uncertain = true,
            Category::Historical => self.historical = true,
            Category::Family => self.family = true,
            Category::Terminate | Category::Pseudo => {}
        }
    }
}

pub struct Trigger {
    pub phrase: String,
    pub category: Category,
    pub direction: Direction,
}

use Category::*;
use Direction::*;

/// The built-in rules: `termnorm/rules/context_{en,zh}.json`, the files users read and extend.
pub const DEFAULT_RULES: [(&str, &str); 2] = [
    (
        "context_en.json",
        include_str!("../../../termnorm/rules/context_en.json"),
    ),
    (
        "context_zh.json",
        include_str!("../../../termnorm/rules/context_zh.json"),
    ),
];

/// The built-in English and Chinese rules.
pub fn default_triggers() -> Vec<Trigger> {
    parse_rules(&DEFAULT_RULES).expect("the built-in rules parse")
}

/// Triggers from rule files in medspaCy's `context_rules.json` shape: `{"context_rules":
/// [{"literal", "category", "direction"}, ...]}`. Literals are normalized as the text is; a
/// literal given with two directions in one category is bidirectional. `files`: (name, JSON
/// text); errors name the file, the rule (its index) and the problem.
pub fn parse_rules(files: &[(&str, &str)]) -> Result<Vec<Trigger>, String> {
    let mut out: Vec<Trigger> = Vec::new();
    for &(f, json) in files {
        let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("{f}: {e}"))?;
        let rules = doc
            .get("context_rules")
            .and_then(|r| r.as_array())
            .ok_or_else(|| format!("{f}: no \"context_rules\" list"))?;
        for (i, r) in rules.iter().enumerate() {
            let field = |k: &str| {
                r.get(k)
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| format!("{f}, rule {i}: no \"{k}\" string"))
            };
            let phrase = crate::normalize(field("literal")?).text;
            if phrase.trim().is_empty() {
                return Err(format!("{f}, rule {i}: empty literal"));
            }
            let category = match field("category")? {
                "NEGATED_EXISTENCE" => Negated,
                "POSSIBLE_EXISTENCE" | "HYPOTHETICAL" => Uncertain,
                "HISTORICAL" => Historical,
                "FAMILY" => Family,
                "TERMINATE" => Terminate,
                "PSEUDO" => Pseudo,
                other => return Err(format!("{f}, rule {i}: unknown category {other:?}")),
            };
            let direction = match field("direction")? {
                "FORWARD" | "TERMINATE" | "PSEUDO" => Forward,
                "BACKWARD" => Backward,
                "BIDIRECTIONAL" => Both,
                other => return Err(format!("{f}, rule {i}: unknown direction {other:?}")),
            };
            match out
                .iter_mut()
                .find(|t| t.phrase == phrase && t.category == category)
            {
                Some(t) if t.direction != direction => t.direction = Both,
                Some(_) => {}
                None => out.push(Trigger {
                    phrase,
                    category,
                    direction,
                }),
            }
        }
    }
    Ok(out)
}

pub struct Context {
    triggers: Vec<Trigger>,
    /// Trigger indices by the hash of their first token, longest phrase first: triggers start
    /// on token starts, so the matcher probes this small map once per token of the text that
    /// the lexicon search has already tokenized.
    by_first_token: TokenMap<Vec<usize>>,
    /// Forward scopes stop after this many words (Latin) or chars (CJK).
    max_words: usize,
}

/// One trigger occurrence and its scope, in normalized byte offsets.
#[derive(Debug, Clone, Copy)]
struct Scope {
    category: Category,
    trig_start: usize,
    trig_end: usize,
    start: usize,
    end: usize,
}

fn is_sentence_end(t: &[u8], i: usize) -> bool {
    match t[i] {
        b'\n' | b';' | b'!' | b'?' => true,
        // "38.9" and "e.g." do not end a sentence; ". " does
        b'.' => t.get(i + 1).is_none_or(|&n| n == b' ' || n == b'\n'),
        _ => false,
    }
}

/// A colon that ends a header: a space or the end after it ("10:30" and "1:1000" are not).
/// Chinese puts no space after it ("高血压:阴性").
fn is_header_colon(t: &[u8], i: usize) -> bool {
    t[i] == b':'
        && t.get(i + 1)
            .is_none_or(|&n| n == b' ' || n == b'\n' || n >= 0x80)
}

/// Where the section header ending in the colon at `colon` starts: up to four words of
/// letters, digits, `/`, `&`, `'`, `-` or non-ASCII (Chinese has no spaces) before it, not
/// before `floor` ("...none postoperative diagnosis: ..." -> the start of "postoperative").
fn header_start(t: &[u8], colon: usize, floor: usize) -> usize {
    header_words_start(t, colon, floor, 4)
}

fn header_words_start(t: &[u8], colon: usize, floor: usize, max_words: usize) -> usize {
    let mut i = colon;
    let mut words = 0;
    while i > floor {
        let c = t[i - 1];
        if c == b' ' {
            if i < colon && t[i] != b' ' {
                words += 1;
                if words == max_words {
                    break;
                }
            }
        } else if !(c.is_ascii_alphanumeric()
            || c >= 0x80
            || matches!(c, b'/' | b'&' | b'\'' | b'-'))
        {
            break;
        }
        i -= 1;
    }
    while i < colon && t[i] == b' ' {
        i += 1;
    }
    i
}

/// Ideographic full stop and semicolon-like CJK punctuation survive NFKC as themselves.
fn cjk_sentence_end(c: char) -> bool {
    matches!(c, '。' | '；' | '！' | '？')
}

impl Context {
    pub fn new(triggers: Vec<Trigger>) -> Result<Self, String> {
        let mut by_first_token: TokenMap<Vec<usize>> = TokenMap::default();
        let mut toks = Vec::new();
        for (i, t) in triggers.iter().enumerate() {
            tokenize_first(&t.phrase, 1, &mut toks);
            let first = toks
                .first()
                .ok_or_else(|| format!("trigger {i} is empty or blank"))?;
            let key = hash_bytes(&t.phrase.as_bytes()[first.start as usize..first.end as usize]);
            by_first_token.entry(key).or_default().push(i);
        }
        // longest first; among equal phrases the first rule wins (stable sort)
        for list in by_first_token.values_mut() {
            list.sort_by_key(|&i| std::cmp::Reverse(triggers[i].phrase.len()));
        }
        Ok(Context {
            triggers,
            by_first_token,
            max_words: 12,
        })
    }

    pub fn with_defaults() -> Self {
        Self::new(default_triggers()).expect("the built-in triggers compile")
    }

    /// Trigger occurrences, leftmost-longest, not overlapping, on token boundaries.
    fn triggers_in(&self, text: &str, tokens: &[Token]) -> Vec<(usize, usize, usize)> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let start = tokens[i].start as usize;
            let hit = self.by_first_token.get(&tokens[i].hash).and_then(|cands| {
                cands.iter().find_map(|&k| {
                    let end = start + self.triggers[k].phrase.len();
                    (text[start..].starts_with(self.triggers[k].phrase.as_str())
                        && on_boundaries(text, start, end))
                    .then_some((start, end, k))
                })
            });
            match hit {
                Some(h) => {
                    found.push(h);
                    while i < tokens.len() && (tokens[i].start as usize) < h.1 {
                        i += 1;
                    }
                }
                None => i += 1,
            }
        }
        found
    }

    fn scopes(&self, text: &str, tokens: &[Token]) -> Vec<Scope> {
        let found: Vec<(usize, usize, Category, Direction, bool)> = self
            .triggers_in(text, tokens)
            .into_iter()
            .map(|(s, e, k)| {
                let t = &self.triggers[k];
                let cjk = t.phrase.chars().any(is_cjk);
                (s, e, t.category, t.direction, cjk)
            })
            .collect();
        let b = text.as_bytes();
        let mut scopes = Vec::new();
        for (k, &(ts, te, cat, dir, cjk)) in found.iter().enumerate() {
            if matches!(cat, Terminate | Pseudo) {
                continue;
            }
            if matches!(dir, Forward | Both) {
                // stop at a sentence end, the next section header ("... diagnosis:"), a comma
                // for Chinese triggers, the next terminator or the window's end (scanning no
                // further than the window: long texts stay linear)
                let limit = self.window_end(text, te, cjk);
                let mut end = limit;
                for (i, c) in text[te..limit].char_indices() {
                    let at = te + i;
                    if is_header_colon(b, at) {
                        // the next header ends the scope; with no scope word before it the
                        // words are this scope's own ("denies chest pain: onset ...") or a
                        // Chinese header runs back to the trigger ("无发热既往史: 高血压"), and
                        // the colon ends it
                        if !text[te..at].trim().is_empty() {
                            let h = header_start(b, at, te);
                            end = if text[te..h].trim().is_empty() { at } else { h };
                            break;
                        }
                    }
                    if (c.is_ascii() && is_sentence_end(b, at))
                        || cjk_sentence_end(c)
                        || (cjk && c == ',')
                    {
                        end = at;
                        break;
                    }
                }
                if let Some(&(ns, ..)) = found[k + 1..]
                    .iter()
                    .take_while(|f| f.0 < end)
                    .find(|f| f.0 >= te && matches!(f.2, Terminate))
                {
                    end = ns;
                }
                scopes.push(Scope {
                    category: cat,
                    trig_start: ts,
                    trig_end: te,
                    start: te,
                    end,
                });
            }
            if matches!(dir, Backward | Both) {
                // back to a sentence end or a colon; a trigger right after a header takes its
                // last word ("complications: none"): where a header starts is not known once
                // the text is lower-cased, and the words before it belong to another section
                let limit = self.window_start(text, ts, cjk);
                let mut start = limit;
                for (i, c) in text[limit..ts].char_indices().rev() {
                    let at = limit + i;
                    if is_header_colon(b, at) {
                        start = if text[at + 1..ts].trim().is_empty() {
                            header_words_start(b, at, limit, 1)
                        } else {
                            at + 1
                        };
                        break;
                    }
                    if (c.is_ascii() && is_sentence_end(b, at))
                        || cjk_sentence_end(c)
                        || (cjk && c == ',')
                    {
                        start = at + c.len_utf8();
                        break;
                    }
                }
                if let Some(&(_, ne, ..)) = found[..k]
                    .iter()
                    .rev()
                    .take_while(|f| f.1 > start)
                    .find(|f| f.1 <= ts && matches!(f.2, Terminate))
                {
                    start = ne;
                }
                scopes.push(Scope {
                    category: cat,
                    trig_start: ts,
                    trig_end: te,
                    start,
                    end: ts,
                });
            }
        }
        scopes
    }

    /// Where a backward scope ending at `to` starts at the earliest: `max_words` words for
    /// Latin text, twice that many chars for CJK.
    fn window_start(&self, text: &str, to: usize, cjk: bool) -> usize {
        if cjk {
            return text[..to]
                .char_indices()
                .rev()
                .nth(self.max_words * 2 - 1)
                .map_or(0, |(i, _)| i);
        }
        let mut words = 0;
        let mut in_word = false;
        for (i, c) in text[..to].char_indices().rev() {
            let w = !c.is_whitespace();
            if w && !in_word {
                words += 1;
                if words > self.max_words {
                    return i + c.len_utf8();
                }
            }
            in_word = w;
        }
        0
    }

    /// Where a forward scope starting at `from` ends at the latest: `max_words` words for Latin
    /// text, twice that many chars for CJK.
    fn window_end(&self, text: &str, from: usize, cjk: bool) -> usize {
        if cjk {
            return text[from..]
                .char_indices()
                .nth(self.max_words * 2)
                .map_or(text.len(), |(i, _)| from + i);
        }
        let mut words = 0;
        let mut in_word = false;
        for (i, c) in text[from..].char_indices() {
            let w = !c.is_whitespace();
            if w && !in_word {
                words += 1;
                if words > self.max_words {
                    return from + i;
                }
            }
            in_word = w;
        }
        text.len()
    }

    /// Flags for each span (normalized byte offsets) of `text`.
    pub fn flags(&self, text: &str, spans: &[(usize, usize)]) -> Vec<Flags> {
        let mut tokens = Vec::new();
        tokenize(text, &mut tokens);
        self.flags_with_tokens(text, &tokens, spans)
    }

    /// [`Context::flags`] given the tokens of `text` (see [`crate::tokens::tokenize`]).
    pub fn flags_with_tokens(
        &self,
        text: &str,
        tokens: &[Token],
        spans: &[(usize, usize)],
    ) -> Vec<Flags> {
        // A sweep over spans in start order, keeping only the scopes that reach them: linear
        // in the text, however many triggers and mentions a long document holds.
        let mut scopes = self.scopes(text, tokens);
        scopes.sort_by_key(|sc| sc.start);
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans[i]);
        let mut out = vec![Flags::default(); spans.len()];
        let (mut next, mut active) = (0, Vec::new());
        for i in order {
            let (s, e) = spans[i];
            while next < scopes.len() && scopes[next].start <= s {
                active.push(scopes[next]);
                next += 1;
            }
            active.retain(|sc: &Scope| sc.end > s);
            for sc in &active {
                let overlaps_trigger = s < sc.trig_end && e > sc.trig_start;
                if !overlaps_trigger && e <= sc.end {
                    out[i].set(sc.category);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(text: &str, target: &str) -> Flags {
        let ctx = Context::with_defaults();
        let s = text.find(target).expect("target in text");
        ctx.flags(text, &[(s, s + target.len())])[0]
    }

    #[test]
    fn english_negation_and_scope_ends() {
        assert!(flag("patient denies chest pain or fever.", "fever").negated);
        assert!(!flag("patient denies chest pain. fever since monday.", "fever").negated);
        assert!(!flag("no fever but has cough", "cough").negated);
        assert!(flag("pneumonia was ruled out.", "pneumonia").negated);
        assert!(
            !flag("no increase in edema", "edema").negated,
            "pseudo trigger"
        );
        assert!(
            !flag("chest pain\nno fever", "chest pain").negated,
            "backward stops at newline"
        );
    }

    #[test]
    fn scopes_end_at_section_headers() {
        let t = "complications: none postoperative diagnosis: internal hemorrhoids";
        assert!(!flag(t, "internal hemorrhoids").negated);
        assert!(
            flag(t, "complications").negated,
            "a trailing none negates its header"
        );
        let t = "diagnosis: internal hemorrhoids complications: none";
        assert!(!flag(t, "internal hemorrhoids").negated);
        assert!(
            flag("negative for: fever", "fever").negated,
            "no header right after"
        );
        assert!(flag("denies chest pain at 10:30 today", "chest pain").negated);
        let t = "denies chest pain: onset unclear";
        assert!(flag(t, "chest pain").negated, "the colon ends the scope");
        assert!(!flag(t, "onset").negated);
        assert!(flag("高血压: 阴性", "高血压").negated, "a Chinese header");
        assert!(
            !flag("无发热既往史: 高血压", "高血压").negated,
            "a Chinese header ends it"
        );
        assert!(!flag("患者无发热 诊断:高血压", "高血压").negated);
        assert!(
            flag("高血压:阴性", "高血压").negated,
            "no space after the colon"
        );
    }

    #[test]
    fn clinical_triggers() {
        assert!(flag("had a stroke 3 years ago.", "stroke").historical);
        assert!(flag("hiv -ve", "hiv").negated);
        assert!(flag("-ve for malaria", "malaria").negated);
        assert!(flag("low suspicion for pulmonary embolism", "pulmonary embolism").uncertain);
        assert!(flag("the rash has resolved.", "rash").negated);
        assert!(flag("remote history of gout", "gout").historical);
    }

    #[test]
    fn rules_files_parse_and_report_problems() {
        let extra = r#"{"context_rules": [{"literal": "NEVER HAD", "category":
            "NEGATED_EXISTENCE", "direction": "FORWARD"}, {"literal": "ruled out",
            "category": "NEGATED_EXISTENCE", "direction": "FORWARD"}]}"#;
        let t = parse_rules(&[DEFAULT_RULES[0], ("mine.json", extra)]).unwrap();
        assert!(
            t.iter().any(|t| t.phrase == "never had"),
            "literals are normalized"
        );
        let r = t.iter().find(|t| t.phrase == "ruled out").unwrap();
        assert_eq!(
            r.direction, Both,
            "a literal given both ways is bidirectional"
        );
        let bad = r#"{"context_rules": [{"literal": "x", "category": "NOPE",
            "direction": "FORWARD"}]}"#;
        let e = parse_rules(&[("bad.json", bad)]).err().unwrap();
        assert!(e.contains("bad.json, rule 0") && e.contains("NOPE"), "{e}");
        assert!(parse_rules(&[("empty.json", "[]")]).is_err());
    }

    #[test]
    fn english_other_categories() {
        assert!(flag("possible pneumonia in the right lobe", "pneumonia").uncertain);
        assert!(flag("h/o hypertension", "hypertension").historical);
        let f = flag("family history of diabetes mellitus", "diabetes mellitus");
        assert!(f.family && !f.historical);
        assert!(
            flag(
                "father had a myocardial infarction at 58",
                "myocardial infarction"
            )
            .family
        );
        assert!(!flag("chest pain radiating to the arm", "chest pain").negated);
    }

    #[test]
    fn chinese() {
        assert!(flag("否认发热、咳嗽。", "咳嗽").negated);
        assert!(
            !flag("无发热,伴胸痛", "胸痛").negated,
            "comma ends a Chinese scope"
        );
        assert!(flag("无胸痛", "胸痛").negated);
        assert!(flag("疑似肺炎", "肺炎").uncertain);
        assert!(flag("急性心肌梗死?", "急性心肌梗死").uncertain);
        assert!(flag("既往高血压病史10年", "高血压").historical);
        assert!(flag("家族史:父亲有冠心病。", "冠心病").family);
    }
}
