//! QR codes of public links, as SVG (pages, posters) and PNG (to send or print),
//! drawn here from the module matrix so no image library is needed for PNG
//! beyond the encoder we already carry.

use fast_qr::{ECL, QRBuilder, QRCode};

/// Modules of white border around the code (the QR standard asks for four).
const QUIET: usize = 4;

fn code(text: &str) -> Option<QRCode> {
    // Medium error correction survives a creased or partly dirty poster.
    QRBuilder::new(text).ecl(ECL::M).build().ok()
}

/// The code as an SVG document, or `None` when the text is too long for a QR code.
pub fn svg(text: &str) -> Option<String> {
    let qr = code(text)?;
    Some(fast_qr::convert::svg::SvgBuilder::default().to_str(&qr))
}

/// The code as a PNG of `scale` pixels per module, with the quiet zone.
pub fn png(text: &str, scale: u32) -> Option<Vec<u8>> {
    use image::{ImageEncoder, codecs::png::PngEncoder};
    let qr = code(text)?;
    let scale = scale.clamp(1, 32) as usize;
    let side = (qr.size + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for y in 0..qr.size {
        for x in 0..qr.size {
            if qr[y][x].value() {
                for dy in 0..scale {
                    let row = (y + QUIET) * scale + dy;
                    let start = row * side + (x + QUIET) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            &pixels,
            side as u32,
            side as u32,
            image::ExtendedColorType::L8,
        )
        .ok()?;
    Some(out)
}

/// A public link under `server.public_url`: `/{prefix}/{code}`.
pub fn public_url(settings: &crate::config::Settings, prefix: &str, code: &str) -> String {
    format!(
        "{}/{prefix}/{code}",
        settings.server.public_url.trim_end_matches('/')
    )
}

/// The SVG code of `url`, or a refusal when it is too long for a QR code.
pub fn svg_of(url: &str) -> crate::error::AppResult<String> {
    svg(url).ok_or(crate::error::AppError::BadRequest(
        "link too long for a QR code",
    ))
}

/// The QR code of `url` as an SVG response, cached for an hour.
pub fn svg_response(url: &str) -> crate::error::AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        svg_of(url)?,
    )
        .into_response())
}

/// The QR code of `url` as a PNG download named `name`.
pub fn png_download(url: &str, name: &str) -> crate::error::AppResult<axum::response::Response> {
    let png = png(url, 12).ok_or(crate::error::AppError::BadRequest(
        "link too long for a QR code",
    ))?;
    Ok(crate::web::download::attachment(png, name, "image/png"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_draw_the_same_code() {
        let url = "http://127.0.0.1:8080/p/YP-JD-DHL";
        let svg = svg(url).expect("svg");
        assert!(svg.starts_with("<svg"));
        let png = png(url, 4).expect("png");
        let img = image::load_from_memory(&png).expect("a PNG").to_luma8();
        let side = img.width();
        assert_eq!(side, img.height());
        let modules = (side / 4) as usize - 2 * QUIET;
        let qr = code(url).unwrap();
        assert_eq!(modules, qr.size);
        // Every module's pixel is dark exactly when the matrix says so.
        for y in 0..qr.size {
            for x in 0..qr.size {
                let p = img.get_pixel(((x + QUIET) * 4 + 1) as u32, ((y + QUIET) * 4 + 1) as u32);
                assert_eq!(p.0[0] == 0, qr[y][x].value(), "({x}, {y})");
            }
        }
        assert!(
            self::svg(&"x".repeat(5000)).is_none(),
            "too long for a QR code"
        );
    }
}
