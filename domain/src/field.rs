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
        // "+33 (0)1 …" is common in France: the bracketed trunk 0 is not dialled from abroad.
        let compact: String = raw
            .replace("(0)", "")
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
    luhn_sum(digits).is_multiple_of(10)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Real SIRET numbers: Google France, EDF, Ville de Paris.
    const VALID_SIRETS: [&str; 3] = ["44306184100047", "55208131766522", "21750001600019"];

    fn reason<T: std::fmt::Debug>(result: Result<T, Invalid>) -> String {
        result.expect_err("a refused value").0
    }

    #[test]
    fn slug_accepts_lowercase_words_joined_by_single_dashes() {
        for raw in [
            "a",
            "marche-bio",
            "fete-de-la-musique-2026",
            "2026",
            &"a".repeat(120),
        ] {
            assert_eq!(Slug::parse(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn slug_refuses_everything_else() {
        assert_eq!(reason(Slug::parse("")), "must be 1 to 120 characters long");
        assert_eq!(
            reason(Slug::parse(&"a".repeat(121))),
            "must be 1 to 120 characters long"
        );
        for raw in ["Marche", "a--b", "-a", "a-", "a_b", "a b", "été", "a/b"] {
            assert!(Slug::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn slug_from_a_french_title_folds_accents_and_punctuation() {
        let slug = Slug::from_title("Fête de la Musique 2026 !");
        assert_eq!(slug.as_str(), "fete-de-la-musique-2026");
        assert_eq!(
            Slug::from_title("Œuvres & Cœurs").as_str(),
            "oeuvres-coeurs"
        );
        assert_eq!(
            Slug::from_title("  L'Été à Noël  ").as_str(),
            "l-ete-a-noel"
        );
        assert_eq!(Slug::from_title("!!!").as_str(), "item");
        assert_eq!(Slug::from_title("").as_str(), "item");
        let long = Slug::from_title(&"Très long ".repeat(40));
        assert!(long.as_str().len() <= 110 && Slug::parse(long.as_str()).is_ok());
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Jean.Dupont@Mairie-Exemple.FR ").unwrap();
        assert_eq!(email.as_str(), "jean.dupont@mairie-exemple.fr");
    }

    #[test]
    fn email_refuses_malformed_addresses() {
        assert_eq!(reason(Email::parse("jean.dupont")), "must contain one @");
        let long_local = format!("{}@exemple.fr", "a".repeat(65));
        for raw in [
            "jean@exemple",
            "@exemple.fr",
            "jean@.exemple.fr",
            "jean@exemple.fr.",
            "jean@exemple..fr",
            "jean dupont@exemple.fr",
            "jean@dupont@exemple.fr",
            "jean@exem_ple.fr",
            &long_local,
        ] {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn http_url_accepts_absolute_web_addresses() {
        let url = HttpUrl::parse(" https://www.exemple.fr/agenda?jour=14 ").unwrap();
        assert_eq!(url.as_str(), "https://www.exemple.fr/agenda?jour=14");
        assert_eq!(
            HttpUrl::parse("http://exemple.fr").unwrap().as_str(),
            "http://exemple.fr/"
        );
    }

    #[test]
    fn http_url_refuses_other_schemes_and_relative_urls() {
        for raw in [
            "ftp://exemple.fr/fichier",
            "javascript:alert(1)",
            "mailto:mairie@exemple.fr",
            "file:///etc/passwd",
            "data:text/html,<script>",
        ] {
            assert_eq!(
                reason(HttpUrl::parse(raw)),
                "must be an http or https URL",
                "{raw}"
            );
        }
        for raw in ["/agenda", "agenda.html", "www.exemple.fr", ""] {
            assert!(HttpUrl::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn phone_turns_french_numbers_into_e164() {
        for (raw, e164) in [
            ("01 23 45 67 89", "+33123456789"),
            ("06.12.34.56.78", "+33612345678"),
            ("05-56-00-00-00", "+33556000000"),
            ("+44 20 7946 0958", "+442079460958"),
            ("0044 20 7946 0958", "+442079460958"),
            ("3939", "3939"),
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), e164, "{raw}");
        }
    }

    #[test]
    fn phone_refuses_letters_and_wrong_lengths() {
        for raw in [
            "01 23 45 67 8A",
            "+33 1 AB CD EF GH",
            "mairie",
            "123",
            "01 23 45 67",
            "+33 1",
            "+1234567890123456",
            "",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn latitude_and_longitude_ranges() {
        for ok in [-90.0, 0.0, 48.8566, 90.0] {
            assert_eq!(GeoPoint::parse_latitude(ok), Ok(ok));
        }
        for ok in [-180.0, 2.3522, 180.0] {
            assert_eq!(GeoPoint::parse_longitude(ok), Ok(ok));
        }
        for bad in [
            -90.1,
            90.000_001,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(GeoPoint::parse_latitude(bad).is_err(), "{bad}");
        }
        for bad in [-180.1, 180.5, f64::NAN, f64::INFINITY] {
            assert!(GeoPoint::parse_longitude(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distance_between_paris_and_lyon() {
        let paris = GeoPoint {
            latitude: 48.8566,
            longitude: 2.3522,
        };
        let lyon = GeoPoint {
            latitude: 45.7640,
            longitude: 4.8357,
        };
        let km = paris.distance_km(&lyon);
        assert!((390.0..395.0).contains(&km), "{km}");
        assert!(paris.distance_km(&paris).abs() < 1e-9);
    }

    #[test]
    fn time_zone_accepts_iana_names_only() {
        assert_eq!(TimeZone::parse("Europe/Paris").unwrap(), TimeZone::paris());
        assert_eq!(
            TimeZone::parse("America/Cayenne").unwrap().name(),
            "America/Cayenne"
        );
        assert_eq!(TimeZone::default().name(), "Europe/Paris");
        for raw in ["Paris", "", "Europe/Pariss", "UTC+1"] {
            assert!(TimeZone::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn rna_is_w_and_nine_digits() {
        assert_eq!(Rna::parse("W751234567").unwrap().as_str(), "W751234567");
        assert_eq!(Rna::parse(" w751234567 ").unwrap().as_str(), "W751234567");
        for raw in [
            "W75123456",
            "W7512345678",
            "X751234567",
            "W75123456A",
            "751234567W",
            "",
        ] {
            assert_eq!(
                reason(Rna::parse(raw)),
                "must be W followed by 9 digits",
                "{raw}"
            );
        }
    }

    #[test]
    fn siret_accepts_real_numbers_with_or_without_spaces() {
        for raw in VALID_SIRETS.into_iter().chain(["73282932000074"]) {
            assert_eq!(Siret::parse(raw).unwrap().as_str(), raw);
        }
        assert_eq!(
            Siret::parse("443 061 841 00047").unwrap().as_str(),
            "44306184100047"
        );
    }

    #[test]
    fn siret_refuses_bad_lengths_letters_and_checksums() {
        for raw in ["4430618410004", "443061841000470", "4430618410004A", ""] {
            assert_eq!(reason(Siret::parse(raw)), "must be 14 digits", "{raw}");
        }
        assert_eq!(
            reason(Siret::parse("44306184100048")),
            "fails the Luhn checksum"
        );
    }

    #[test]
    fn required_and_optional_texts() {
        assert_eq!(required_text("  Mairie  ", 10), Ok("Mairie".to_owned()));
        assert_eq!(reason(required_text("   ", 10)), "must not be empty");
        assert_eq!(
            reason(required_text("Médiathèque", 5)),
            "must be at most 5 characters"
        );
        assert_eq!(required_text("éééé", 4), Ok("éééé".to_owned()));
        assert_eq!(optional_text(None, 5), Ok(None));
        assert_eq!(optional_text(Some("  "), 5), Ok(None));
        assert_eq!(optional_text(Some(" ok "), 5), Ok(Some("ok".to_owned())));
        assert!(optional_text(Some("trop long"), 5).is_err());
    }

    /// The 14th digit that makes `body` (13 ASCII digits) a valid SIRET, by trying all ten.
    fn check_digits(body: &str) -> Vec<char> {
        ('0'..='9')
            .filter(|d| Siret::parse(&format!("{body}{d}")).is_ok())
            .collect()
    }

    proptest! {
        #[test]
        fn thirteen_digits_have_exactly_one_siret_check_digit(body in "[0-9]{13}") {
            prop_assert_eq!(check_digits(&body).len(), 1);
        }

        #[test]
        fn changing_one_digit_of_a_valid_siret_breaks_it(
            body in "[0-9]{13}",
            position in 0..14usize,
            delta in 1..10u8,
        ) {
            let valid = format!("{body}{}", check_digits(&body)[0]);
            let mut digits = valid.into_bytes();
            digits[position] = b'0' + (digits[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert!(Siret::parse(&changed).is_err(), "{}", changed);
        }

        #[test]
        fn slug_from_any_title_is_a_valid_slug(title in "\\PC{0,200}") {
            let slug = Slug::from_title(&title);
            prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()));
        }

        #[test]
        fn parsers_never_panic(raw in "\\PC{0,40}") {
            let _ = Slug::parse(&raw);
            let _ = Email::parse(&raw);
            let _ = HttpUrl::parse(&raw);
            let _ = Phone::parse(&raw);
            let _ = TimeZone::parse(&raw);
            let _ = Rna::parse(&raw);
            let _ = Siret::parse(&raw);
        }

        #[test]
        fn email_normalization_is_idempotent(raw in "[ A-Za-z0-9.]{1,10}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,4} ?") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            }
        }
    }
}
