//! Validated values shared by every content kind: each newtype has a `parse` that refuses
//! bad input with a reason, and can only hold a valid value afterwards.

use crate::error::Invalid;
use serde::{Deserialize, Serialize};

/// URL-safe identifier: lowercase ASCII letters, digits and single dashes, 1–120 chars.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if raw.is_empty() || raw.len() > 120 {
            Err(Invalid::new("must be 1 to 120 characters long"))
        } else if !ok_chars || raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            Err(Invalid::new(
                "only lowercase letters, digits and single inner dashes are allowed",
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// Derives a slug from a French title: accents folded, everything else becomes dashes.
    pub fn from_title(title: &str) -> Self {
        let mut out = String::with_capacity(title.len());
        for c in title.chars().flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.truncate(110);
        let trimmed = out.trim_end_matches('-');
        if trimmed.is_empty() {
            Self("item".to_owned())
        } else {
            Self(trimmed.to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Folds the Latin accents found in French text to their ASCII base letters.
pub fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => "A",
        'ç' => "c",
        'Ç' => "C",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'É' | 'È' | 'Ê' | 'Ë' => "E",
        'î' | 'ï' | 'í' | 'ì' => "i",
        'Î' | 'Ï' | 'Í' | 'Ì' => "I",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
        'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => "O",
        'ù' | 'û' | 'ü' | 'ú' => "u",
        'Ù' | 'Û' | 'Ü' | 'Ú' => "U",
        'ÿ' => "y",
        'Ÿ' => "Y",
        'ñ' => "n",
        'Ñ' => "N",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        _ => "",
    };
    let keep = folded.is_empty().then_some(c);
    folded.chars().chain(keep)
}

/// An email address, trimmed and lowercased (so it can be compared and kept unique).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let normalized = raw.trim().to_lowercase();
        let Some((local, domain)) = normalized.split_once('@') else {
            return Err(Invalid::new("must contain one @"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains(char::is_whitespace)
            && !local.contains('@');
        if normalized.len() > 254 || !domain_ok || !local_ok {
            return Err(Invalid::new("is not a valid email address"));
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute `http` or `https` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let url = url::Url::parse(raw.trim()).map_err(|e| Invalid::new(format!("{e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new("must be an http or https URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("must name a host"));
        }
        Ok(Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in French national (`01 23 45 67 89`) or international (`+33 1 …`) form,
/// kept in E.164 form (`+33123456789`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let e164 = if let Some(rest) = compact.strip_prefix('+') {
            format!("+{rest}")
        } else if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else if compact.len() == 10 && compact.starts_with('0') {
            format!("+33{}", &compact[1..])
        } else if compact.len() == 4 && compact.starts_with('3') {
            // French short service numbers (3939, 3646…) are dialled as they are.
            return Ok(Self(compact));
        } else {
            return Err(Invalid::new(
                "must be a French number (10 digits) or start with + and the country code",
            ));
        };
        let digits = &e164[1..];
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new("must have 8 to 15 digits"));
        }
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

impl GeoPoint {
    pub fn parse_latitude(value: f64) -> Result<f64, Invalid> {
        if value.is_finite() && (-90.0..=90.0).contains(&value) {
            Ok(value)
        } else {
            Err(Invalid::new("must be between -90 and 90"))
        }
    }

    pub fn parse_longitude(value: f64) -> Result<f64, Invalid> {
        if value.is_finite() && (-180.0..=180.0).contains(&value) {
            Ok(value)
        } else {
            Err(Invalid::new("must be between -180 and 180"))
        }
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(&self, other: &GeoPoint) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

/// An IANA time zone (`Europe/Paris`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| Invalid::new("is not an IANA time zone such as Europe/Paris"))
    }

    pub fn paris() -> Self {
        Self(chrono_tz::Europe::Paris)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self::paris()
    }
}

/// Number of the French associations register: `W` followed by 9 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rna(String);

impl Rna {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_ascii_uppercase();
        let ok = value.len() == 10
            && value.starts_with('W')
            && value[1..].bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(value))
        } else {
            Err(Invalid::new("must be W followed by 9 digits"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SIRET establishment number: 14 digits whose Luhn checksum holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Siret(String);

impl Siret {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new("must be 14 digits"));
        }
        if !luhn_valid(&digits) {
            return Err(Invalid::new("fails the Luhn checksum"));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Luhn check over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits) % 10 == 0
}

/// The Luhn sum of ASCII digits, rightmost digit not doubled.
pub fn luhn_sum(digits: &str) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum()
}

/// A required non-blank text of at most `max` characters, trimmed.
pub fn required_text(raw: &str, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        Err(Invalid::new("must not be empty"))
    } else if value.chars().count() > max {
        Err(Invalid::new(format!("must be at most {max} characters")))
    } else {
        Ok(value.to_owned())
    }
}

/// An optional text: blank becomes `None`, longer than `max` is refused.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(v, max).map(Some),
    }
}
