//! Attachments: photos and documents of activities, problems, campaigns and
//! implementation plans. This file holds the rules — which owners exist, how a
//! file's type is read from its content (never from its name), and how a photo
//! becomes a thumbnail without letting a decompression bomb through. No SQL,
//! no HTTP: see `store` (rows and files on disk), `ops` (access and writes), `pages` and `api`.

pub mod api;
pub mod ops;
pub mod pages;
pub mod store;

use std::io::Cursor;

use serde::Serialize;

use crate::{
    db::{AttachmentId, OrgId, UserId, code_enum},
    error::{AppError, FieldError},
};

code_enum! {
    /// What an attachment belongs to.
    pub enum OwnerKind: "att-owner" {
        /// An activity record (走访记录): photos and notes of the visit.
        Activity = "activity",
        /// A problem or suggestion: evidence, letters, photos.
        Problem = "problem",
        /// A campaign: the notice and its attachments (通知及附件).
        Campaign = "campaign",
        /// A unit's implementation plan (实施方案): the plan document.
        Plan = "plan",
    }
}

impl OwnerKind {
    /// Parses the stored code, spaces around it forgiven.
    pub fn parse(s: &str) -> Option<OwnerKind> {
        OwnerKind::from_code(s.trim())
    }
}

/// The record an attachment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The activity, problem, campaign or plan id.
    pub id: i64,
}

/// Reads `owner_kind` and `owner_id` as given by a form or a query.
pub fn parse_owner(kind: Option<&str>, id: Option<&str>) -> Result<Owner, AppError> {
    let mut errs = Vec::new();
    let kind = kind.and_then(OwnerKind::parse);
    if kind.is_none() {
        errs.push(
            FieldError::new("owner_kind", "err-attachment-owner-kind")
                .arg("allowed", OwnerKind::CODES.join(", ")),
        );
    }
    let id = id
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|i| *i > 0);
    if id.is_none() {
        errs.push(FieldError::new("owner_id", "err-attachment-owner"));
    }
    match (kind, id) {
        (Some(kind), Some(id)) => Ok(Owner { kind, id }),
        _ => Err(AppError::Validation(errs)),
    }
}

impl Owner {
    /// The record `id` of `kind`.
    pub fn of(kind: OwnerKind, id: i64) -> Self {
        Owner { kind, id }
    }
}

/// A stored attachment (metadata; the bytes are on disk under the hash).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: AttachmentId,
    /// The owning record's org.
    pub org_id: OrgId,
    pub owner_kind: OwnerKind,
    pub owner_id: i64,
    /// The uploader's file name, cleaned (no folders, no control characters).
    pub filename: String,
    /// The type read from the content.
    pub mime: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    pub is_image: bool,
    pub has_thumbnail: bool,
    pub uploaded_by: Option<UserId>,
    pub uploader_name: Option<String>,
    /// Epoch seconds, UTC.
    pub created_at: i64,
    /// Where the file is downloaded (images open inline).
    pub url: String,
    /// Where the thumbnail is, for images.
    pub thumbnail_url: Option<String>,
}

impl Attachment {
    /// The size for people: KB or MB with one decimal.
    pub fn size_label(&self) -> String {
        human_size(self.size_bytes)
    }

    /// The short type label shown beside a document (PDF, DOCX…).
    pub fn type_label(&self) -> &'static str {
        FileType::from_mime(&self.mime).map_or("", |t| t.label())
    }
}

/// A size for people.
pub fn human_size(bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    if bytes >= MB && bytes % MB == 0 {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// The file types Qingting accepts, recognised by their content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Pdf,
    Docx,
    Xlsx,
    /// Word 97–2003: an OLE compound file named `.doc`.
    Doc,
    /// Excel 97–2003: an OLE compound file named `.xls`.
    Xls,
    /// Plain UTF-8 text named `.txt`.
    Txt,
}

impl FileType {
    /// Every type.
    pub const ALL: [FileType; 9] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Webp,
        FileType::Pdf,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Doc,
        FileType::Xls,
        FileType::Txt,
    ];

    /// The name used in settings (`uploads.allowed_types`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Doc => "doc",
            FileType::Xls => "xls",
            FileType::Txt => "txt",
        }
    }

    /// The MIME type served.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Doc => "application/msword",
            FileType::Xls => "application/vnd.ms-excel",
            FileType::Txt => "text/plain; charset=utf-8",
        }
    }

    /// The type of a stored MIME string.
    pub fn from_mime(mime: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.mime() == mime)
    }

    /// A short label for lists.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Jpeg => "JPEG",
            FileType::Png => "PNG",
            FileType::Webp => "WebP",
            FileType::Pdf => "PDF",
            FileType::Docx => "DOCX",
            FileType::Xlsx => "XLSX",
            FileType::Doc => "DOC",
            FileType::Xls => "XLS",
            FileType::Txt => "TXT",
        }
    }

    /// Whether it is a photo (shown in the gallery, thumbnailed, opened inline).
    pub fn is_image(self) -> bool {
        matches!(self, FileType::Jpeg | FileType::Png | FileType::Webp)
    }

    /// The file name extensions that may carry this type; the first is canonical.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Jpeg => &["jpg", "jpeg", "jfif", "jpe"],
            FileType::Png => &["png"],
            FileType::Webp => &["webp"],
            FileType::Pdf => &["pdf"],
            FileType::Docx => &["docx"],
            FileType::Xlsx => &["xlsx"],
            FileType::Doc => &["doc"],
            FileType::Xls => &["xls"],
            FileType::Txt => &["txt"],
        }
    }

    /// Parses the comma-separated `uploads.allowed_types` setting; unknown names are ignored.
    pub fn parse_list(s: &str) -> Vec<FileType> {
        s.split(',')
            .filter_map(|n| {
                let n = n.trim().to_ascii_lowercase();
                FileType::ALL.into_iter().find(|t| t.as_str() == n)
            })
            .collect()
    }
}

