//! End-to-end tests: a real server on a random port, over SQLite and over PostgreSQL.

// The allocator of the `silo` binary: the server processes some tests start (this binary
// run again) then use memory as production does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod helpers;

mod agenda;
mod audit;
mod bad_input;
mod directory;
mod http;
mod meili_fake;
mod notifications;
mod opendata;
mod response_cache;
mod rights;
mod schema_sdl;
mod search;
mod storage;
mod webhook_receiver;
mod workflow;
mod ws_client;
