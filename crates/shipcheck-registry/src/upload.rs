//! Uploading blobs and manifests, each made safe to repeat.
//!
//! A blob the repository already has is skipped (HEAD). One another repository of the same
//! registry has is mounted (`POST …/uploads/?mount=D&from=R`). Otherwise it is uploaded in
//! one `PUT` when it fits in a chunk, or in `PATCH` chunks with `Content-Range`. When a chunk
//! fails (a connection reset, a 5xx, a registry restart), the upload asks the registry how much
//! it holds (`GET` on the upload URL: `Range: 0-N`) and resumes from there; when the registry
//! has lost the session, the blob starts over in a new one. Bytes are hashed as they are sent,
//! and the final `PUT ?digest=` is only sent when they match the digest: a source whose bytes
//! are not what its descriptor says is never committed.

use std::io::{self, Read};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::client::{header, hex, push_scope, read_error_body, Body, Client, Method, Req, Response};
use crate::download::resolve;
use crate::error::Error;
use crate::reference::{Reference, RegistryUrl};

/// Failed requests tolerated while uploading one blob before the push gives up on it.
const MAX_FAILURES: u32 = 8;

/// Opens the source of a blob at a byte offset.
pub type OpenAt<'a> = &'a (dyn Fn(u64) -> io::Result<Box<dyn Read + Send + 'a>> + Sync);

/// What happened to one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The repository had it already.
    Present,
    /// Mounted from another repository of the same registry.
    Mounted,
    /// Sent; `resumed` times from the offset the registry reported, `restarted` times from 0.
    Uploaded { resumed: u32, restarted: u32 },
}

/// An upload session that could not go on: why, and whether the registry still has it.
enum Broken {
    /// The session is gone or unusable: start a new one.
    Lost(Error),
    /// The registry holds this many bytes at this URL: resume there.
    At(u64, String, Error),
}

impl Client {
    /// The size of blob `digest` if the repository has it (HEAD), `None` if it does not.
    pub fn blob_size(&self, r: &Reference, digest: &str) -> Result<Option<u64>, Error> {
        let url = format!("{}/v2/{}/blobs/{digest}", r.base_url(), r.repository);
        let resp = self.send(&r.registry, &Req::new(Method::Head, &url, push_scope(r)))?;
        match resp.status().as_u16() {
            200 => Ok(Some(header(&resp, "content-length").and_then(|l| l.parse().ok()).unwrap_or(0))),
            404 => Ok(None),
            _ => self.expect(resp, &url, &[200]).map(|_| None),
        }
    }

