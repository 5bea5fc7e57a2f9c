//! Integration tests for steward-documents (one test binary). All fixtures are synthetic
//! and generated here.

use std::io::{Cursor, Write};
use std::time::Duration;

use steward_documents::ingest::guarded;
use steward_documents::*;
use steward_redact::{Entity, Flag, FlagCategory, Proposal, Subject};

// ---------------------------------------------------------------- helpers

fn subject() -> Subject {
    Subject {
        name: "Marigold Featherstonehaugh".into(),
        date_of_birth: Some("1961-04-09".into()),
        ..Subject::default()
    }
}

/// The bundle with every proposal accepted, in the default style.
fn bundle_as_proposed(run: &RedactionRun) -> Vec<u8> {
    let outcomes = apply_decisions(&run.documents, &run.proposals, &Review::default()).unwrap();
    write_bundle(
        &run.documents,
        &outcomes,
        &subject(),
        &BundleOptions::default(),
    )
    .unwrap()
}

/// A detector that proposes every occurrence of the given strings as a person name, and
/// flags the word "safeguarding".
fn finder(needles: &[&str]) -> impl Fn(&str) -> (Vec<Proposal>, Vec<Flag>) + Sync {
    let needles: Vec<String> = needles.iter().map(|s| s.to_string()).collect();
    move |text: &str| {
        let mut props = Vec::new();
        for n in &needles {
            for (i, _) in text.match_indices(n.as_str()) {
                props.push(Proposal {
                    start: i,
                    end: i + n.len(),
                    entity: Entity::PersonName,
                    rule: "test_gazetteer".into(),
                });
            }
        }
        let flags = text
            .match_indices("safeguarding")
            .map(|(i, m)| Flag {
                start: i,
                end: i + m.len(),
                category: FlagCategory::Safeguarding,
                matched: m.into(),
            })
            .collect();
        (props, flags)
    }
}

fn all_text(doc: &Document) -> String {
    doc.pages
        .iter()
        .flat_map(|p| p.blocks.iter().map(|b| b.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(name: &str, bytes: Vec<u8>) -> Result<Document, DocumentError> {
    read_document(&InputFile::new(name, bytes), &Limits::default())
}

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

/// A DOCX whose names hide in split runs, a header, a footer, a comment, a tracked change
/// and the core properties.
fn fixture_docx() -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>
<w:p><w:r><w:t>Letter about Marigold Featherstonehaugh.</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Her neighbour Bartholo</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>mew Quince</w:t></w:r><w:r><w:t xml:space="preserve"> called &amp; left a message.</w:t></w:r></w:p>
<w:p><w:ins w:author="Ottoline Grebe"><w:r><w:t>Inserted line.</w:t></w:r></w:ins></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell one</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#
    );
    let header = format!(
        r#"<w:hdr {W}><w:p><w:r><w:t>Header: Dr Peregrine Ashdown</w:t></w:r></w:p></w:hdr>"#
    );
    let footer = format!(r#"<w:ftr {W}><w:p><w:r><w:t>Footer: ref 42</w:t></w:r></w:p></w:ftr>"#);
    let comments = format!(
        r#"<w:comments {W}><w:comment w:id="0" w:author="Ysolde Marchbank" w:initials="YM"><w:p><w:r><w:t>Check with Bartholomew Quince</w:t></w:r></w:p></w:comment></w:comments>"#
    );
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Referral</dc:title><dc:creator>Thaddeus Wraxall</dc:creator><cp:lastModifiedBy>Ysolde Marchbank</cp:lastModifiedBy></cp:coreProperties>"#;
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document.as_bytes()),
        ("word/header1.xml", header.as_bytes()),
        ("word/footer1.xml", footer.as_bytes()),
        ("word/comments.xml", comments.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
    ])
}

/// A PDF with a text layer, made with the crate's own writer.
fn fixture_pdf(paragraphs: &[&str]) -> Vec<u8> {
    let mut spec = DocumentSpec::new("Clinic letter");
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            spec = spec.page_break();
        }
        spec = spec.paragraph(*p);
    }
    write_pdf(&spec).unwrap()
}

/// A one-page PDF holding only a drawn rectangle: no text layer (like a scan).
fn fixture_pdf_without_text() -> Vec<u8> {
    use krilla::geom::{PathBuilder, Rect};
    let mut doc = krilla::Document::new();
    let mut page = doc.start_page_with(krilla::page::PageSettings::from_wh(595.0, 842.0).unwrap());
    let mut surface = page.surface();
    let mut pb = PathBuilder::new();
    pb.push_rect(Rect::from_xywh(50.0, 50.0, 400.0, 600.0).unwrap());
    surface.draw_path(&pb.finish().unwrap());
    surface.finish();
    page.finish();
    doc.finish().unwrap()
}

fn fhir_bundle() -> Vec<u8> {
    serde_json::json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": {
                "resourceType": "Patient", "id": "p1",
                "name": [{"use": "official", "family": "Featherstonehaugh", "given": ["Marigold"]}],
                "telecom": [{"system": "phone", "value": "01632 960001", "use": "home"}],
                "address": [{"line": ["7 Larkspur Lane"], "city": "Exampleton", "postalCode": "ZZ1 1ZZ"}],
                "birthDate": "1961-04-09",
                "contact": [{"name": {"family": "Quince", "given": ["Bartholomew"]},
                             "telecom": [{"system": "email", "value": "b.quince@example.org"}]}]
            }},
            {"resource": {
                "resourceType": "Observation", "id": "o1",
                "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Seen with <b>Ottoline Grebe</b></p></div>"},
                "status": "final",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "271649006", "display": "Systolic blood pressure"}]},
                "effectiveDateTime": "2024-02-03",
                "valueQuantity": {"value": 128, "unit": "mmHg"},
                "performer": [{"reference": "Practitioner/x", "display": "Dr Peregrine Ashdown"}],
                "note": [{"text": "Daughter Ysolde present", "authorString": "Nurse Thaddeus Wraxall"}]
            }}
        ]
    })
    .to_string()
    .into_bytes()
}

fn extract_pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("output PDF is readable")
}

/// Every byte sequence an extractor could see: the whole file plus each decompressed stream.
fn raw_pdf_views(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut views = vec![pdf.to_vec()];
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    for obj in doc.objects.values() {
        if let Ok(stream) = obj.as_stream() {
            let content = stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone());
            views.push(content);
        }
    }
    views
}

/// PDF text strings: UTF-16BE with a BOM, or (close enough here) Latin-1.
fn decode_pdf_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&b| b as char).collect()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

/// Asserts that no form of any secret survives in the PDF: not in the text either extractor
/// finds (pdf-extract's own, and the crate's PDF reader), not in the raw file or any
/// decompressed stream (UTF-8 or UTF-16BE), hence not in the metadata either.
fn assert_all_absent(pdf: &[u8], secrets: &[&str]) {
    let text = extract_pdf_text(pdf);
    let squashed: String = text.split_whitespace().collect();
    let reread = all_text(&read("bundle.pdf", pdf.to_vec()).expect("bundle reads back"));
    let views = raw_pdf_views(pdf);
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} found in extracted text");
        let secret_squashed: String = secret.split_whitespace().collect();
        assert!(
            !squashed.contains(&secret_squashed),
            "{secret:?} found in extracted text (whitespace-insensitive)"
        );
        assert!(
            !reread.contains(secret),
            "{secret:?} found by the PDF reader"
        );
        for view in &views {
            assert!(
                !contains(view, secret.as_bytes()),
                "{secret:?} in raw PDF bytes"
            );
            assert!(
                !contains(view, &utf16be(secret)),
                "{secret:?} as UTF-16 in PDF"
            );
        }
    }
}