/// What the content looks like, before the name is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sniffed {
    Type(FileType),
    /// An OLE compound file: Word or Excel 97–2003 (the name decides which).
    Ole,
    /// Text without binary bytes: accepted only as `.txt`.
    Text,
    /// A HEIC/HEIF photo (iPhone default): refused with its own message.
    Heic,
    Unknown,
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Type(FileType::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Type(FileType::Png);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Sniffed::Type(FileType::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [
            &b"heic"[..],
            b"heix",
            b"hevc",
            b"heim",
            b"heis",
            b"mif1",
            b"msf1",
            b"avif",
        ]
        .contains(&brand)
        {
            return Sniffed::Heic;
        }
        return Sniffed::Unknown;
    }
    if bytes.starts_with(b"%PDF-") {
        return Sniffed::Type(FileType::Pdf);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Sniffed::Ole;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // Office Open XML: read only the zip's directory, never inflate anything.
        let Ok(zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
            return Sniffed::Unknown;
        };
        let names: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect();
        if !names.iter().any(|n| n == "[Content_Types].xml") {
            return Sniffed::Unknown;
        }
        if names.iter().any(|n| n.starts_with("word/")) {
            return Sniffed::Type(FileType::Docx);
        }
        if names.iter().any(|n| n.starts_with("xl/")) {
            return Sniffed::Type(FileType::Xlsx);
        }
        return Sniffed::Unknown;
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(text).is_ok_and(|t| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
    }) {
        return Sniffed::Text;
    }
    Sniffed::Unknown
}

/// The extension of a file name, lowercase, if it has one.
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() || ext.len() > 8 {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Why a file was refused, as a field error on `file` naming the file.
fn refuse(name: &str, key: &'static str) -> FieldError {
    FieldError::new("file", key).arg("name", name)
}

/// Decides a file's type from its content, then checks the name agrees and the
/// type is allowed. A name without an extension takes the type's own.
/// Returns the type and the file name to keep.
pub fn classify(
    name: &str,
    bytes: &[u8],
    allowed: &[FileType],
) -> Result<(FileType, String), FieldError> {
    let ext = extension(name);
    let ty = match sniff(bytes) {
        Sniffed::Type(t) => t,
        Sniffed::Ole => match ext.as_deref() {
            Some("xls") => FileType::Xls,
            Some("doc") => FileType::Doc,
            _ => return Err(refuse(name, "err-attachment-mismatch")),
        },
        Sniffed::Text => match ext.as_deref() {
            Some("txt") | None => FileType::Txt,
            Some(_) => return Err(refuse(name, "err-attachment-mismatch")),
        },
        Sniffed::Heic => return Err(refuse(name, "err-attachment-heic")),
        Sniffed::Unknown => return Err(refuse(name, "err-attachment-type")),
    };
    let name = match ext.as_deref() {
        Some(e) if ty.extensions().contains(&e) => name.to_string(),
        Some(_) => return Err(refuse(name, "err-attachment-mismatch")),
        None => format!("{name}.{}", ty.extensions()[0]),
    };
    if !allowed.contains(&ty) {
        return Err(refuse(&name, "err-attachment-type"));
    }
    Ok((ty, name))
}

/// A file name safe to keep and show: no folders, no control characters, at
/// most 200 characters; "file" when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let cleaned: String = crate::import::clean_filename(raw)
        .chars()
        .map(|c| if matches!(c, '"' | '<' | '>') { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// Why an image could not be thumbnailed.
#[derive(Debug, PartialEq, Eq)]
pub enum ThumbError {
    /// Declared dimensions beyond the limit (a decompression bomb, or simply too big).
    TooLarge,
    /// Not decodable.
    Unreadable,
}

/// A thumbnail: PNG when the photo has transparency, JPEG otherwise.
#[derive(Debug)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Makes a thumbnail whose longest side is at most `max_side`, turned upright
/// by the photo's EXIF orientation. The declared dimensions are checked against
/// `max_pixels` before any pixel is decoded, and the decoder's memory is capped,
/// so a small file declaring a huge image is refused without allocating it.
/// CPU-bound: call it on the blocking pool.
pub fn thumbnail(bytes: &[u8], max_side: u32, max_pixels: u64) -> Result<Thumbnail, ThumbError> {
    use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ThumbError::Unreadable)?;
    let mut limits = Limits::default();
    let side = u32::try_from(max_pixels.min(u64::from(u32::MAX))).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side.min(65_535));
    limits.max_image_height = Some(side.min(65_535));
    // Decoded RGBA at the pixel limit, plus room for the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => ThumbError::TooLarge,
        _ => ThumbError::Unreadable,
    })?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(ThumbError::Unreadable);
    }
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(ThumbError::TooLarge);
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => ThumbError::TooLarge,
        _ => ThumbError::Unreadable,
    })?;
    img.apply_orientation(orientation);
    let small = img.thumbnail(max_side, max_side);
    let mut out = Cursor::new(Vec::new());
    if small.color().has_alpha() {
        small
            .to_rgba8()
            .write_to(&mut out, image::ImageFormat::Png)
            .map_err(|_| ThumbError::Unreadable)?;
    } else {
        let rgb = small.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(&rgb)
            .map_err(|_| ThumbError::Unreadable)?;
    }
    Ok(Thumbnail {
        width: small.width(),
        height: small.height(),
        bytes: out.into_inner(),
    })
}