    /// Makes sure the repository has blob `digest` of `size` bytes, from `open`, in chunks of
    /// `chunk` bytes (0: one request). `mount_from` names a repository of the same registry
    /// that may have it already.
    pub fn upload_blob(
        &self,
        r: &Reference,
        digest: &str,
        size: u64,
        open: OpenAt<'_>,
        mount_from: Option<&str>,
        chunk: u64,
    ) -> Result<Outcome, Error> {
        if self.blob_size(r, digest)?.is_some() {
            return Ok(Outcome::Present);
        }
        let scope = match mount_from {
            Some(from) => format!("{} repository:{from}:pull", push_scope(r)),
            None => push_scope(r),
        };
        let (mut resumed, mut restarted, mut failures) = (0, 0, 0);
        let mut mount = mount_from;
        'session: loop {
            let mut location = match self.start_upload(r, &scope, mount.map(|m| (digest, m)))? {
                None => return Ok(Outcome::Mounted),
                Some(l) => l,
            };
            // Try a mount once; if the registry started an upload instead, use it.
            mount = None;
            let mut hasher = Sha256::new();
            let mut committed = 0u64;
            loop {
                let step = if (chunk == 0 || size <= chunk) && committed == 0 {
                    // Small enough for one request: the whole blob in the final PUT.
                    self.put_whole(r, &scope, &location, digest, size, open, &hasher)
                } else if committed < size {
                    let end = (committed + chunk.max(1)).min(size);
                    self.patch(r, &scope, &location, committed, end, open, &hasher)
                } else {
                    self.finish(r, &scope, &location, digest, &hasher).map(|_| None)
                };
                match step {
                    Ok(None) => return Ok(Outcome::Uploaded { resumed, restarted }),
                    Ok(Some((next, h, end))) => {
                        location = next;
                        hasher = h;
                        committed = end;
                    }
                    Err(Broken::At(held, next, e)) => {
                        failures += 1;
                        if failures > MAX_FAILURES {
                            return Err(e);
                        }
                        if held < committed || held > size {
                            restarted += 1;
                            continue 'session;
                        }
                        // The registry may hold part of the failed chunk: hash what it holds.
                        hasher = extend(hasher, open, committed, held).map_err(|e| Error::io(&location, &e))?;
                        committed = held;
                        location = next;
                        resumed += 1;
                    }
                    Err(Broken::Lost(e)) => {
                        failures += 1;
                        if e.code.as_deref() == Some("DIGEST_INVALID") || failures > MAX_FAILURES {
                            return Err(e);
                        }
                        // The commit may have landed before the connection broke.
                        if let Ok(Some(s)) = self.blob_size(r, digest) {
                            if s == size {
                                return Ok(Outcome::Uploaded { resumed, restarted });
                            }
                        }
                        restarted += 1;
                        continue 'session;
                    }
                }
            }
        }
    }

    /// POST …/blobs/uploads/ (with a mount). `None` when the blob was mounted.
    fn start_upload(&self, r: &Reference, scope: &str, mount: Option<(&str, &str)>) -> Result<Option<String>, Error> {
        let mut url = format!("{}/v2/{}/blobs/uploads/", r.base_url(), r.repository);
        if let Some((digest, from)) = mount {
            url.push_str(&format!("?mount={digest}&from={from}"));
        }
        let mut req = Req::new(Method::Post, &url, scope);
        // Starting a session has no effect a retry could repeat harmfully: an unused one expires.
        req.idempotent = true;
        let resp = self.send(&r.registry, &req)?;
        match resp.status().as_u16() {
            201 if mount.is_some() => Ok(None),
            202 => Ok(Some(location(&resp, &url)?)),
            _ => {
                Err(self.expect(resp, &url, &[202]).err().unwrap_or_else(|| Error::protocol(&url, "unexpected status")))
            }
        }
    }

    /// PATCHes bytes [from, to) of the source. Returns the next upload URL and the hash so far.
    #[allow(clippy::too_many_arguments)]
    fn patch(
        &self,
        r: &Reference,
        scope: &str,
        location: &str,
        from: u64,
        to: u64,
        open: OpenAt<'_>,
        hasher: &Sha256,
    ) -> Result<Option<(String, Sha256, u64)>, Broken> {
        let range = HashedRange::new(open, from, to - from, hasher);
        let open_chunk = || range.open();
        let mut req = Req::new(Method::Patch, location, scope)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", format!("{from}-{}", to - 1))
            .body(Body::Stream { open: &open_chunk, len: to - from });
        req.transfer = true;
        match self.send(&r.registry, &req) {
            Ok(resp) if resp.status().as_u16() == 202 => {
                let next = location_of(&resp, location).map_err(Broken::Lost)?;
                Ok(Some((next, range.hash(), to)))
            }
            Ok(mut resp) => {
                let e = self.refused(location, &mut resp);
                Err(self.status(r, scope, location, e))
            }
            Err(e) => Err(self.status(r, scope, location, e)),
        }
    }

    /// The final PUT with the whole blob as its body (blobs that fit in one chunk).
    #[allow(clippy::too_many_arguments)]
    fn put_whole(
        &self,
        r: &Reference,
        scope: &str,
        location: &str,
        digest: &str,
        size: u64,
        open: OpenAt<'_>,
        hasher: &Sha256,
    ) -> Result<Option<(String, Sha256, u64)>, Broken> {
        let range = HashedRange::new(open, 0, size, hasher);
        let open_all = || range.open();
        let url = with_digest(location, digest);
        let mut req = Req::new(Method::Put, &url, scope)
            .header("Content-Type", "application/octet-stream")
            .body(Body::Stream { open: &open_all, len: size });
        // A failed PUT is not simply repeated: the upload URL's state has moved on.
        req.idempotent = false;
        req.transfer = true;
        let result = self.send(&r.registry, &req);
        let got = format!("sha256:{}", hex(&range.hash().finalize()));
        match result {
            Ok(resp) if matches!(resp.status().as_u16(), 201 | 204) => Ok(None),
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let body = read_error_body(&mut resp);
                if got != digest && digest.starts_with("sha256:") {
                    return Err(Broken::Lost(source_mismatch(location, digest, &got)));
                }
                Err(Broken::Lost(self.scrub(Error::from_response(location, status, &body))))
            }
            Err(e) => Err(Broken::Lost(e)),
        }
    }

    /// The final PUT ?digest= after the chunks, once the bytes sent are known to match.
    fn finish(&self, r: &Reference, scope: &str, location: &str, digest: &str, hasher: &Sha256) -> Result<(), Broken> {
        let got = format!("sha256:{}", hex(&hasher.clone().finalize()));
        if digest.starts_with("sha256:") && got != digest {
            // Cancel the session: nothing of these bytes is committed.
            let _ = self.send(&r.registry, &Req::new(Method::Delete, location, scope));
            return Err(Broken::Lost(source_mismatch(location, digest, &got)));
        }
        let url = with_digest(location, digest);
        let mut req = Req::new(Method::Put, &url, scope);
        req.idempotent = false;
        match self.send(&r.registry, &req) {
            Ok(resp) if matches!(resp.status().as_u16(), 201 | 204) => Ok(()),
            Ok(mut resp) => {
                let e = self.refused(location, &mut resp);
                Err(self.status(r, scope, location, e))
            }
            Err(e) => Err(self.status(r, scope, location, e)),
        }
    }

    /// After a failure: how much of the upload the registry holds (`Range: 0-N`), or that the
    /// session is gone.
    fn status(&self, r: &Reference, scope: &str, location: &str, cause: Error) -> Broken {
        if cause.code.as_deref() == Some("DIGEST_INVALID") {
            return Broken::Lost(cause);
        }
        let resp = match self.send(&r.registry, &Req::new(Method::Get, location, scope)) {
            Ok(resp) => resp,
            Err(_) => return Broken::Lost(cause),
        };
        if resp.status().as_u16() != 204 {
            return Broken::Lost(cause);
        }
        let held = header(&resp, "range").map_or(0, |r| held_bytes(&r));
        match location_of(&resp, location) {
            Ok(next) => Broken::At(held, next, cause),
            Err(_) => Broken::Lost(cause),
        }
    }

    /// PUTs a manifest or index under `reference` (a tag or its digest).
    pub fn put_manifest(&self, r: &Reference, reference: &str, media_type: &str, bytes: &[u8]) -> Result<(), Error> {
        let url = format!("{}/v2/{}/manifests/{reference}", r.base_url(), r.repository);
        let req =
            Req::new(Method::Put, &url, push_scope(r)).header("Content-Type", media_type).body(Body::Bytes(bytes));
        let resp = self.expect(self.send(&r.registry, &req)?, &url, &[200, 201, 202, 204])?;
        let digest = crate::client::sha256_digest(bytes);
        if let Some(said) = header(&resp, "docker-content-digest") {
            if said.starts_with("sha256:") && said != digest {
                return Err(Error::digest_mismatch(&url, &digest, &said));
            }
        }
        Ok(())
    }
}