// ---------------------------------------------------------------- format detection

#[test]
fn formats_are_detected_by_content_then_extension() {
    assert_eq!(
        detect_format("x.bin", b"%PDF-1.7\n...").unwrap(),
        Format::Pdf
    );
    assert_eq!(
        detect_format("letter.docx", &fixture_docx()).unwrap(),
        Format::Docx
    );
    assert_eq!(
        detect_format("no-ext", &fixture_docx()).unwrap(),
        Format::Docx
    );
    assert_eq!(
        detect_format("r.json", &fhir_bundle()).unwrap(),
        Format::FhirJson
    );
    assert_eq!(
        detect_format("page", b"<!DOCTYPE html><p>x</p>").unwrap(),
        Format::Html
    );
    assert_eq!(detect_format("t.csv", b"a,b\n1,2\n").unwrap(), Format::Csv);
    assert_eq!(detect_format("notes.txt", b"hello").unwrap(), Format::Text);
}

#[test]
fn unknown_formats_are_clear_errors() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let err = read("scan.png", png).unwrap_err();
    assert!(matches!(err, DocumentError::UnknownFormat { .. }), "{err}");
    assert!(err.to_string().contains("scan.png"));
    let err = read("x.xlsx", zip_of(&[("xl/workbook.xml", b"<x/>")])).unwrap_err();
    assert!(matches!(err, DocumentError::UnknownFormat { .. }), "{err}");
    let err = read("data.json", b"{\"a\": 1}".to_vec()).unwrap_err();
    assert!(matches!(err, DocumentError::UnknownFormat { .. }), "{err}");
    // Extension says PDF, content does not: corrupt, not silently text.
    let err = read("fake.pdf", b"hello".to_vec()).unwrap_err();
    assert!(matches!(err, DocumentError::Corrupt { .. }), "{err}");
}

#[test]
fn oversized_files_are_refused_before_parsing() {
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let err = read_document(&InputFile::new("big.txt", vec![b'a'; 11]), &limits).unwrap_err();
    assert!(
        matches!(err, DocumentError::TooLarge { size: 11, .. }),
        "{err}"
    );
}

// ---------------------------------------------------------------- readers

#[test]
fn text_pages_split_on_form_feed_and_blocks_on_blank_lines() {
    let doc = read(
        "notes.txt",
        b"First para\nline two\n\nSecond\x0cPage two".to_vec(),
    )
    .unwrap();
    assert_eq!(doc.pages.len(), 2);
    assert_eq!(doc.pages[0].blocks.len(), 2);
    assert_eq!(doc.pages[0].blocks[0].text, "First para\nline two");
    assert_eq!(doc.pages[1].blocks[0].text, "Page two");
    // UTF-16 (with a byte-order mark) is transcoded.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("Zoë rang\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let doc = read("export.txt", utf16).unwrap();
    assert_eq!(doc.pages[0].blocks[0].text, "Zoë rang");
    // Windows-1252 fallback keeps the pound sign.
    let doc = read("w.txt", b"Fee \xa320".to_vec()).unwrap();
    assert_eq!(doc.pages[0].blocks[0].text, "Fee £20");
}

#[test]
fn html_tags_are_stripped() {
    let html = b"<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head><body><h1>Clinic</h1><p>Seen by <b>Dr Ashdown</b> &amp; nurse.</p><script>var x='hidden';</script></body></html>";
    let doc = read("page.html", html.to_vec()).unwrap();
    let text = all_text(&doc);
    assert!(text.contains("Seen by Dr Ashdown & nurse."), "{text}");
    assert!(!text.contains("<b>"), "{text}");
    assert!(!text.contains("color:red"), "{text}");
}

