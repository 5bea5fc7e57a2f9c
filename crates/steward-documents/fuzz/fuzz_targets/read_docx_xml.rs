#![no_main]
//! Fuzzes the WordprocessingML readers: the input becomes the main document part, a header
//! and the core properties of an otherwise valid DOCX.
use std::io::Write;

use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    for part in ["word/document.xml", "word/header1.xml", "word/comments.xml", "docProps/core.xml"] {
        zip.start_file(part, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    read_as("letter.docx", &bytes);
});