/// Bytes [from, from + len) of a source as a request body, hashed on top of `start` as they
/// are sent. Every attempt (a request sent again) starts over from `start`.
struct HashedRange<'o, 's> {
    open: OpenAt<'o>,
    from: u64,
    len: u64,
    start: &'s Sha256,
    hashed: Mutex<Sha256>,
}

impl<'o, 's> HashedRange<'o, 's> {
    fn new(open: OpenAt<'o>, from: u64, len: u64, start: &'s Sha256) -> Self {
        HashedRange { open, from, len, start, hashed: Mutex::new(start.clone()) }
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        *self.hashed.lock().unwrap_or_else(|e| e.into_inner()) = self.start.clone();
        Ok(Box::new(HashingReader { inner: (self.open)(self.from)?.take(self.len), hasher: &self.hashed }))
    }

    /// The hash of `start` and the bytes the last attempt sent.
    fn hash(self) -> Sha256 {
        self.hashed.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// Hashes what is read through it into a shared hasher.
struct HashingReader<'h, R> {
    inner: R,
    hasher: &'h Mutex<Sha256>,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.lock().unwrap_or_else(|e| e.into_inner()).update(&buf[..n]);
        Ok(n)
    }
}

/// The hash of [0, to) from the hash of [0, from) and the source's bytes in between.
fn extend(mut hasher: Sha256, open: OpenAt<'_>, from: u64, to: u64) -> io::Result<Sha256> {
    if to > from {
        let mut reader = open(from)?.take(to - from);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(hasher)
}

/// Bytes an upload holds, from its `Range: 0-N` (or `bytes=0-N`) header. `0-0` is what
/// distribution reports for an empty upload as well as for one byte: taken as empty, so the
/// worst case is one byte sent again and refused, and the blob started over.
pub fn held_bytes(range: &str) -> u64 {
    let range = range.trim();
    let range = range.strip_prefix("bytes=").unwrap_or(range);
    match range.split_once('-').and_then(|(_, end)| end.trim().parse::<u64>().ok()) {
        Some(0) | None => 0,
        Some(end) => end.saturating_add(1),
    }
}

fn with_digest(location: &str, digest: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={digest}")
}

fn location(resp: &Response, url: &str) -> Result<String, Error> {
    header(resp, "location")
        .map(|l| resolve(url, &l))
        .ok_or_else(|| Error::protocol(url, "the registry started an upload without a Location"))
}

fn location_of(resp: &Response, current: &str) -> Result<String, Error> {
    // A registry that sends no new Location keeps the old one valid.
    Ok(header(resp, "location").map(|l| resolve(current, &l)).unwrap_or_else(|| current.to_string()))
}

fn source_mismatch(url: &str, digest: &str, got: &str) -> Error {
    let mut e = Error::digest_mismatch(url, digest, got);
    e.message =
        format!("the source's bytes for this blob hash to {got}, not {digest}: the upload was cancelled and nothing was committed");
    e
}
