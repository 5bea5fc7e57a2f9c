//! The risk map: the matrix as a grid, each risk placed by its inherent rating (open circle)
//! and, where a measure lowers it, an arrow to its residual band (filled circle). Plain SVG,
//! with a title and description for screen readers.

use crate::model::Content;
use crate::rules::Matrix;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The fill of a band's cells, shared by the picture and the exports' risk map.
pub fn colour(band: &str, m: &Matrix) -> &'static str {
    let rank = m.rank(band);
    let n = m.band.len().max(1);
    if m.needs_art36(band) {
        "#f4c2c2"
    } else if rank * 2 > n {
        "#fde6b0"
    } else {
        "#d5ecd4"
    }
}

/// The map of a DPIA's risks on its matrix.
pub fn risk_map(content: &Content, m: &Matrix) -> String {
    let cell = 64.0;
    let left = 120.0;
    let top = 20.0;
    let cols = m.likelihood.len() as f64;
    let rows = m.severity.len() as f64;
    let w = left + cols * cell + 20.0;
    let h = top + rows * cell + 60.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"risk-map-title risk-map-desc\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"Arial, sans-serif\" font-size=\"11\"><title id=\"risk-map-title\">Risk map</title><desc id=\"risk-map-desc\">",
    );
    let mut desc = vec![];
    for r in &content.risks {
        desc.push(format!(
            "Risk {}: {} inherent, {} residual",
            r.number,
            m.band_label(&content.overall(m, r)),
            m.band_label(&content.residual(m, r))
        ));
    }
    s.push_str(&esc(&desc.join("; ")));
    s.push_str("</desc>");
    for (si, sev) in m.severity.iter().enumerate() {
        // Highest severity at the top.
        let y = top + (rows - 1.0 - si as f64) * cell;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + cell / 2.0 + 4.0,
            esc(&sev.label)
        ));
        for (li, _) in m.likelihood.iter().enumerate() {
            let band = &m.grid[si][li];
            s.push_str(&format!(
                "<rect x=\"{}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\" stroke=\"#4c6272\"/>",
                left + li as f64 * cell,
                colour(band, m)
            ));
        }
    }
    for (li, l) in m.likelihood.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            left + li as f64 * cell + cell / 2.0,
            top + rows * cell + 16.0,
            esc(&l.label)
        ));
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">Likelihood</text>",
        left + cols * cell / 2.0,
        top + rows * cell + 36.0
    ));
    s.push_str(&format!(
        "<text x=\"12\" y=\"{}\" font-weight=\"bold\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">Severity</text>",
        top + rows * cell / 2.0,
        top + rows * cell / 2.0
    ));
    // Place each risk in its cell; several in one cell sit side by side.
    let mut used: std::collections::HashMap<(i64, i64), usize> = Default::default();
    for r in &content.risks {
        if m.rate(r.likelihood, r.severity).is_err() {
            continue;
        }
        let k = used.entry((r.likelihood, r.severity)).or_default();
        let (dx, dy) = ((*k % 3) as f64 * 18.0 + 14.0, (*k / 3) as f64 * 18.0 + 14.0);
        *k += 1;
        let x = left + (r.likelihood - 1) as f64 * cell + dx;
        let y = top + (rows - r.severity as f64) * cell + dy;
        let residual = content.residual(m, r);
        let lowered = m.rank(&residual) < m.rank(&content.overall(m, r));
        s.push_str(&format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"8\" fill=\"{}\" stroke=\"#212b32\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9\" fill=\"{}\">{}</text>",
            if lowered { "#ffffff" } else { "#212b32" },
            y + 3.0,
            if lowered { "#212b32" } else { "#ffffff" },
            r.number
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Risk;
    use crate::rules::Rules;

    #[test]
    fn the_map_places_each_risk_and_describes_them() {
        let r = Rules::embedded();
        let mut c = Content::blank(r, "t", "5x5");
        c.risks.push(Risk {
            id: "a".into(),
            number: 1,
            description: "x".into(),
            likelihood: 3,
            severity: 2,
            ..Default::default()
        });
        let svg = risk_map(&c, r.matrix("5x5").unwrap());
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Risk 1: Moderate inherent, Moderate residual"));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert_eq!(svg.matches("<rect").count(), 25);
    }
}