#[test]
fn pathologically_nested_html_is_refused_quickly() {
    let deep = format!(
        "<html><body>{}x{}</body></html>",
        "<div>".repeat(50_000),
        "</div>".repeat(50_000)
    );
    let started = std::time::Instant::now();
    let err = read("deep.html", deep.into_bytes()).unwrap_err();
    assert!(matches!(err, DocumentError::Corrupt { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Sloppy but ordinary HTML (thousands of unclosed <p> and <br>) is fine.
    let sloppy = format!("<html><body>{}</body></html>", "<p>line<br>".repeat(5_000));
    assert!(read("sloppy.html", sloppy.into_bytes()).is_ok());
}

#[test]
fn csv_rows_become_a_table() {
    let doc = read(
        "list.csv",
        b"name,phone\nBartholomew Quince,01632 960002\n".to_vec(),
    )
    .unwrap();
    let blocks = &doc.pages[0].blocks;
    assert_eq!(blocks[0].text, "name\tphone");
    assert_eq!(blocks[0].kind, BlockKind::TableHeader);
    assert_eq!(blocks[1].text, "Bartholomew Quince\t01632 960002");
    assert_eq!(blocks[1].kind, BlockKind::TableRow);
    assert_eq!(blocks[1].source, "row 2");
}

#[test]
fn fhir_bundle_becomes_readable_lines_with_paths() {
    let doc = read("record.json", fhir_bundle()).unwrap();
    assert_eq!(doc.format, Format::FhirJson);
    assert_eq!(doc.pages.len(), 2);
    assert_eq!(doc.pages[0].label, "Patient p1");
    let text = all_text(&doc);
    for expected in [
        "Name (official): Marigold Featherstonehaugh",
        "Telecom (phone home): 01632 960001",
        "Address: 7 Larkspur Lane, Exampleton, ZZ1 1ZZ",
        "Birth date: 1961-04-09",
        "Name: Bartholomew Quince",
        "Telecom (email): b.quince@example.org",
        "Narrative: Seen with Ottoline Grebe",
        "Code: Systolic blood pressure (271649006)",
        "Effective date time: 2024-02-03",
        "Value quantity: 128 mmHg",
        "Performer: Dr Peregrine Ashdown; [Practitioner/x]",
        "Note: Daughter Ysolde present (by Nurse Thaddeus Wraxall)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("snomed.info"), "code system URLs are noise");
    let contact = doc.pages[0]
        .blocks
        .iter()
        .find(|b| b.text.contains("Quince"))
        .unwrap();
    assert_eq!(
        contact.source,
        "Bundle.entry[0].resource(Patient).contact[0].name"
    );
}

#[test]
fn docx_joins_runs_and_reads_headers_footers_comments_and_properties() {
    let doc = read("referral.docx", fixture_docx()).unwrap();
    assert_eq!(doc.format, Format::Docx);
    let body = &doc.pages[0];
    assert_eq!(body.label, "body");
    assert_eq!(
        body.blocks[1].text,
        "Her neighbour Bartholomew Quince called & left a message."
    );
    assert!(body.blocks.iter().any(|b| b.text == "Cell one"));
    let labels: Vec<&str> = doc.pages.iter().map(|p| p.label.as_str()).collect();
    assert!(labels.contains(&"header (word/header1.xml)"), "{labels:?}");
    assert!(labels.contains(&"footer (word/footer1.xml)"), "{labels:?}");
    assert!(labels.contains(&"comments"), "{labels:?}");
    assert!(labels.contains(&"document properties"), "{labels:?}");
    let text = all_text(&doc);
    for name in [
        "Peregrine Ashdown",
        "Thaddeus Wraxall",
        "Ysolde Marchbank",
        "Ottoline Grebe",
    ] {
        assert!(
            text.contains(name),
            "{name} not read from the DOCX:\n{text}"
        );
    }
}

#[test]
fn docx_without_main_part_or_not_a_zip_is_corrupt() {
    let err = read("x.docx", zip_of(&[("word/other.xml", b"<a/>")])).unwrap_err();
    assert!(matches!(err, DocumentError::Corrupt { .. }), "{err}");
    let mut truncated = fixture_docx();
    truncated.truncate(truncated.len() / 2);
    let err = read("t.docx", truncated).unwrap_err();
    assert!(matches!(err, DocumentError::Corrupt { .. }), "{err}");
}

#[test]
fn docx_bomb_is_refused_within_memory_bounds() {
    // 8 MiB of zeros deflates to a few KiB: the ratio check refuses it.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bomb = zip_of(&[
        ("word/document.xml", b"<w:document/>"),
        ("word/header1.xml", &zeros),
    ]);
    assert!(bomb.len() < 100_000);
    let err = read("bomb.docx", bomb.clone()).unwrap_err();
    assert!(matches!(err, DocumentError::ZipBomb { .. }), "{err}");
    // With the ratio check relaxed, the per-entry and total caps still hold.
    let limits = Limits {
        max_zip_ratio: u64::MAX,
        max_zip_entry_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = read_document(&InputFile::new("bomb.docx", bomb.clone()), &limits).unwrap_err();
    assert!(matches!(err, DocumentError::ZipBomb { .. }), "{err}");
    let limits = Limits {
        max_zip_ratio: u64::MAX,
        max_zip_total_bytes: 4 * 1024 * 1024,
        ..Limits::default()
    };
    let err = read_document(&InputFile::new("bomb.docx", bomb), &limits).unwrap_err();
    assert!(matches!(err, DocumentError::ZipBomb { .. }), "{err}");
}

#[test]
fn docx_entry_count_is_bounded() {
    let names: Vec<String> = (0..50).map(|i| format!("word/media/x{i}.bin")).collect();
    let mut parts: Vec<(&str, &[u8])> = vec![("word/document.xml", b"<w:document/>")];
    parts.extend(names.iter().map(|n| (n.as_str(), &b"x"[..])));
    let limits = Limits {
        max_zip_entries: 20,
        ..Limits::default()
    };
    let err = read_document(&InputFile::new("many.docx", zip_of(&parts)), &limits).unwrap_err();
    assert!(matches!(err, DocumentError::ZipBomb { .. }), "{err}");
}

#[test]
fn pdf_text_layer_is_read_page_by_page() {
    let pdf = fixture_pdf(&["Seen by Dr Peregrine Ashdown today.", "Second page text."]);
    let doc = read("letter.pdf", pdf).unwrap();
    assert_eq!(doc.format, Format::Pdf);
    assert_eq!(doc.pages.len(), 2);
    assert!(all_text(&doc).contains("Peregrine Ashdown"));
    assert!(doc.pages[1]
        .blocks
        .iter()
        .any(|b| b.text.contains("Second page text.")));
    assert!(doc.pages.iter().all(|p| !p.needs_manual_review));
}

#[test]
fn pdf_page_without_text_layer_needs_manual_review() {
    let doc = read("scan.pdf", fixture_pdf_without_text()).unwrap();
    assert_eq!(doc.pages.len(), 1);
    assert!(doc.pages[0].needs_manual_review);
    assert!(doc.pages[0].blocks.is_empty());
    assert!(
        doc.warnings
            .iter()
            .any(|w| w.contains("needs manual review")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn corrupt_pdfs_are_errors_not_panics() {
    for bytes in [
        b"%PDF-1.7\nthis is not a pdf at all".to_vec(),
        b"%PDF-".to_vec(),
        {
            let mut p = fixture_pdf(&["hello"]);
            p.truncate(p.len() / 3);
            p
        },
        {
            let mut p = fixture_pdf(&["hello"]);
            for b in p.iter_mut().skip(200).step_by(7) {
                *b = b.wrapping_mul(31).wrapping_add(7);
            }
            p
        },
    ] {
        match read("bad.pdf", bytes) {
            Err(
                DocumentError::Corrupt { .. }
                | DocumentError::ParserPanic { .. }
                | DocumentError::Encrypted { .. },
            ) => {}
            // A damaged file lopdf can still recover must not pass pages through silently.
            Ok(doc) => assert!(doc
                .pages
                .iter()
                .all(|p| !p.blocks.is_empty() || p.needs_manual_review)),
            Err(e) => panic!("unexpected error kind: {e}"),
        }
    }
}

#[test]
fn encrypted_pdf_is_refused() {
    let pdf = fixture_pdf(&["Confidential"]);
    let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
    let mut encrypt = lopdf::Dictionary::new();
    encrypt.set("Filter", lopdf::Object::Name(b"Standard".to_vec()));
    encrypt.set("V", 1);
    encrypt.set("R", 2);
    encrypt.set("O", lopdf::Object::string_literal(vec![7u8; 32]));
    encrypt.set("U", lopdf::Object::string_literal(vec![9u8; 32]));
    encrypt.set("P", -44);
    let id = doc.add_object(encrypt);
    doc.trailer.set("Encrypt", lopdf::Object::Reference(id));
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let err = read("locked.pdf", bytes).unwrap_err();
    assert!(matches!(err, DocumentError::Encrypted { .. }), "{err}");
    assert!(err.to_string().contains("encrypted"));
}

#[test]
fn page_count_is_bounded() {
    let pdf = fixture_pdf(&["a", "b", "c", "d", "e"]);
    let limits = Limits {
        max_pages: 3,
        ..Limits::default()
    };
    let err = read_document(&InputFile::new("long.pdf", pdf), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            DocumentError::TooManyPages {
                count: 5,
                limit: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn parser_panics_and_hangs_become_errors() {
    let err =
        guarded::<(), _>("x.pdf", "PDF", Duration::from_secs(5), || panic!("boom")).unwrap_err();
    assert!(matches!(err, DocumentError::ParserPanic { .. }), "{err}");
    let err = guarded::<(), _>("x.pdf", "PDF", Duration::from_millis(50), || {
        std::thread::sleep(Duration::from_secs(2));
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, DocumentError::Timeout { .. }), "{err}");
    assert_eq!(
        guarded("x", "PDF", Duration::from_secs(5), || Ok(7)).unwrap(),
        7
    );
}

// ---------------------------------------------------------------- pipeline

#[test]
fn proposals_and_flags_carry_document_page_block_provenance() {
    let inputs = vec![
        InputFile::new(
            "a.txt",
            b"Nothing here.\n\nMet Bartholomew Quince.".to_vec(),
        ),
        InputFile::new(
            "b.txt",
            b"p1\x0cThe safeguarding lead Bartholomew Quince.".to_vec(),
        ),
    ];
    let run = redact_documents_with(&inputs, &Limits::default(), finder(&["Bartholomew Quince"]))
        .unwrap();
    assert_eq!(run.proposals.len(), 2);
    let p0 = &run.proposals[0];
    assert_eq!(
        p0.at,
        BlockRef {
            document: 0,
            page: 0,
            block: 1
        }
    );
    assert_eq!(
        &run.block_text(p0.at).unwrap()[p0.start..p0.end],
        "Bartholomew Quince"
    );
    assert_eq!(
        run.proposals[1].at,
        BlockRef {
            document: 1,
            page: 1,
            block: 0
        }
    );
    assert_eq!(run.proposals[1].id, 1);
    assert_eq!(run.flags.len(), 1);
    assert_eq!(run.flags[0].category, FlagCategory::Safeguarding);
    assert_eq!(run.flags[0].at.document, 1);
    assert_eq!(run.proposals_by_entity()[&Entity::PersonName], 2);
}

#[test]
fn proposals_off_char_boundaries_are_widened_never_narrowed() {
    let inputs = vec![InputFile::new("a.txt", "Zoë Ångström".as_bytes().to_vec())];
    let run = redact_documents_with(&inputs, &Limits::default(), |_t: &str| {
        (
            vec![Proposal {
                start: 3,
                end: 8,
                entity: Entity::PersonName,
                rule: "x".into(),
            }],
            vec![],
        )
    })
    .unwrap();
    let p = &run.proposals[0];
    let text = run.block_text(p.at).unwrap();
    assert!(p.start <= 3 && p.end >= 8);
    assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
}

#[test]
fn reviewer_decisions_are_applied() {
    let inputs = vec![InputFile::new(
        "a.txt",
        b"Ottoline Grebe and Ysolde Marchbank visited. Staff: Peregrine Ashdown.".to_vec(),
    )];
    let run = redact_documents_with(
        &inputs,
        &Limits::default(),
        finder(&["Ottoline Grebe", "Ysolde Marchbank", "Peregrine Ashdown"]),
    )
    .unwrap();
    let text = run.block_text(run.proposals[0].at).unwrap().to_owned();
    let visited = text.find("visited").unwrap();
    let review = Review {
        decisions: vec![
            Decision {
                proposal: 0,
                verdict: Verdict::Accept,
                reason: None,
                note: None,
            },
            Decision {
                proposal: 2,
                verdict: Verdict::Reject,
                reason: None,
                note: Some("health professional acting in role".into()),
            },
        ],
        manual: vec![ManualRedaction {
            at: run.proposals[0].at,
            start: visited,
            end: visited + "visited".len(),
            entity: None,
            reason: ReasonCode::SeriousHarm,
            note: Some("clinician opinion 2026-11-01".into()),
        }],
    };
    let outcomes = apply_decisions(&run.documents, &run.proposals, &review).unwrap();
    assert_eq!(outcomes.len(), 4);
    let kinds: Vec<DecisionKind> = outcomes.iter().map(|o| o.decision).collect();
    assert_eq!(
        kinds,
        [
            DecisionKind::Accepted,
            DecisionKind::Unreviewed,
            DecisionKind::Manual,
            DecisionKind::Rejected
        ]
    );
    assert!(!outcomes[3].redacts());
    assert_eq!(outcomes[2].reason, ReasonCode::SeriousHarm);
    assert_eq!(outcomes[2].rule, "manual");

    // Rendered: the rejected name is disclosed, the others are not.
    let pdf = write_bundle(
        &run.documents,
        &outcomes,
        &subject(),
        &BundleOptions::default(),
    )
    .unwrap();
    let out = extract_pdf_text(&pdf);
    assert!(
        out.contains("Peregrine"),
        "rejected proposal must be disclosed:\n{out}"
    );
    assert_all_absent(&pdf, &["Ottoline", "Ysolde", "visited"]);

    // Bad decisions are errors, not silent.
    let bad = Review {
        decisions: vec![Decision {
            proposal: 99,
            verdict: Verdict::Reject,
            reason: None,
            note: None,
        }],
        manual: vec![],
    };
    assert!(apply_decisions(&run.documents, &run.proposals, &bad).is_err());
    let bad = Review {
        decisions: vec![],
        manual: vec![ManualRedaction {
            at: run.proposals[0].at,
            start: 5,
            end: 100_000,
            entity: None,
            reason: ReasonCode::ThirdParty,
            note: None,
        }],
    };
    assert!(apply_decisions(&run.documents, &run.proposals, &bad).is_err());
}

// ---------------------------------------------------------------- true redaction

const SECRETS: [&str; 6] = [
    "Bartholomew Quince",
    "Peregrine Ashdown",
    "Ottoline Grebe",
    "Ysolde Marchbank",
    "Thaddeus Wraxall",
    "b.quince@example.org",
];

fn write_fixtures(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("referral.docx", fixture_docx()),
        ("record.json", fhir_bundle()),
        (
            "letter.pdf",
            fixture_pdf(&[
                "Dear Marigold Featherstonehaugh, you were seen with Ottoline Grebe.",
                "Copy to Dr Peregrine Ashdown and Bartholomew Quince (b.quince@example.org).",
            ]),
        ),
        ("scan.pdf", fixture_pdf_without_text()),
        (
            "notes.html",
            b"<html><body><p>Ysolde Marchbank rang about Marigold.</p></body></html>".to_vec(),
        ),
        (
            "contacts.csv",
            b"contact,role\nThaddeus Wraxall,neighbour\n".to_vec(),
        ),
    ];
    files
        .into_iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect()
}

#[test]
fn bundle_is_truly_redacted_in_both_styles_and_inputs_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_fixtures(dir.path());
    let before: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let inputs: Vec<InputFile> = paths.iter().map(|p| InputFile::read(p).unwrap()).collect();
    let mut needles: Vec<&str> = SECRETS.to_vec();
    // Also the single words, so names split by the DOCX run structure are covered.
    needles.extend([
        "Bartholomew",
        "Quince",
        "Peregrine",
        "Ashdown",
        "Ottoline",
        "Grebe",
        "Ysolde",
        "Marchbank",
        "Thaddeus",
        "Wraxall",
    ]);
    let run = redact_documents_with(&inputs, &Limits::default(), finder(&needles)).unwrap();
    assert!(run.proposals.len() >= 12, "{}", run.proposals.len());
    let outcomes = apply_decisions(&run.documents, &run.proposals, &Review::default()).unwrap();

    for style in [RedactionStyle::Box, RedactionStyle::Label] {
        let options = BundleOptions {
            style,
            title: "Disclosure for request SAR-1".into(),
            date: "2026-11-23".into(),
        };
        let pdf = write_bundle(&run.documents, &outcomes, &subject(), &options).unwrap();
        let text = extract_pdf_text(&pdf);
        // Positive controls: the extractor sees the kept text.
        assert!(
            text.contains("Featherstonehaugh"),
            "subject's own name is kept:\n{text}"
        );
        assert!(text.contains("Systolic blood pressure"));
        assert!(text.contains("Page 1 of"));
        assert!(text.contains("scan.pdf"));
        assert!(text.contains("needs manual review"));
        let secrets: Vec<&str> = needles.iter().chain(SECRETS.iter()).copied().collect();
        assert_all_absent(&pdf, &secrets);
        match style {
            RedactionStyle::Label => assert!(text.contains("[REDACTED: third party]"), "{text}"),
            RedactionStyle::Box => assert!(!text.contains("REDACTED: third party]")),
        }
        // Metadata: our title, no author, nothing from the inputs.
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let info = doc
            .trailer
            .get(b"Info")
            .and_then(|i| i.as_reference())
            .and_then(|id| doc.get_dictionary(id))
            .unwrap();
        assert!(info.get(b"Author").is_err(), "no author in the metadata");
        let title = decode_pdf_string(info.get(b"Title").unwrap().as_str().unwrap());
        assert_eq!(title, "Disclosure for request SAR-1");
        for (key, value) in info.iter() {
            if let Ok(bytes) = value.as_str() {
                let v = decode_pdf_string(bytes);
                for leaked in ["Referral", "Wraxall", "Marchbank", "Featherstonehaugh"] {
                    assert!(
                        !v.contains(leaked),
                        "metadata {:?} holds {leaked}",
                        String::from_utf8_lossy(key)
                    );
                }
            }
        }
    }

    let after: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(before, after, "input files must never be altered");
}

#[test]
fn schedule_lists_every_outcome_without_the_redacted_text() {
    let inputs = vec![InputFile::new(
        "a.txt",
        b"Ottoline Grebe phoned.\n\nPeregrine Ashdown wrote.".to_vec(),
    )];
    let run = redact_documents_with(
        &inputs,
        &Limits::default(),
        finder(&["Ottoline Grebe", "Peregrine Ashdown"]),
    )
    .unwrap();
    let review = Review {
        decisions: vec![Decision {
            proposal: 1,
            verdict: Verdict::Reject,
            reason: None,
            note: Some("GP in role".into()),
        }],
        manual: vec![],
    };
    let outcomes = apply_decisions(&run.documents, &run.proposals, &review).unwrap();
    let csv_bytes = schedule_csv(&run.documents, &outcomes).unwrap();
    let csv_text = String::from_utf8(csv_bytes).unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        headers,
        [
            "document",
            "page",
            "position",
            "redacted entity type",
            "rule",
            "reviewer decision",
            "reason"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "a.txt");
    assert_eq!(&rows[0][1], "page 1");
    assert_eq!(&rows[0][2], "paragraph 1, characters 1-14");
    assert_eq!(&rows[0][3], "person name");
    assert_eq!(&rows[0][4], "test_gazetteer");
    assert_eq!(&rows[0][5], "not reviewed (redacted)");
    assert_eq!(&rows[0][6], "third_party");
    assert_eq!(&rows[1][5], "rejected (disclosed)");
    assert_eq!(&rows[1][6], "third_party (GP in role)");
    assert!(
        !csv_text.contains("Ottoline"),
        "the schedule never repeats redacted text"
    );

    let pdf = schedule_pdf(&run.documents, &outcomes, &BundleOptions::default()).unwrap();
    let text = extract_pdf_text(&pdf);
    assert!(text.contains("Redaction schedule"));
    // Table cells wrap, so compare without whitespace.
    let squashed: String = text.split_whitespace().collect();
    assert!(squashed.contains("notreviewed(redacted)"), "{text}");
    assert!(squashed.contains("third_party(GPinrole)"), "{text}");
    assert!(!text.contains("Ottoline"));
}

// ---------------------------------------------------------------- generic writer

fn letter_spec() -> DocumentSpec {
    DocumentSpec::new("Response to your subject access request")
        .paragraph("Marigold Featherstonehaugh\n7 Larkspur Lane\nExampleton ZZ1 1ZZ")
        .heading(1, "What we hold")
        .paragraph("We enclose a copy of your records & a schedule <of> redactions.")
        .list(vec!["Consultation notes".into(), "Letters".into()])
        .heading(2, "Summary table")
        .table(
            vec!["Document".into(), "Pages".into()],
            vec![
                vec!["GP record".into(), "12".into()],
                vec!["Hospital letters".into(), "3".into()],
            ],
        )
        .page_break()
        .paragraph("Yours sincerely, the practice")
}

#[test]
fn write_pdf_renders_all_blocks() {
    let pdf = write_pdf(&letter_spec()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = read("letter.pdf", pdf).unwrap();
    assert_eq!(doc.pages.len(), 2);
    let text = all_text(&doc);
    for s in [
        "Response to your subject access request",
        "7 Larkspur Lane",
        "What we hold",
        "a schedule <of> redactions",
        "Consultation notes",
        "Hospital letters",
        "Page 2 of 2",
    ] {
        assert!(text.contains(s), "missing {s:?} in\n{text}");
    }
    assert!(doc.pages[1]
        .blocks
        .iter()
        .any(|b| b.text.contains("Yours sincerely")));
}

#[test]
fn write_docx_reads_back_with_the_same_content() {
    let docx = write_docx(&letter_spec()).unwrap();
    let doc = read("letter.docx", docx.clone()).unwrap();
    let body: Vec<&str> = doc.pages[0]
        .blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(body[0], "Response to your subject access request");
    assert_eq!(
        body[1],
        "Marigold Featherstonehaugh\n7 Larkspur Lane\nExampleton ZZ1 1ZZ"
    );
    assert!(body.contains(&"We enclose a copy of your records & a schedule <of> redactions."));
    assert!(
        body.iter()
            .any(|b| b.trim_start_matches(['•', '\t', ' ']) == "Consultation notes"),
        "{body:?}"
    );
    assert!(body.iter().any(|b| b.contains("Hospital letters")));
    assert_eq!(doc.pages[0].blocks[0].kind, BlockKind::Heading(1));
    assert!(body.contains(&"Yours sincerely, the practice"));
    // Styles and properties: headings are real Word headings; the title is the only property.
    let mut zip = zip::ZipArchive::new(Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert!(xml.contains(r#"<w:pStyle w:val="Heading1" />"#), "{xml}");
    assert!(xml.contains("<w:tbl>"));
    // A real bullet list (Word's numbering), and page numbers in the footer.
    assert!(xml.contains("<w:numPr>"), "{xml}");
    let mut footer = String::new();
    let name = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .find(|n| n.starts_with("word/footer"))
        .expect("a footer part");
    std::io::Read::read_to_string(&mut zip.by_name(&name).unwrap(), &mut footer).unwrap();
    assert!(
        footer.contains("PAGE") && footer.contains("NUMPAGES"),
        "{footer}"
    );
    let props = doc
        .pages
        .iter()
        .find(|p| p.label == "document properties")
        .unwrap();
    let props: Vec<&str> = props.blocks.iter().map(|b| b.text.as_str()).collect();
    assert!(
        props.contains(&"Title: Response to your subject access request"),
        "{props:?}"
    );
    // Labelled fields, not XML type names ("lpstr: ...").
    assert!(props.contains(&"Author: Steward"), "{props:?}");
    assert!(
        !props
            .iter()
            .any(|p| p.contains("lpstr") || p.contains("vector")),
        "{props:?}"
    );
}

// ---------------------------------------------------------------- CLI

#[test]
fn cli_args_parse_as_documented() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Top {
        #[command(flatten)]
        args: cli::RedactArgs,
    }
    let top = Top::try_parse_from([
        "steward",
        "--subject",
        "s.json",
        "a.pdf",
        "b.docx",
        "-o",
        "bundle.pdf",
        "--schedule",
        "schedule.csv",
        "--style",
        "label",
        "--rules",
        "rules/",
        "--hospital-number-pattern",
        "RX[0-9]{6}",
        "--hospital-number-pattern",
        "H[0-9]{7}",
    ])
    .unwrap();
    assert_eq!(top.args.inputs.len(), 2);
    assert_eq!(top.args.style, RedactionStyle::Label);
    assert_eq!(top.args.hospital_number_patterns.len(), 2);
    assert!(
        Top::try_parse_from(["steward", "--subject", "s.json", "-o", "b.pdf"]).is_err(),
        "an input is required"
    );
}

#[test]
fn cli_writes_bundle_and_schedules_and_never_overwrites_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_fixtures(dir.path());
    let subject_path = dir.path().join("subject.json");
    std::fs::write(
        &subject_path,
        serde_json::json!({"name": "Marigold Featherstonehaugh", "aliases": [], "date_of_birth": "1961-04-09", "nhs_number": "9434765919", "addresses": ["7 Larkspur Lane"], "phones": [], "emails": []}).to_string(),
    )
    .unwrap();
    let before: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let args = cli::RedactArgs {
        subject: Some(subject_path.clone()),
        inputs: paths.clone(),
        output: Some(dir.path().join("bundle.pdf")),
        schedule: Some(dir.path().join("schedule.csv")),
        style: RedactionStyle::Box,
        ..Default::default()
    };
    let summary = cli::execute(&args).unwrap();
    assert_eq!(summary.documents, 6);
    assert_eq!(
        summary.pages_needing_review,
        vec![("scan.pdf".to_owned(), "page 1".to_owned())]
    );
    assert!(summary
        .to_string()
        .contains("pages needing manual review: 1"));
    let bundle = std::fs::read(dir.path().join("bundle.pdf")).unwrap();
    assert!(extract_pdf_text(&bundle).contains("Featherstonehaugh"));
    // The real detector (steward-redact, built-in rules) ran: a third party's email and
    // phone number are gone, the subject's own date of birth is kept.
    assert!(summary.proposals.values().sum::<usize>() > 0, "{summary}");
    assert_all_absent(&bundle, &["b.quince@example.org"]);
    assert!(all_text(&read("bundle.pdf", bundle.clone()).unwrap()).contains("1961-04-09"));
    assert!(dir.path().join("schedule.csv").exists());
    assert!(dir.path().join("schedule.pdf").exists());
    let after: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(before, after);

    // An output that is also an input is refused before anything is written.
    let clash = cli::RedactArgs {
        output: Some(paths[2].clone()),
        ..args.clone()
    };
    let err = cli::execute(&clash).unwrap_err();
    assert!(err.to_string().contains("never overwritten"), "{err}");
    assert_eq!(std::fs::read(&paths[2]).unwrap(), before[2]);

    // A schedule whose PDF would be the bundle is refused before anything is written.
    let out = dir.path().join("clash");
    std::fs::create_dir(&out).unwrap();
    let clash = cli::RedactArgs {
        output: Some(out.join("record.pdf")),
        schedule: Some(out.join("record.csv")),
        ..args.clone()
    };
    let err = cli::execute(&clash).unwrap_err();
    assert!(err.to_string().contains("same file"), "{err}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );
    // ... and so is a schedule named like a PDF (its own PDF would replace it).
    let clash = cli::RedactArgs {
        output: Some(out.join("bundle.pdf")),
        schedule: Some(out.join("schedule.pdf")),
        ..args.clone()
    };
    assert!(cli::execute(&clash).is_err());
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );

    // A schedule folder that does not exist: refused up front, the bundle is not written.
    let missing = cli::RedactArgs {
        output: Some(out.join("bundle.pdf")),
        schedule: Some(out.join("no-such-folder").join("schedule.csv")),
        ..args.clone()
    };
    let err = cli::execute(&missing).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn outputs_are_written_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.pdf");
    std::fs::write(&a, b"old bundle").unwrap();
    // The second file cannot be written (its folder is a file): the first is not replaced
    // and no temporary file is left behind.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let err = cli::write_all_or_nothing(&[
        (a.clone(), b"new bundle".to_vec()),
        (blocker.join("s.csv"), b"x".to_vec()),
    ])
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("nothing was written"),
        "{err:#}"
    );
    assert_eq!(std::fs::read(&a).unwrap(), b"old bundle");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    cli::write_all_or_nothing(&[(a.clone(), b"new bundle".to_vec())]).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), b"new bundle");
}

#[test]
fn batch_runs_every_row_and_keeps_known_parties() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, name) in ["Isolde Farrant", "Crispin Tewkesbury"].iter().enumerate() {
        std::fs::write(
            d.join(format!("s{i}.json")),
            serde_json::json!({ "name": name }).to_string(),
        )
        .unwrap();
        std::fs::write(
            d.join(format!("r{i}.txt")),
            format!("Kestrel Surgery\n9 Wren Row, Ambleford AM1 2ZZ\nTel 0118 496 0444\n\n{name} seen by Ms Ferrow. Her brother Osric Pellow rang on 0118 496 0999."),
        )
        .unwrap();
    }
    std::fs::write(
        d.join("org.json"),
        serde_json::json!({"name": "Kestrel Surgery", "address_lines": ["9 Wren Row", "Ambleford"], "postcode": "AM1 2ZZ", "phones": ["0118 496 0444"]}).to_string(),
    )
    .unwrap();
    std::fs::write(d.join("staff.csv"), "name,role\nJuno Ferrow,Nurse\n").unwrap();
    std::fs::write(
        d.join("manifest.csv"),
        "subject,input,output,schedule\ns0.json,r0.txt,b0.pdf,sch0.csv\ns1.json,r1.txt,b1.pdf,\n",
    )
    .unwrap();
    let args = cli::RedactArgs {
        batch: Some(d.join("manifest.csv")),
        organisation: Some(d.join("org.json")),
        staff: Some(d.join("staff.csv")),
        ..Default::default()
    };
    let report = cli::execute_batch(&args, &d.join("manifest.csv")).unwrap();
    assert_eq!(report.rows.len(), 2);
    for (_, r) in &report.rows {
        let s = r.as_ref().unwrap();
        assert!(s.kept >= 3, "{s}");
    }
    let text = extract_pdf_text(&std::fs::read(d.join("b0.pdf")).unwrap());
    for kept in [
        "Kestrel Surgery",
        "Wren Row",
        "AM1 2ZZ",
        "0118 496 0444",
        "Ferrow",
    ] {
        assert!(text.contains(kept), "{kept} missing from {text}");
    }
    for gone in ["Osric Pellow", "0118 496 0999"] {
        assert!(!text.contains(gone), "{gone} still in {text}");
    }
    let schedule = std::fs::read_to_string(d.join("sch0.csv")).unwrap();
    assert!(
        schedule.contains("kept: a member of the organisation's staff"),
        "{schedule}"
    );
    assert!(
        schedule.contains("kept: the organisation's own details"),
        "{schedule}"
    );

    // Two rows writing the same bundle: refused before any row runs.
    std::fs::write(
        d.join("bad.csv"),
        "subject,input,output\ns0.json,r0.txt,same.pdf\ns1.json,r1.txt,same.pdf\n",
    )
    .unwrap();
    let err = cli::execute_batch(&args, &d.join("bad.csv")).err().unwrap();
    assert!(err.to_string().contains("both write"), "{err}");
    assert!(!d.join("same.pdf").exists());
}

#[test]
fn a_500_page_record_reads_and_renders() {
    let mut spec = DocumentSpec::new("Long record");
    for i in 0..500 {
        if i > 0 {
            spec = spec.page_break();
        }
        spec = spec.paragraph(format!("Entry {i}: reviewed, seen with Ottoline Grebe."));
    }
    let pdf = write_pdf(&spec).unwrap();
    let inputs = vec![InputFile::new("long.pdf", pdf)];
    let run =
        redact_documents_with(&inputs, &Limits::default(), finder(&["Ottoline Grebe"])).unwrap();
    assert_eq!(run.documents[0].pages.len(), 500);
    assert_eq!(run.proposals.len(), 500);
    assert!(run.pages_needing_review().is_empty());
    let bundle = bundle_as_proposed(&run);
    let pages = lopdf::Document::load_mem(&bundle)
        .unwrap()
        .get_pages()
        .len();
    assert_eq!(pages, 501, "a cover sheet, then one page per original page");
}

#[test]
fn html_headings_lists_and_tables_keep_their_shape() {
    let html = b"<html><head><title>x</title></head><body><h2>Medication</h2><ul><li>Sertraline 50 mg</li><li>Aspirin &amp; PPI</li></ul><p>Reviewed.<br>Next year.</p><table><tr><th>Date</th><th>Result</th></tr><tr><td>2024-01-02</td><td>HbA1c 48</td></tr></table></body></html>";
    let doc = read("note.html", html.to_vec()).unwrap();
    let b: Vec<(BlockKind, &str)> = doc.pages[0]
        .blocks
        .iter()
        .map(|b| (b.kind, b.text.as_str()))
        .collect();
    assert_eq!(b[0], (BlockKind::Heading(2), "Medication"), "{b:?}");
    assert_eq!(b[1], (BlockKind::ListItem, "Sertraline 50 mg"), "{b:?}");
    assert_eq!(b[2], (BlockKind::ListItem, "Aspirin & PPI"), "{b:?}");
    assert!(
        b[3].1.starts_with("Reviewed.") && b[3].1.contains("Next year."),
        "{b:?}"
    );
    assert_eq!(b[4], (BlockKind::TableHeader, "Date\tResult"), "{b:?}");
    assert_eq!(b[5], (BlockKind::TableRow, "2024-01-02\tHbA1c 48"), "{b:?}");
    assert!(
        !b.iter().any(|(_, t)| t.contains('#') || t.starts_with('*')),
        "{b:?}"
    );
}

#[test]
fn bundle_lays_out_tables_and_redacts_inside_cells() {
    let inputs = vec![InputFile::new(
        "contacts.csv",
        b"relationship,name,phone\nSon,Ottoline Grebe,01632 960002\n".to_vec(),
    )];
    let run =
        redact_documents_with(&inputs, &Limits::default(), finder(&["Ottoline Grebe"])).unwrap();
    let bundle = bundle_as_proposed(&run);
    let text = extract_pdf_text(&bundle);
    assert!(!text.contains("Ottoline"), "{text}");
    assert!(
        text.contains("relationship") && text.contains("Son"),
        "{text}"
    );
    assert!(
        !text.contains("relationship: "),
        "cells, not labelled lines: {text}"
    );
}

#[test]
fn csv_rows_are_read_under_their_header() {
    let inputs = vec![InputFile::new(
        "contacts.csv",
        b"Relationship,Name,DOB\nNiece,Wren Alcott,14.02.1999\n".to_vec(),
    )];
    let run = redact_documents(
        &inputs,
        &subject(),
        &steward_redact::Rules::builtin(),
        &steward_redact::Options::default(),
    )
    .unwrap();
    let found: Vec<&str> = run
        .proposals
        .iter()
        .map(|p| &run.block_text(p.at).unwrap()[p.start..p.end])
        .collect();
    assert!(found.contains(&"14.02.1999"), "{found:?}");
    assert!(run.proposals.iter().all(|p| p.at.block == 1), "{found:?}");
}

// ---------------------------------------------------------------- the bundle reads like the record

/// A DOCX with a Word heading, a bulleted list, a table with a header row, and the three
/// property parts (core, app with a vector of part titles, custom), as Word writes them.
fn structured_docx() -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Repeat medication</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr></w:pPr><w:r><w:t>Lisinopril 10 mg once daily</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr></w:pPr><w:r><w:t>Atorvastatin 20 mg at night</w:t></w:r></w:p>
<w:p><w:r><w:t>Reviewed with her carer.</w:t></w:r></w:p>
<w:tbl>
<w:tr><w:tc><w:p><w:r><w:t>Relationship</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Telephone</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Carer</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Ottoline Grebe</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>01632 960412</w:t></w:r></w:p></w:tc></w:tr>
</w:tbl>
</w:body></w:document>"#
    );
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Medication review</dc:title><dc:creator>Thaddeus Wraxall</dc:creator><cp:lastModifiedBy>Ysolde Marchbank</cp:lastModifiedBy></cp:coreProperties>"#;
    let app = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Company>Larkhill Surgery</Company><HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Title</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>Medication review</vt:lpstr></vt:vector></TitlesOfParts></Properties>"#;
    let custom = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Reviewer"><vt:lpwstr>Peregrine Ashdown</vt:lpwstr></property></Properties>"#;
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
        ("docProps/app.xml", app.as_bytes()),
        ("docProps/custom.xml", custom.as_bytes()),
    ])
}

