//! A distribution-spec registry client: references, credentials, the token flow with cached and
//! refreshed tokens, retries, streamed blob downloads that survive expiring redirect URLs,
//! resumable uploads, and the push, pull and copy of whole images.

pub mod auth;
mod base_images;
pub mod client;
pub mod copy;
pub mod download;
pub mod error;
pub mod facts;
pub mod fuzzing;
mod pool;
pub mod reference;
pub mod remote;
pub mod rules;
pub mod tls;
pub mod transfer;
pub mod upload;

pub use client::Client;
pub use error::Error;
pub use reference::Reference;

#[cfg(feature = "testing")]
pub mod testing;
