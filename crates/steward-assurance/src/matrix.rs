//! The 5x5 risk matrix (`data/risk-matrix.toml`): likelihood x consequence, score 1-25, and
//! its bands. Source: National Patient Safety Agency, *A risk matrix for risk managers*
//! (2008). Shared with DPIAs. Band boundaries are data; nothing here names one.

use serde::{Deserialize, Serialize};

pub const EMBEDDED_MATRIX_TOML: &str = include_str!("../data/risk-matrix.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub score: u8,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub code: String,
    pub label: String,
    pub from: u8,
    pub to: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub source: String,
    pub likelihood: Vec<Level>,
    pub consequence: Vec<Level>,
    pub band: Vec<Band>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("Likelihood must be from 1 to {0}")]
    Likelihood(u8),
    #[error("Consequence must be from 1 to {0}")]
    Consequence(u8),
}

/// One scored risk: its two levels, the score and the band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub likelihood: u8,
    pub consequence: u8,
    pub score: u8,
    pub band: String,
    pub band_label: String,
}

impl Matrix {
    pub fn embedded() -> Matrix {
        Matrix::from_toml(EMBEDDED_MATRIX_TOML).expect("the shipped matrix is valid")
    }

    pub fn from_toml(text: &str) -> Result<Matrix, String> {
        let m: Matrix = toml::from_str(text).map_err(|e| e.to_string())?;
        let runs = |s: &[Level]| {
            !s.is_empty()
                && s.iter()
                    .enumerate()
                    .all(|(i, l)| usize::from(l.score) == i + 1)
        };
        if !runs(&m.likelihood) || !runs(&m.consequence) {
            return Err("the scales must run 1, 2, 3 ... without gaps".into());
        }
        // Every score the matrix can give falls in exactly one band.
        for l in 1..=m.max_likelihood() {
            for c in 1..=m.max_consequence() {
                let s = l * c;
                let n = m.band.iter().filter(|b| b.from <= s && s <= b.to).count();
                if n != 1 {
                    return Err(format!("score {s} must fall in exactly one band"));
                }
            }
        }
        Ok(m)
    }

    pub fn max_likelihood(&self) -> u8 {
        self.likelihood.len() as u8
    }
    pub fn max_consequence(&self) -> u8 {
        self.consequence.len() as u8
    }
    pub fn max_score(&self) -> u8 {
        self.max_likelihood() * self.max_consequence()
    }

    pub fn likelihood_label(&self, n: u8) -> &str {
        self.likelihood
            .iter()
            .find(|l| l.score == n)
            .map(|l| l.label.as_str())
            .unwrap_or("")
    }
    pub fn consequence_label(&self, n: u8) -> &str {
        self.consequence
            .iter()
            .find(|l| l.score == n)
            .map(|l| l.label.as_str())
            .unwrap_or("")
    }

    pub fn band_of(&self, score: u8) -> Option<&Band> {
        self.band.iter().find(|b| b.from <= score && score <= b.to)
    }

    pub fn score(&self, likelihood: i64, consequence: i64) -> Result<Score, ScoreError> {
        let l = u8::try_from(likelihood)
            .ok()
            .filter(|l| (1..=self.max_likelihood()).contains(l))
            .ok_or(ScoreError::Likelihood(self.max_likelihood()))?;
        let c = u8::try_from(consequence)
            .ok()
            .filter(|c| (1..=self.max_consequence()).contains(c))
            .ok_or(ScoreError::Consequence(self.max_consequence()))?;
        let score = l * c;
        let band = self
            .band_of(score)
            .expect("validated: every score has a band");
        Ok(Score {
            likelihood: l,
            consequence: c,
            score,
            band: band.code.clone(),
            band_label: band.label.clone(),
        })
    }
}

/// A residual score above the organisation's appetite escalates to the SIRO.
pub fn above_appetite(residual: u8, appetite: u8) -> bool {
    residual > appetite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_bands_follow_the_npsa_matrix() {
        let m = Matrix::embedded();
        let band = |l, c| m.score(l, c).unwrap().band;
        assert_eq!(band(1, 3), "low");
        assert_eq!(band(2, 2), "moderate");
        assert_eq!(band(2, 3), "moderate");
        assert_eq!(band(2, 4), "high");
        assert_eq!(band(3, 4), "high");
        assert_eq!(band(3, 5), "extreme");
        assert_eq!(m.score(5, 5).unwrap().score, 25);
        assert_eq!(m.max_score(), 25);
        assert_eq!(m.likelihood_label(5), "Almost certain");
        assert_eq!(m.consequence_label(4), "Major");
    }

    #[test]
    fn scores_outside_the_matrix_are_refused() {
        let m = Matrix::embedded();
        assert_eq!(m.score(0, 3), Err(ScoreError::Likelihood(5)));
        assert_eq!(m.score(3, 6), Err(ScoreError::Consequence(5)));
    }

    #[test]
    fn a_matrix_with_a_hole_is_refused() {
        let holed = EMBEDDED_MATRIX_TOML.replace("from = 8", "from = 9");
        assert!(Matrix::from_toml(&holed).unwrap_err().contains("score 8"));
    }

    #[test]
    fn appetite_is_a_ceiling() {
        assert!(!above_appetite(8, 8));
        assert!(above_appetite(9, 8));
    }
}
