//! `schema.graphql` must be what the code prints.

#[test]
fn schema_graphql_is_current() {
    let printed = silo_api::graphql::sdl_offline();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &printed).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == printed,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test --test api schema_sdl` (or `cargo run -p silo-api -- schema > schema.graphql`)"
    );
}
