//! The one CSV writer of the module's exports. A cell that a spreadsheet would read as a
//! formula (starting with = + - @, a tab or a carriage return) is neutralised with a leading
//! apostrophe (OWASP, CSV injection); cells with a comma, quote or line break are quoted.

#[derive(Debug, Default)]
pub struct CsvWriter {
    out: String,
}

pub fn cell(value: &str) -> String {
    let v = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

impl CsvWriter {
    pub fn new() -> CsvWriter {
        CsvWriter::default()
    }
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> &mut Self {
        let line: Vec<String> = cells.iter().map(|c| cell(c.as_ref())).collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
        self
    }
    pub fn finish(self) -> String {
        self.out
    }
}

/// Records of a CSV, each with its line number.
pub type Rows = Vec<(usize, Vec<String>)>;

/// Reads a small CSV with a header row: each record with its line number (the header is
/// line 1). Quoted cells may hold commas and doubled quotes; a line break inside quotes is
/// not accepted (an import row is one line).
pub fn read(text: &str) -> Result<(Vec<String>, Rows), (usize, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (hl, header) = lines.next().ok_or((1, "The file is empty".to_string()))?;
    let header: Vec<String> = split(header)
        .map_err(|e| (hl, e))?
        .into_iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let mut rows = vec![];
    for (n, l) in lines {
        rows.push((n, split(l).map_err(|e| (n, e))?));
    }
    Ok((header, rows))
}

fn split(line: &str) -> Result<Vec<String>, String> {
    let mut cells = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.is_empty() => quoted = true,
            (false, ',') => cells.push(std::mem::take(&mut cur)),
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("a quoted cell is not closed".into());
    }
    cells.push(cur);
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_cells_quoted() {
        for (v, want) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+44 1234", "'+44 1234"),
            ("-2", "'-2"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("plain", "plain"),
            ("a, b", "\"a, b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ] {
            assert_eq!(cell(v), want, "{v:?}");
        }
        let mut w = CsvWriter::new();
        w.row(&["a", "=1"]).row(&["b", "c"]);
        assert_eq!(w.finish(), "a,'=1\r\nb,c\r\n");
    }

    #[test]
    fn reading_gives_line_numbers() {
        let (h, rows) = read("Email,Course\r\n\"a@x, y\",b\n\nc,\"d \"\"e\"\"\"\n").unwrap();
        assert_eq!(h, ["email", "course"]);
        assert_eq!(rows[0], (2, vec!["a@x, y".to_string(), "b".to_string()]));
        assert_eq!(rows[1], (4, vec!["c".to_string(), "d \"e\"".to_string()]));
        assert_eq!(read("a\n\"open,x\n").unwrap_err().0, 2);
    }
}
