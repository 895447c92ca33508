//! Opaque Relay cursors: base64 of a position key. A cursor that does not decode is a
//! `BAD_USER_INPUT` on `after`, never a 500.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

fn encode(kind: &str, parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}|{}", parts.join("|")))
}

fn decode(kind: &str, cursor: &str) -> Option<Vec<String>> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let mut parts = raw.split('|');
    (parts.next()? == kind).then(|| parts.map(str::to_owned).collect())
}

fn invalid() -> async_graphql::Error {
    super::error::bad_input("after", "is not a cursor of this list")
}

/// A cursor over (instant, id) positions (agenda, news).
pub fn encode_instant(kind: &str, at: DateTime<Utc>, id: Uuid) -> String {
    encode(kind, &[&at.to_rfc3339(), &id.to_string()])
}

pub fn decode_instant(
    kind: &str,
    cursor: &str,
) -> Result<(DateTime<Utc>, Uuid), async_graphql::Error> {
    let parts = decode(kind, cursor).ok_or_else(invalid)?;
    let [at, id] = parts.as_slice() else {
        return Err(invalid());
    };
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| invalid())?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((at.with_timezone(&Utc), id))
}

/// A cursor over sequence numbers (the audit log).
pub fn encode_sequence(kind: &str, seq: i64) -> String {
    encode(kind, &[&seq.to_string()])
}

pub fn decode_sequence(kind: &str, cursor: &str) -> Result<i64, async_graphql::Error> {
    let parts = decode(kind, cursor).ok_or_else(invalid)?;
    match parts.as_slice() {
        [seq] => seq.parse().map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

/// A cursor over (name, id) positions (directories).
pub fn encode_name(kind: &str, name: &str, id: Uuid) -> String {
    encode(kind, &[&id.to_string(), name])
}

pub fn decode_name(kind: &str, cursor: &str) -> Result<(String, Uuid), async_graphql::Error> {
    let raw = decode(kind, cursor).ok_or_else(invalid)?;
    // The name may itself contain `|`: the id comes first and the rest is the name.
    let (id, name) = raw.split_first().ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((name.join("|"), id))
}

/// A Relay connection from a page fetched with one extra row (which tells there is a
/// next page).
pub fn connection<T, N: async_graphql::OutputType>(
    mut rows: Vec<T>,
    limit: usize,
    has_previous: bool,
    cursor: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> async_graphql::connection::Connection<String, N> {
    let has_next = rows.len() > limit;
    rows.truncate(limit);
    let mut page = async_graphql::connection::Connection::new(has_previous, has_next);
    page.edges.extend(
        rows.into_iter()
            .map(|row| async_graphql::connection::Edge::new(cursor(&row), node(row))),
    );
    page
}

/// A checked page request: how many items, after which position.
pub struct PageRequest<K> {
    pub limit: usize,
    pub after: Option<K>,
}

impl<K> PageRequest<K> {
    /// Checks `first` and decodes `after` with `decode`.
    pub fn parse(
        first: Option<i32>,
        after: Option<&str>,
        decode: impl Fn(&str) -> Result<K, async_graphql::Error>,
    ) -> Result<Self, async_graphql::Error> {
        Ok(Self {
            limit: silo_domain::query::page_size(first, "first").map_err(super::error::gql)?,
            after: after.map(decode).transpose()?,
        })
    }

    /// Prefetches what the page's items select, then builds the connection.
    pub async fn respond<T: super::loader::Related, N: async_graphql::OutputType>(
        &self,
        ctx: &async_graphql::Context<'_>,
        rows: Vec<T>,
        cursor: impl Fn(&T) -> String,
        node: impl Fn(T) -> N,
    ) -> Result<async_graphql::connection::Connection<String, N>, async_graphql::Error> {
        let selection = ctx.look_ahead().field("edges").field("node");
        let related = super::loader::Prefetch::of(rows.iter().take(self.limit), &selection);
        ctx.data_unchecked::<super::loader::Loaders>()
            .prefetch(related)
            .await?;
        Ok(connection(
            rows,
            self.limit,
            self.after.is_some(),
            cursor,
            node,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let id = Uuid::now_v7();
        let at = Utc::now();
        let c = encode_instant("occ", at, id);
        assert_eq!(decode_instant("occ", &c).unwrap(), (at, id));
        assert!(decode_instant("news", &c).is_err());
        assert!(decode_instant("occ", "not-a-cursor").is_err());
        let n = encode_name("asso", "A|B", id);
        assert_eq!(decode_name("asso", &n).unwrap(), ("A|B".to_owned(), id));
    }
}
