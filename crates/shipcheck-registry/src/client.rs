//! A distribution-spec client for reading: manifests, indexes and small blobs, with the bearer
//! token flow (tokens cached per scope until shortly before they expire), one re-authentication
//! on a 401, `Retry-After` on 429, and bounded exponential backoff with jitter on 5xx and
//! connection errors. Every response body is read with a cap, and every digest is checked.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::auth::{self, Challenge, Credential};
use crate::error::Error;
use crate::reference::Reference;

/// Manifests and indexes larger than this are refused (the image-spec recommends 4 MiB).
pub const MAX_MANIFEST: u64 = 4 << 20;
/// Config blobs read for their platform, at most.
pub const MAX_CONFIG: u64 = 8 << 20;
const RETRIES: u32 = 3;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

pub const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

struct Token {
    value: String,
    /// When to stop using it: a margin before the registry's expiry.
    refresh_at: Instant,
}

pub struct Client {
    agent: ureq::Agent,
    credentials: Mutex<HashMap<String, Option<Credential>>>,
    tokens: Mutex<HashMap<String, Token>>,
    /// How many tokens were fetched (tests check refreshes with it).
    pub tokens_fetched: std::sync::atomic::AtomicUsize,
}

impl Default for Client {
    fn default() -> Self {
        Client::new(Duration::from_secs(30))
    }
}

/// A fetched manifest or index.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub media_type: String,
    pub digest: String,
    pub bytes: Vec<u8>,
}

impl Client {
    pub fn new(timeout: Duration) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_redirects(5)
            .user_agent(concat!("shipcheck/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            credentials: Mutex::default(),
            tokens: Mutex::default(),
            tokens_fetched: Default::default(),
        }
    }

    fn credential(&self, registry: &str) -> Option<Credential> {
        let mut cache = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        cache.entry(registry.to_string()).or_insert_with(|| auth::lookup(registry)).clone()
    }

    /// Uses this credential for `registry` instead of looking one up.
    pub fn set_credential(&self, registry: &str, credential: Option<Credential>) {
        self.credentials.lock().unwrap_or_else(|e| e.into_inner()).insert(registry.to_string(), credential);
    }

    /// GETs `url` for `reference`'s repository, authenticating as the registry asks. Returns the
    /// response's content type and body, read up to `limit` bytes.
    pub fn get(&self, r: &Reference, url: &str, accept: &str, limit: u64) -> Result<(String, Vec<u8>), Error> {
        let scope = format!("repository:{}:pull", r.repository);
        let mut authorization = self.cached_token(&scope).map(|t| format!("Bearer {t}"));
        let mut reauthenticated = false;
        let mut attempt = 0;
        loop {
            let mut req = self.agent.get(url).header("Accept", accept);
            if let Some(a) = &authorization {
                req = req.header("Authorization", a);
            }
            let mut resp = match req.call() {
                Ok(resp) => resp,
                Err(e) if attempt < RETRIES && retryable(&e) => {
                    backoff(attempt);
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(Error::transport(url, &e)),
            };
            let status = resp.status().as_u16();
            match status {
                200..=299 => {
                    let ctype = header(&resp, "content-type").unwrap_or_default();
                    let body = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| match e {
                        ureq::Error::BodyExceedsLimit(_) => Error::too_large(url, limit),
                        e => Error::transport(url, &e),
                    })?;
                    return Ok((ctype, body));
                }
                401 if !reauthenticated => {
                    reauthenticated = true;
                    let challenge = header(&resp, "www-authenticate").and_then(|h| auth::parse_challenge(&h));
                    authorization = match challenge {
                        Some(Challenge::Bearer { realm, service, scope: asked }) => {
                            let scope = asked.unwrap_or(scope.clone());
                            Some(format!("Bearer {}", self.fetch_token(r, &realm, service.as_deref(), &scope)?))
                        }
                        Some(Challenge::Basic) => match self.credential(&r.registry) {
                            Some(c) => Some(c.basic_header()),
                            None => return Err(Error::from_response(url, status, &read_error_body(&mut resp))),
                        },
                        None => return Err(Error::from_response(url, status, &read_error_body(&mut resp))),
                    };
                }
                429 if attempt < RETRIES => {
                    let wait = header(&resp, "retry-after")
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map_or(Duration::from_secs(1), Duration::from_secs);
                    std::thread::sleep(wait.min(MAX_RETRY_AFTER));
                    attempt += 1;
                }
                500..=599 if attempt < RETRIES => {
                    backoff(attempt);
                    attempt += 1;
                }
                _ => return Err(Error::from_response(url, status, &read_error_body(&mut resp))),
            }
        }
    }

