//! Flesch reading ease, shown to the person editing a privacy notice: 206.835 - 1.015 x
//! (words per sentence) - 84.6 x (syllables per word). 60 to 70 is plain English; the NHS
//! aims for text most people read easily.

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Readability {
    pub score: f64,
    pub words: usize,
    pub sentences: usize,
}

impl Readability {
    /// The band in words, as the Flesch table has it.
    pub fn band(&self) -> &'static str {
        match self.score {
            s if s >= 80.0 => "easy to read",
            s if s >= 60.0 => "plain English",
            s if s >= 50.0 => "fairly difficult to read",
            s if s >= 30.0 => "difficult to read",
            _ => "very difficult to read",
        }
    }
    pub fn rounded(&self) -> i64 {
        self.score.round() as i64
    }
}

/// Syllables of one word, by the usual vowel-group count (good enough to compare drafts).
pub fn syllables(word: &str) -> usize {
    let w: String = word
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if w.is_empty() {
        return 0;
    }
    if w.len() <= 3 {
        return 1;
    }
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut count = 0;
    let mut previous = false;
    for c in w.chars() {
        let v = is_vowel(c);
        if v && !previous {
            count += 1;
        }
        previous = v;
    }
    // A silent final e ("care", "share"), but not "-le" ("table").
    if w.ends_with('e') && !w.ends_with("le") && count > 1 {
        count -= 1;
    }
    count.max(1)
}

pub fn flesch(text: &str) -> Readability {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_alphanumeric()))
        .collect();
    let sentences = text
        .split(['.', '!', '?', '\n', ':', ';'])
        .filter(|s| {
            s.split_whitespace()
                .any(|w| w.chars().any(|c| c.is_alphabetic()))
        })
        .count()
        .max(1);
    if words.is_empty() {
        return Readability {
            score: 0.0,
            words: 0,
            sentences: 0,
        };
    }
    let syl: usize = words.iter().map(|w| syllables(w)).sum();
    let n = words.len() as f64;
    let score = 206.835 - 1.015 * (n / sentences as f64) - 84.6 * (syl as f64 / n);
    Readability {
        score,
        words: words.len(),
        sentences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_are_counted_by_vowel_groups() {
        assert_eq!(syllables("cat"), 1);
        assert_eq!(syllables("care"), 1);
        assert_eq!(syllables("record"), 2);
        assert_eq!(syllables("information"), 4);
        assert_eq!(syllables("table"), 2);
    }

    #[test]
    fn plain_text_scores_higher_than_legal_text() {
        let plain =
            flesch("We keep your notes safe. Your doctor reads them. You can ask for a copy.");
        let legal = flesch("Processing is necessary for the performance of a task carried out in the public interest or in the exercise of official authority vested in the controller.");
        assert!(plain.score > 80.0, "{plain:?}");
        assert!(legal.score < 30.0, "{legal:?}");
        assert_eq!(plain.sentences, 3);
        assert_eq!(plain.band(), "easy to read");
        assert_eq!(legal.band(), "very difficult to read");
    }
}
