//! Entry point for the cargo-fuzz target `registry` (and the smoke test that runs it on
//! stable): everything a registry, a token server or a credentials file sends is parsed by
//! code reached from here. Arbitrary bytes must never panic, hang or allocate without bound.

use crate::transfer::{graph, Doc, Walk};

/// Bytes as a `WWW-Authenticate` challenge, a reference, an error body, a token response, an
/// upload `Range`, a credentials file, and a manifest graph whose children are slices of them.
pub fn responses(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::auth::parse_challenge(&text);
    let _ = crate::reference::Reference::parse(&text);
    let _ = crate::error::Error::from_response("http://r/v2/", 400, data);
    let _ = crate::upload::held_bytes(&text);
    let _ = crate::auth::from_config(&text, "registry.example", &|_, _| None);
    // The graph walk: the data is the top document, and every child fetch returns a part of it.
    let parts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let fetch = |digest: &str| -> Result<Option<Vec<u8>>, String> {
        let i = digest.bytes().map(usize::from).sum::<usize>() % parts.len().max(1);
        Ok(parts.get(i).map(|p| p.to_vec()))
    };
    for mode in [Walk::Strict, Walk::Lenient] {
        let _ = graph(Doc::new("application/vnd.oci.image.index.v1+json", data.to_vec()), mode, &fetch, &|m| m);
    }
}
