//! How the pages show the server and each client site: the server's name
//! and logo (settings), and per client site a logo (uploaded, kept in the
//! database, served from this origin) and an accent colour for the buttons
//! people see on their way to it.
//!
//! Uploaded images are checked by their first bytes, not their name or
//! claimed type: PNG, JPEG or WebP only (an SVG can carry script), at most
//! [`MAX_LOGO_BYTES`]. Accent colours must leave white button text readable
//! (WCAG 2.2 AA: 4.5:1).

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, QuerySelect, Set};

use crate::crypto::sha256_b64url;
use crate::entities::client_logo;
use crate::i18n::Msg;

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The least contrast white text needs on an accent colour (WCAG 1.4.3).
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

/// An image to show, with what the browser needs to cache it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// A strong validator: the image's hash.
    pub etag: String,
}

impl Logo {
    /// Checks an image: its size, and its type by its first bytes. SVG only
    /// where `allow_svg` (the operator's own file, not an upload).
    pub fn from_bytes(bytes: Vec<u8>, allow_svg: bool) -> Result<Logo, Msg> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(Msg::new("admin-client-logo-too-large"));
        }
        let content_type = sniff(&bytes, allow_svg).ok_or(Msg::new("admin-client-logo-type"))?;
        let etag = format!("\"{}\"", sha256_b64url(&bytes));
        Ok(Logo {
            content_type,
            bytes,
            etag,
        })
    }
}

/// An image's type by its magic bytes.
fn sniff(bytes: &[u8], allow_svg: bool) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some("image/jpeg");
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    let text = std::str::from_utf8(&bytes[..bytes.len().min(512)]).ok()?;
    let text = text.trim_start_matches('\u{feff}').trim_start();
    (allow_svg && (text.starts_with("<svg") || text.starts_with("<?xml")) && text.contains("<svg"))
        .then_some("image/svg+xml")
}

/// A colour in sRGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` (or `#rgb`).
    pub fn parse(hex: &str) -> Option<Rgb> {
        let hex = hex.trim().strip_prefix('#')?;
        let digits: Vec<u8> = match hex.len() {
            3 => hex
                .chars()
                .flat_map(|c| [c, c])
                .map(|c| c.to_digit(16).map(|d| d as u8))
                .collect::<Option<_>>()?,
            6 => hex
                .chars()
                .map(|c| c.to_digit(16).map(|d| d as u8))
                .collect::<Option<_>>()?,
            _ => return None,
        };
        let byte = |i: usize| digits[i] * 16 + digits[i + 1];
        Some(Rgb(byte(0), byte(2), byte(4)))
    }

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2.2).
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// The contrast ratio with `other` (1 to 21).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a > b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }
}

/// Checks a client site's accent colour: `#rrggbb` that white text can be
/// read on. Empty means the server's own. Returns it normalised.
pub fn validate_accent(raw: &str) -> Result<Option<String>, Msg> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let color = Rgb::parse(raw).ok_or(Msg::new("admin-client-accent-invalid"))?;
    let ratio = color.contrast(Rgb(255, 255, 255));
    if ratio < MIN_TEXT_CONTRAST {
        return Err(Msg::new("admin-client-accent-contrast")
            .with("color", color.hex())
            .with("ratio", format!("{:.1}", (ratio * 10.0).floor() / 10.0)));
    }
    Ok(Some(color.hex()))
}

/// A client site's logo, if it has one.
pub async fn client_logo(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<Logo>, DbErr> {
    let row = client_logo::Entity::find_by_id(client_id.to_owned())
        .one(db)
        .await?;
    Ok(row.and_then(|row| Logo::from_bytes(row.data, false).ok()))
}

/// When a client site's logo was last set, if it has one: cheap (the image
/// is not read), for pages that only link to it.
pub async fn client_logo_version(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<i64>, DbErr> {
    client_logo::Entity::find_by_id(client_id.to_owned())
        .select_only()
        .column(client_logo::Column::UpdatedAt)
        .into_tuple::<i64>()
        .one(db)
        .await
}

/// Sets (or, with `None`, removes) a client site's logo.
pub async fn set_client_logo(
    db: &impl ConnectionTrait,
    client_id: &str,
    logo: Option<&Logo>,
    now: i64,
) -> Result<(), DbErr> {
    client_logo::Entity::delete_by_id(client_id.to_owned())
        .exec(db)
        .await?;
    if let Some(logo) = logo {
        client_logo::ActiveModel {
            client_id: Set(client_id.to_owned()),
            content_type: Set(logo.content_type.to_owned()),
            data: Set(logo.bytes.clone()),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        let (white, black) = (Rgb(255, 255, 255), Rgb(0, 0, 0));
        assert!((white.contrast(black) - 21.0).abs() < 1e-9);
        assert!((Rgb::parse("#777").unwrap().contrast(white) - 4.48).abs() < 0.01);
        assert_eq!(Rgb::parse("#2A5BD7"), Some(Rgb(0x2a, 0x5b, 0xd7)));
        assert!(Rgb::parse("2a5bd7").is_none() && Rgb::parse("#12345").is_none());
    }

    #[test]
    fn accents_need_contrast_with_white_text() {
        assert_eq!(validate_accent("").unwrap(), None);
        assert_eq!(
            validate_accent("#1D4ED8").unwrap().as_deref(),
            Some("#1d4ed8")
        );
        let light = validate_accent("#ffd700").unwrap_err();
        assert_eq!(light.key, "admin-client-accent-contrast");
        assert_eq!(
            validate_accent("red").unwrap_err().key,
            "admin-client-accent-invalid"
        );
    }

    #[test]
    fn logos_are_checked_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        assert_eq!(
            Logo::from_bytes(png, false).unwrap().content_type,
            "image/png"
        );
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec();
        assert!(
            Logo::from_bytes(svg.clone(), false).is_err(),
            "uploads are never SVG"
        );
        assert_eq!(
            Logo::from_bytes(svg, true).unwrap().content_type,
            "image/svg+xml"
        );
        assert!(Logo::from_bytes(b"GIF89a".to_vec(), false).is_err());
        assert!(Logo::from_bytes([0xff, 0xd8, 0xff].repeat(100_000), false).is_err());
    }
}
