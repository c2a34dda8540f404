//! A distribution-spec registry client (reading, for now): references, credentials, the token
//! flow with cached and refreshed tokens, retries, manifests and platforms.

pub mod auth;
pub mod client;
pub mod error;
pub mod reference;

pub use client::Client;
pub use error::Error;
pub use reference::Reference;

#[cfg(feature = "testing")]
pub mod testing;