#[test]
fn docx_headings_lists_tables_and_properties_keep_their_shape() {
    let doc = read("review.docx", structured_docx()).unwrap();
    let body: Vec<(BlockKind, &str)> = doc.pages[0]
        .blocks
        .iter()
        .map(|b| (b.kind, b.text.as_str()))
        .collect();
    assert_eq!(
        body,
        [
            (BlockKind::Heading(1), "Repeat medication"),
            (BlockKind::ListItem, "Lisinopril 10 mg once daily"),
            (BlockKind::ListItem, "Atorvastatin 20 mg at night"),
            (BlockKind::Paragraph, "Reviewed with her carer."),
            (BlockKind::TableHeader, "Relationship\tName\tTelephone"),
            (BlockKind::TableRow, "Carer\tOttoline Grebe\t01632 960412"),
        ]
    );
    let props = doc
        .pages
        .iter()
        .find(|p| p.label == "document properties")
        .expect("a properties page");
    let fields: Vec<&str> = props.blocks.iter().map(|b| b.text.as_str()).collect();
    for expected in [
        "Title: Medication review",
        "Author: Thaddeus Wraxall",
        "Last modified by: Ysolde Marchbank",
        "Company: Larkhill Surgery",
        "Titles of parts: Medication review",
        "Reviewer: Peregrine Ashdown",
    ] {
        assert!(fields.contains(&expected), "{expected:?} not in {fields:?}");
    }
    assert!(
        props.blocks.iter().all(|b| b.kind == BlockKind::Field),
        "{:?}",
        props.blocks
    );
    for raw in [
        "lpstr",
        "lpwstr",
        "vt:",
        "i4",
        "Heading pairs",
        "HeadingPairs",
    ] {
        assert!(
            !fields.iter().any(|f| f.contains(raw)),
            "{raw:?} in {fields:?}"
        );
    }
}

