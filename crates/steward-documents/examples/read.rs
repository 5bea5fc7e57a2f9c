//! Prints what the readers make of a file: pages, blocks (with provenance) and warnings.
//!
//! cargo run -p steward-documents --example read -- FILE
fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("usage: read FILE");
    let input = steward_documents::InputFile::read(std::path::Path::new(&path))?;
    let doc = steward_documents::read_document(&input, &steward_documents::Limits::default())?;
    println!("{} ({})", doc.name, doc.format.label());
    for page in &doc.pages {
        println!(
            "== {} (number {}){}",
            page.label,
            page.number,
            if page.needs_manual_review {
                " NEEDS MANUAL REVIEW"
            } else {
                ""
            }
        );
        for block in &page.blocks {
            println!("-- [{}]\n{}", block.source, block.text);
        }
    }
    for w in &doc.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