    fn cached_token(&self, scope: &str) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.get(scope).filter(|t| Instant::now() < t.refresh_at).map(|t| t.value.clone())
    }

    /// The token endpoint: GET realm?service=…&scope=…, with the credential as basic auth.
    fn fetch_token(&self, r: &Reference, realm: &str, service: Option<&str>, scope: &str) -> Result<String, Error> {
        let mut req = self.agent.get(realm).query("scope", scope);
        if let Some(s) = service {
            req = req.query("service", s);
        }
        if let Some(c) = self.credential(&r.registry) {
            req = req.header("Authorization", &c.basic_header());
        }
        let mut resp = req.call().map_err(|e| Error::transport(realm, &e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(Error::from_response(realm, status, &read_error_body(&mut resp)));
        }
        let body =
            resp.body_mut().with_config().limit(1 << 20).read_to_vec().map_err(|e| Error::transport(realm, &e))?;
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| Error::protocol(realm, "the token response is not JSON"))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| Error::protocol(realm, "the token response has no token"))?
            .to_string();
        // The distribution token spec: expires_in defaults to 60 s. Stop using a token when a
        // tenth of its life (at most 30 s) is left, so no request carries one that expires in flight.
        let life = Duration::from_secs(v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(60));
        let margin = (life / 10).min(Duration::from_secs(30));
        self.tokens_fetched.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(scope.to_string(), Token { value: token.clone(), refresh_at: Instant::now() + life - margin });
        Ok(token)
    }

    /// Fetches a manifest or index and checks its digest when the reference names one.
    pub fn manifest(&self, r: &Reference) -> Result<Manifest, Error> {
        self.manifest_at(r, r.reference())
    }

    pub fn manifest_at(&self, r: &Reference, reference: &str) -> Result<Manifest, Error> {
        let url = format!("{}/v2/{}/manifests/{reference}", r.base_url(), r.repository);
        let (ctype, bytes) = self.get(r, &url, MANIFEST_TYPES, MAX_MANIFEST)?;
        let digest = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
        if reference.starts_with("sha256:") && reference != digest {
            return Err(Error::digest_mismatch(&url, reference, &digest));
        }
        let declared = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(String::from));
        let media_type = declared.unwrap_or_else(|| ctype.split(';').next().unwrap_or("").trim().to_string());
        Ok(Manifest { media_type, digest, bytes })
    }

    /// Fetches a blob of at most `limit` bytes and checks its digest.
    pub fn blob(&self, r: &Reference, digest: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let url = format!("{}/v2/{}/blobs/{digest}", r.base_url(), r.repository);
        let (_, bytes) = self.get(r, &url, "*/*", limit)?;
        let got = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
        if digest.starts_with("sha256:") && got != digest {
            return Err(Error::digest_mismatch(&url, digest, &got));
        }
        Ok(bytes)
    }

    /// The platforms an image reference provides (`os/arch[/variant]`), attestations excluded.
    pub fn platforms(&self, r: &Reference) -> Result<Vec<String>, Error> {
        let m = self.manifest(r)?;
        let url = format!("{}/v2/{}/manifests/{}", r.base_url(), r.repository, r.reference());
        let v: serde_json::Value =
            serde_json::from_slice(&m.bytes).map_err(|_| Error::protocol(&url, "the manifest is not JSON"))?;
        if let Some(list) = v.get("manifests").and_then(|l| l.as_array()) {
            let mut out = Vec::new();
            for entry in list {
                let Some(p) = entry.get("platform") else { continue };
                let os = p.get("os").and_then(|x| x.as_str()).unwrap_or("");
                let arch = p.get("architecture").and_then(|x| x.as_str()).unwrap_or("");
                if os == "unknown" || arch == "unknown" || os.is_empty() || arch.is_empty() {
                    continue;
                }
                out.push(platform(os, arch, p.get("variant").and_then(|x| x.as_str())));
            }
            return Ok(out);
        }
        let config = v
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(|d| d.as_str())
            .ok_or_else(|| Error::protocol(&url, "neither an index nor an image manifest"))?;
        let bytes = self.blob(r, config, MAX_CONFIG)?;
        let c: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| Error::protocol(&url, "the image config is not JSON"))?;
        let os = c.get("os").and_then(|x| x.as_str()).unwrap_or("linux");
        let arch = c.get("architecture").and_then(|x| x.as_str()).unwrap_or("");
        Ok(vec![platform(os, arch, c.get("variant").and_then(|x| x.as_str()))])
    }
}

fn platform(os: &str, arch: &str, variant: Option<&str>) -> String {
    match variant.filter(|v| !v.is_empty()) {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    }
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from)
}

fn read_error_body(resp: &mut ureq::http::Response<ureq::Body>) -> Vec<u8> {
    resp.body_mut().with_config().limit(64 << 10).read_to_vec().unwrap_or_default()
}

fn retryable(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Timeout(_))
}

/// 200 ms, 400 ms, 800 ms, … with up to 50% jitter (from the clock: no RNG dependency).
fn backoff(attempt: u32) {
    let base = 200u64 << attempt.min(6);
    let jitter = u64::from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos(),
    ) % (base / 2 + 1);
    std::thread::sleep(Duration::from_millis(base + jitter));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
