//! Places shared by events, public services and associations.

use crate::error::{DomainError, Violations};
use crate::field::{GeoPoint, optional_text, required_text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A named location with a postal address and, when known, coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub id: Uuid,
    pub name: String,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Optimistic lock: incremented by every save.
    pub version: i32,
}

impl Place {
    pub fn geo(&self) -> Option<GeoPoint> {
        Some(GeoPoint {
            latitude: self.latitude?,
            longitude: self.longitude?,
        })
    }
}

/// What a caller sends to create a place.
#[derive(Debug, Clone, Default)]
pub struct PlaceInput {
    pub name: String,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl PlaceInput {
    /// Checks every field; `path` prefixes the field paths (`place`, `event.place`).
    pub fn validate(self, id: Uuid, path: &str) -> Result<Place, DomainError> {
        let mut v = Violations::new();
        let field = |name: &str| format!("{path}.{name}");
        let name = v.check(&field("name"), required_text(&self.name, 200));
        let street = v.check(
            &field("streetAddress"),
            optional_text(self.street_address.as_deref(), 300),
        );
        let postal_code = v.check(
            &field("postalCode"),
            match self.postal_code.as_deref().map(str::trim) {
                Some(code) if !(code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit())) => {
                    Err(crate::error::Invalid::new(
                        "must be a 5-digit French postal code",
                    ))
                }
                other => Ok(other.map(str::to_owned)),
            },
        );
        let city = v.check(&field("city"), required_text(&self.city, 200));
        let latitude = v.check_opt(&field("latitude"), self.latitude, GeoPoint::parse_latitude);
        let longitude = v.check_opt(
            &field("longitude"),
            self.longitude,
            GeoPoint::parse_longitude,
        );
        if self.latitude.is_some() != self.longitude.is_some() {
            v.push(&field("longitude"), "latitude and longitude go together");
        }
        v.finish()?;
        Ok(Place {
            id,
            name: name.expect("checked"),
            street_address: street.flatten(),
            postal_code: postal_code.flatten(),
            city: city.expect("checked"),
            latitude,
            longitude,
            version: 1,
        })
    }
}