#[test]
fn fhir_resources_are_headed_sections_of_labelled_fields() {
    let doc = read("record.json", fhir_bundle()).unwrap();
    for page in &doc.pages {
        assert_eq!(page.blocks[0].kind, BlockKind::Heading(2), "{page:?}");
        assert_eq!(page.blocks[0].text, page.label);
        for b in &page.blocks[1..] {
            assert_eq!(b.kind, BlockKind::Field, "{b:?}");
            let (label, value) = b.text.split_once(": ").expect("a labelled field");
            assert!(
                label.chars().next().is_some_and(char::is_uppercase) && !value.is_empty(),
                "{b:?}"
            );
        }
    }
    assert_eq!(doc.pages[1].label, "Observation o1");
}

/// The text of each page of a PDF, in order (the crate's own reader).
fn pdf_lines(pdf: &[u8]) -> String {
    all_text(&read("bundle.pdf", pdf.to_vec()).unwrap())
}

#[test]
fn the_bundle_draws_each_format_in_its_shape() {
    let html = b"<html><body><h2>Allergies</h2><ul><li>Penicillin: rash</li><li>Latex</li></ul><p>Checked.</p></body></html>".to_vec();
    let csv = b"Relationship,Name,Telephone\nSon,Ottoline Grebe,01632 960412\n".to_vec();
    let inputs = vec![
        InputFile::new("review.docx", structured_docx()),
        InputFile::new("allergies.html", html),
        InputFile::new("contacts.csv", csv),
        InputFile::new("record.json", fhir_bundle()),
    ];
    let run =
        redact_documents_with(&inputs, &Limits::default(), finder(&["Ottoline Grebe"])).unwrap();
    let bundle = bundle_as_proposed(&run);
    assert_all_absent(&bundle, &["Ottoline Grebe"]);
    let text = pdf_lines(&bundle);
    // List items drawn with a bullet, not an asterisk; headings without '#'.
    for item in [
        "Lisinopril 10 mg once daily",
        "Atorvastatin 20 mg at night",
        "Penicillin: rash",
        "Latex",
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(item) && l.contains('\u{2022}')),
            "{item:?} is not a bulleted item in\n{text}"
        );
    }
    for heading in [
        "Repeat medication",
        "Allergies",
        "Patient p1",
        "Observation o1",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == heading),
            "{heading:?} is not a line of its own in\n{text}"
        );
    }
    assert!(!text.contains('#') && !text.contains("* "), "{text}");
    // Table cells are laid out as cells: the header words and the row's other cells are
    // there, not joined into labelled lines.
    for cell in ["Relationship", "Telephone", "Carer", "Son", "01632 960412"] {
        assert!(text.contains(cell), "{cell:?} missing in\n{text}");
    }
    assert!(!text.contains("Relationship: "), "{text}");
    // DOCX properties and FHIR elements as labelled fields.
    for field in [
        "Title: Medication review",
        "Reviewer: Peregrine Ashdown",
        "Birth date: 1961-04-09",
        "Value quantity: 128 mmHg",
    ] {
        assert!(text.contains(field), "{field:?} missing in\n{text}");
    }
    assert!(
        !text.contains("lpstr") && !text.contains("lpwstr"),
        "{text}"
    );
}

