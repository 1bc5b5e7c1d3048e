//! Which of a few regexes match a text, all in one pass (the `regex` crate's syntax, as polars').

use regex::{RegexSet, RegexSetBuilder};

/// Up to [`PatternSet::MAX`] patterns; [`PatternSet::mask`] gives bit i for pattern i.
#[derive(Debug)]
pub struct PatternSet {
    set: RegexSet,
}

impl PatternSet {
    pub const MAX: usize = 64;

    pub fn new(patterns: &[String]) -> Result<Self, String> {
        if patterns.len() > Self::MAX {
            return Err(format!(
                "at most {} patterns, got {}",
                Self::MAX,
                patterns.len()
            ));
        }
        // the doc-type patterns are long alternations: the default limits refuse them
        let set = RegexSetBuilder::new(patterns)
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 26)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(PatternSet { set })
    }

    /// Bit i set where pattern i matches somewhere in `text`.
    pub fn mask(&self, text: &str) -> u64 {
        self.set.matches(text).iter().fold(0u64, |m, i| m | 1 << i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_matching_pattern_sets_its_bit() {
        let p = PatternSet::new(&[
            r"(?i)\bdischarge summary\b".into(),
            r"(?m)^HPI:".into(),
            "出院记录".into(),
        ])
        .unwrap();
        assert_eq!(p.mask("DISCHARGE SUMMARY\nHPI: pain"), 0b011);
        assert_eq!(p.mask("出院记录 患者"), 0b100);
        assert_eq!(p.mask("nothing here"), 0);
    }

    #[test]
    fn too_many_or_bad_patterns_are_errors() {
        let many: Vec<String> = (0..65).map(|i| format!("x{i}")).collect();
        assert!(PatternSet::new(&many).unwrap_err().contains("at most 64"));
        assert!(PatternSet::new(&["(unclosed".into()]).is_err());
    }
}
