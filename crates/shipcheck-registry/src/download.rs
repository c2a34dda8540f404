//! Reading blobs as streams. Registries often answer a blob GET with a redirect to storage (S3,
//! GCS, Azure, a CDN) whose URL is signed and expires. The redirect is followed here rather
//! than by the HTTP library, so that the registry's token is never sent to storage, and so that
//! a signed URL that has expired (403, or 400/401 from some stores) is requested anew from the
//! registry instead of failing the pull. A stream that breaks mid-blob is reopened at the offset
//! reached, with a `Range` request. A blob that arrives slower than the client's minimum rate
//! is abandoned (see `Limits`): a registry that trickles it byte by byte cannot hold a pull.

use std::io::{self, Read};
use std::sync::atomic::Ordering;

use crate::client::{header, pull_scope, read_error_body, Client, Method, Pace, Req};
use crate::error::Error;
use crate::reference::{Reference, RegistryUrl};

/// Times an expired redirect URL is renewed, and a broken stream reopened, per blob.
const RENEWALS: u32 = 3;

impl Client {
    /// Opens blob `digest` of `r`'s repository for reading from byte `offset`.
    pub fn blob_reader<'c>(&'c self, r: &Reference, digest: &str, offset: u64) -> Result<BlobReader<'c>, Error> {
        let inner = self.open_blob(r, digest, offset)?;
        let pace = Pace::new(self.limits());
        Ok(BlobReader {
            client: self,
            reference: r.clone(),
            digest: digest.to_string(),
            offset,
            inner,
            reopened: 0,
            pace,
        })
    }

    fn open_blob(&self, r: &Reference, digest: &str, offset: u64) -> Result<Box<dyn Read + Send>, Error> {
        let url = format!("{}/v2/{}/blobs/{digest}", r.base_url(), r.repository);
        let mut renewed = 0;
        loop {
            let mut req = Req::new(Method::Get, &url, pull_scope(r));
            req.follow_redirects = false;
            req.transfer = true;
            if offset > 0 {
                req = req.header("Range", format!("bytes={offset}-"));
            }
            let resp = self.send(&r.registry, &req)?;
            let status = resp.status().as_u16();
            let (resp, at) = match status {
                301 | 302 | 303 | 307 | 308 => {
                    let location = header(&resp, "location")
                        .ok_or_else(|| Error::protocol(&url, "the registry redirected without a Location"))?;
                    let target = resolve(&self.effective_url(&url), &location);
                    // Storage gets no Authorization header: the URL carries its own signature.
                    let mut get = self.transfer_agent().get(&target);
                    if let Some(tls) = self.tls_for(&target)? {
                        get = get.config().tls_config(tls).build();
                    }
                    if let Some(left) = self.remaining() {
                        get = get.config().timeout_global(Some(left.max(std::time::Duration::from_millis(1)))).build();
                    }
                    if offset > 0 {
                        get = get.header("Range", format!("bytes={offset}-"));
                    }
                    let mut stored = get.call().map_err(|e| Error::transport(&target, &e))?;
                    let code = stored.status().as_u16();
                    if matches!(code, 400 | 401 | 403) && renewed < RENEWALS {
                        // An expired signed URL: ask the registry for a fresh one.
                        let _ = read_error_body(&mut stored);
                        renewed += 1;
                        self.stats.redirects_renewed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    (self.expect(stored, &target, &[200, 206])?, target)
                }
                _ => (self.expect(resp, &url, &[200, 206])?, url.clone()),
            };
            let partial = resp.status().as_u16() == 206;
            let mut body: Box<dyn Read + Send> = Box::new(resp.into_body().into_reader());
            if offset > 0 && !partial {
                // The server ignored the Range: skip what was already read.
                io::copy(&mut (&mut body).take(offset), &mut io::sink()).map_err(|e| Error::io(&at, &e))?;
            }
            return Ok(body);
        }
    }
}

/// A blob stream that reopens itself where it broke off.
pub struct BlobReader<'c> {
    client: &'c Client,
    reference: Reference,
    digest: String,
    offset: u64,
    inner: Box<dyn Read + Send>,
    reopened: u32,
    pace: Pace,
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.offset += n as u64;
                    self.client.stats.bytes_received.fetch_add(n as u64, Ordering::Relaxed);
                    // Too slow is final: reopening would only restart the registry's trickle.
                    self.pace.tick(n)?;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if self.reopened < RENEWALS => {
                    self.reopened += 1;
                    self.client.stats.retries.fetch_add(1, Ordering::Relaxed);
                    self.inner = self
                        .client
                        .open_blob(&self.reference, &self.digest, self.offset)
                        .map_err(|again| io::Error::other(format!("{e}; reopening failed: {again}")))?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Resolves a Location header against the URL that sent it.
pub(crate) fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let host = rest.split('/').next().unwrap_or(rest);
    if location.starts_with('/') {
        format!("{scheme}://{host}{location}")
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
        format!("{dir}/{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn locations() {
        let base = "http://127.0.0.1:5000/v2/a/blobs/uploads/";
        assert_eq!(
            resolve(base, "/v2/a/blobs/uploads/x?_state=1"),
            "http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=1"
        );
        assert_eq!(resolve(base, "https://s3.example/b?sig=1"), "https://s3.example/b?sig=1");
        assert_eq!(resolve("http://h/v2/a/blobs/d", "x"), "http://h/v2/a/blobs/x");
    }
}