/// The content type of a stored thumbnail, read from its first bytes.
pub fn thumbnail_mime(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// SHA-256 of the content, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<FileType> {
        FileType::ALL.to_vec()
    }

    #[test]
    fn the_content_decides_and_the_name_must_agree() {
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(
            classify("a.png", png, &all()).unwrap(),
            (FileType::Png, "a.png".into())
        );
        assert_eq!(
            classify("照片", png, &all()).unwrap(),
            (FileType::Png, "照片.png".into())
        );
        let e = classify("a.jpg", png, &all()).unwrap_err();
        assert_eq!(e.key, "err-attachment-mismatch");
        let e = classify("a.jpg", b"just some text", &all()).unwrap_err();
        assert_eq!(e.key, "err-attachment-mismatch");
        assert_eq!(e.args, vec![("name", "a.jpg".to_string())]);
        assert_eq!(
            classify("说明.txt", "中文说明\n".as_bytes(), &all())
                .unwrap()
                .0,
            FileType::Txt
        );
        assert_eq!(
            classify("a.pdf", b"%PDF-1.4\n", &all()).unwrap().0,
            FileType::Pdf
        );
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(classify("a.xls", &ole, &all()).unwrap().0, FileType::Xls);
        assert_eq!(classify("a.doc", &ole, &all()).unwrap().0, FileType::Doc);
        assert!(classify("a.exe", &ole, &all()).is_err());
        let e = classify("a.bin", &[0, 1, 2, 3, 0xff], &all()).unwrap_err();
        assert_eq!(e.key, "err-attachment-type");
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0";
        assert_eq!(
            classify("IMG_0001.HEIC", heic, &all()).unwrap_err().key,
            "err-attachment-heic"
        );
        // Allowed by content and name, but not by the settings.
        assert_eq!(
            classify("a.pdf", b"%PDF-1.4\n", &[FileType::Jpeg])
                .unwrap_err()
                .key,
            "err-attachment-type"
        );
    }

    #[test]
    fn names_lose_folders_and_markup() {
        assert_eq!(clean_name("C:\\Users\\a\\照片.jpg"), "照片.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("..."), "file");
        assert_eq!(clean_name("a\"<b>.png"), "a__b_.png");
    }

    #[test]
    fn settings_list_parses() {
        assert_eq!(
            FileType::parse_list("JPEG, pdf,unknown"),
            vec![FileType::Jpeg, FileType::Pdf]
        );
    }

    #[test]
    fn thumbnails_are_small_and_bombs_are_refused() {
        let img = image::RgbImage::from_pixel(1000, 500, image::Rgb([200, 30, 30]));
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let t = thumbnail(png.get_ref(), 320, 50_000_000).unwrap();
        assert_eq!((t.width, t.height), (320, 160));
        assert_eq!(thumbnail_mime(&t.bytes), "image/jpeg");
        assert_eq!(
            thumbnail(png.get_ref(), 320, 100_000).unwrap_err(),
            ThumbError::TooLarge
        );
        assert_eq!(
            thumbnail(b"\xFF\xD8\xFFgarbage", 320, 1_000_000).unwrap_err(),
            ThumbError::Unreadable
        );
    }
}