#[test]
fn a_batch_row_that_fails_writes_nothing_and_the_others_complete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, name) in ["Isolde Farrant", "Crispin Tewkesbury", "Ambrose Quell"]
        .iter()
        .enumerate()
    {
        std::fs::write(
            d.join(format!("s{i}.json")),
            serde_json::json!({ "name": name }).to_string(),
        )
        .unwrap();
        std::fs::write(
            d.join(format!("r{i}.txt")),
            format!("{name} was seen. Her cousin Tamsin Rook rang on 0118 496 0999."),
        )
        .unwrap();
    }
    // The second row has a PDF that cannot be read: it fails when it runs, after the checks.
    std::fs::write(d.join("r1.pdf"), b"%PDF-1.7\nnot really a pdf").unwrap();
    std::fs::write(
        d.join("manifest.csv"),
        "subject,input,output,schedule\n\
         s0.json,r0.txt,b0.pdf,sch0.csv\n\
         s1.json,r1.txt;r1.pdf,b1.pdf,sch1.csv\n\
         s2.json,r2.txt,b2.pdf,sch2.csv\n",
    )
    .unwrap();
    let args = cli::RedactArgs {
        batch: Some(d.join("manifest.csv")),
        ..Default::default()
    };
    let report = cli::execute_batch(&args, &d.join("manifest.csv")).unwrap();
    let ok: Vec<bool> = report.rows.iter().map(|(_, r)| r.is_ok()).collect();
    assert_eq!(ok, [true, false, true]);
    let err = report.rows[1].1.as_ref().err().unwrap();
    assert!(err.contains("r1.pdf"), "{err}");
    for written in [
        "b0.pdf", "sch0.csv", "sch0.pdf", "b2.pdf", "sch2.csv", "sch2.pdf",
    ] {
        assert!(d.join(written).exists(), "{written} not written");
    }
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("b1") || n.starts_with("sch1") || n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "the failed row left {left:?}");
    let text = extract_pdf_text(&std::fs::read(d.join("b2.pdf")).unwrap());
    assert!(
        text.contains("Ambrose Quell") && !text.contains("Tamsin Rook"),
        "{text}"
    );

    // A row whose schedule PDF would be its own bundle: refused before any row runs.
    std::fs::write(
        d.join("clash.csv"),
        "subject,input,output,schedule\ns0.json,r0.txt,c0.pdf,c0-s.csv\ns2.json,r2.txt,c2.pdf,c2.csv\n",
    )
    .unwrap();
    let err = cli::execute_batch(&args, &d.join("clash.csv"))
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("row 3"), "{err:#}");
    assert!(!d.join("c0.pdf").exists(), "nothing written");
}
