#![no_main]
//! Fuzzes layout and PDF writing with arbitrary text (any Unicode, long words, newlines).
use libfuzzer_sys::fuzz_target;
use steward_documents::{write_docx, write_pdf, DocumentSpec};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '|');
    let title = parts.next().unwrap_or_default().to_owned();
    let para = parts.next().unwrap_or_default().to_owned();
    let cell = parts.next().unwrap_or_default().to_owned();
    let spec = DocumentSpec::new(title)
        .heading(1, para.clone())
        .paragraph(para)
        .table(vec!["a".into(), cell.clone()], vec![vec![cell.clone(), cell]]);
    write_pdf(&spec).expect("PDF renders");
    write_docx(&spec).expect("DOCX renders");
});
