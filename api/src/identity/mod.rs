//! Who is calling: passwords, access tokens (JWT) and refresh tokens, site keys, and the
//! sign-in, refresh and sign-out flows built on them.

pub mod jwt;
pub mod password;
pub mod principal;
mod sealing;
pub mod secret;
pub mod sessions;

pub use jwt::Keyring;
pub use principal::Caller;
pub use sessions::{Identity, Session};
