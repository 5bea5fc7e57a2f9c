// Shared by the fuzz targets (included with `include!`).
//
// Panics inside the guarded parser threads ("steward-read-*") are turned into
// `DocumentError::ParserPanic` by the crate, so they are not crashes; any other panic keeps
// libFuzzer's hook and is reported.
fn quiet_guarded_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let guarded = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("steward-read-"));
            if !guarded {
                previous(info);
            }
        }));
    });
}

#[allow(dead_code)]
fn limits() -> steward_documents::Limits {
    steward_documents::Limits {
        parse_timeout: std::time::Duration::from_secs(5),
        ..steward_documents::Limits::default()
    }
}

#[allow(dead_code)]
fn read_as(name: &str, data: &[u8]) {
    quiet_guarded_panics();
    let input = steward_documents::InputFile::new(name, data.to_vec());
    if let Ok(doc) = steward_documents::read_document(&input, &limits()) {
        // Whatever was read must render.
        for page in &doc.pages {
            for block in &page.blocks {
                assert!(!block.text.contains('\0'));
            }
        }
    }
}
