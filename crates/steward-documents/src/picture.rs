//! Pictures in generated documents: an SVG drawing (the DPIA's risk map) rasterised to PNG
//! with resvg, with the bundled DejaVu Sans for its text, so that the PDF and the DOCX
//! writers both take the same picture ([`crate::spec::SpecBlock::Image`]).

use resvg::{tiny_skia, usvg};

use crate::error::{DocumentError, Result};
use crate::render::{BOLD_TTF, REGULAR_TTF};

fn failed(detail: impl std::fmt::Display) -> DocumentError {
    DocumentError::Render {
        what: "picture",
        detail: detail.to_string(),
    }
}

/// Draws `svg` as a PNG at `scale` times its own size (2 to 3 keeps text sharp in print),
/// on white.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let mut options = usvg::Options {
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    {
        let fonts = options.fontdb_mut();
        fonts.load_font_data(REGULAR_TTF.to_vec());
        fonts.load_font_data(BOLD_TTF.to_vec());
        fonts.set_sans_serif_family("DejaVu Sans");
    }
    let tree = usvg::Tree::from_str(svg, &options).map_err(failed)?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| failed("the drawing has no size"))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| failed("the drawing is too large"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(failed)
}

/// The pixel size of a PNG, read by the same decoder the PDF writer uses; refuses what is
/// not a PNG.
pub fn png_size(png: &[u8]) -> Result<(u32, u32)> {
    krilla::image::Image::from_png(krilla::Data::from(png.to_vec()), true)
        .map(|i| i.size())
        .map_err(|e| failed(format!("not a PNG picture ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_svg_with_text_becomes_a_png_of_its_size() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect x="0" y="0" width="60" height="40" fill="#f4c2c2"/><text x="64" y="25" font-size="14">Risk 1</text></svg>"##;
        let png = svg_to_png(svg, 2.0).unwrap();
        assert_eq!(png_size(&png).unwrap(), (240, 80));
        assert!(png_size(b"not a picture").is_err());
        assert!(svg_to_png("<svg", 2.0).is_err());
    }

    #[test]
    fn a_picture_reaches_the_pdf_and_the_docx_with_its_text_alternative() {
        use crate::spec::{write_docx, write_pdf, DocumentSpec};
        use std::io::Read;
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="100" height="100" fill="#d5ecd4"/><text x="110" y="50" font-size="16">Low</text></svg>"##;
        let png = svg_to_png(svg, 2.0).unwrap();
        let alt = "Risk map: risk 1 moves from high to low <after measures>";
        let spec = DocumentSpec::new("A picture")
            .paragraph("Before the picture.")
            .image(png.clone(), alt, 120.0)
            .paragraph("After the picture.");

        let pdf = write_pdf(&spec).unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let images = doc
            .objects
            .values()
            .filter_map(|o| o.as_stream().ok())
            .filter(|s| {
                s.dict
                    .get(b"Subtype")
                    .and_then(|t| t.as_name())
                    .is_ok_and(|n| n == b"Image")
            })
            .count();
        assert!(images >= 1, "the PDF holds the picture");
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(
            text.contains("Risk map: risk 1 moves"),
            "the caption is printed: {text}"
        );

        let docx = write_docx(&spec).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
        let media: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok())
            .filter(|n| n.starts_with("word/media/") && !n.ends_with('/'))
            .map(|n| n.into_owned())
            .collect();
        assert_eq!(media.len(), 1, "{media:?}");
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(
            xml.contains(r#"name="Picture 1" descr="Risk map: risk 1 moves from high to low &lt;after measures&gt;""#),
            "{xml}"
        );
        // 120 mm wide, in English Metric Units, half as tall as wide.
        assert!(xml.contains(r#"cx="4320000" cy="2160000""#), "{xml}");

        // Not a PNG: a clear error from both writers, nothing written.
        let bad = DocumentSpec::new("Bad").image(b"GIF89a".to_vec(), "", 50.0);
        assert!(write_pdf(&bad).is_err());
        assert!(write_docx(&bad).is_err());
    }
}
