//! The transport under every registry operation: one [`Client::send`] that authenticates as the
//! registry asks and retries what is safe to retry.
//!
//! - **Auth.** Anonymous, basic, and the bearer-token flow. A token is cached per registry and
//!   scope and dropped shortly before it expires (see [`Token`]), so a long push asks for a new
//!   one between requests instead of sending one that has aged out. A 401 on a request that
//!   carried a token (revoked, or expired early) re-runs the challenge, fetches a new token and
//!   retries that one request; the operation around it goes on.
//! - **Retries.** A 429 waits for `Retry-After`; 5xx responses and connection failures back off
//!   exponentially with jitter, a bounded number of times. Only requests the caller marks
//!   idempotent are retried; uploads make themselves idempotent (see `upload.rs`).
//! - **Bodies** are streamed from a reopenable source, so a retried request sends them again
//!   from the start; large ones go with `Expect: 100-continue`, so a refused request costs no
//!   upload.
//! - **Credentials** (basic, or a bearer token) go only to the origin of the registry that
//!   challenged for them, and basic ones to the token realm it named. An upload `Location` or a
//!   blob redirect on another origin gets none (ureq drops `Authorization` on redirects).
//! - **TLS** (`tls.rs`): the system trust store, `--cert-dir` and `certs.d`, per host and port.
//!   A loopback registry is spoken to over plain HTTP, unless it answers that it speaks TLS
//!   (Go's and nginx's "HTTP request to an HTTPS server"); then over HTTPS, verified. Any other
//!   registry only over HTTPS, unless `--tls-verify=false` was given and it has no TLS.
//! - **Limits** ([`Limits`]): a blob transfer slower than a minimum rate is aborted, and the
//!   whole operation has a deadline, so a registry that trickles bytes cannot hold it forever.
//! - **Errors** carry nothing secret: registry text goes through `error::shown`, and
//!   [`Client::scrub`] masks the literal credentials and tokens this client holds.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::auth::{self, Challenge, Credential};
use crate::error::Error;
use crate::reference::{self, Reference, RegistryUrl};
use crate::tls::{self, TlsOptions, Trust};

/// Manifests and indexes larger than this are refused (the image-spec recommends 4 MiB).
pub const MAX_MANIFEST: u64 = 4 << 20;
/// Config blobs read for their platform, at most.
pub const MAX_CONFIG: u64 = 8 << 20;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Bodies at least this large are sent with `Expect: 100-continue`.
const EXPECT_CONTINUE: u64 = 1 << 20;

pub const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

pub type Response = ureq::http::Response<ureq::Body>;

/// A bearer token and when to stop using it.
struct Token {
    value: String,
    /// A margin before the registry's expiry: a tenth of the token's life, at most 30 s, counted
    /// from before the token was requested. A request is authorized when it starts, so a token
    /// still this fresh when a request starts is valid for it.
    refresh_at: Instant,
}

/// What the client did, for reports and for tests that check refreshes and retries.
#[derive(Default, Debug)]
pub struct Stats {
    /// Bearer tokens fetched from token endpoints.
    pub tokens_fetched: AtomicUsize,
    /// 401s on requests that carried credentials, answered by authenticating again.
    pub reauthentications: AtomicUsize,
    /// Requests sent again after a 429, a 5xx or a connection failure.
    pub retries: AtomicUsize,
    /// Expired redirect URLs (403 from blob storage) requested anew from the registry.
    pub redirects_renewed: AtomicUsize,
    /// Body bytes sent and received (blobs, chunks and manifests); shared with progress bars.
    pub bytes_sent: Arc<AtomicU64>,
    pub bytes_received: Arc<AtomicU64>,
}

/// Retry limits. The defaults suit real registries; tests shorten the waits.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub attempts: u32,
    /// The first backoff; it doubles each time, plus up to 50% jitter.
    pub base: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 4, base: Duration::from_millis(200) }
    }
}

/// Bounds on registry I/O. The defaults let a slow link finish and stop a registry that stalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A blob transfer (download or upload) that moves fewer than `min_bytes` in any `window`
    /// is aborted. Default: 30 KiB in 30 s (1 KiB/s on average). 0 turns the check off.
    pub min_bytes: u64,
    pub window: Duration,
    /// The whole operation (one push, copy or remote verification: one `Client`) ends with an
    /// error this long after the client was made or its limits set. Default: 2 hours.
    pub deadline: Option<Duration>,
    /// A single read or write that waits longer than this (a registry that sends nothing at
    /// all) fails the request. Default: 120 s.
    pub stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            min_bytes: 30 << 10,
            window: Duration::from_secs(30),
            deadline: Some(Duration::from_secs(2 * 3600)),
            stall: Duration::from_secs(120),
        }
    }
}

/// The rate check of one transfer: bytes counted per chunk read, the clock read once per chunk
/// (a vDSO call, no syscall), judged at the end of each window.
pub(crate) struct Pace {
    min_bytes: u64,
    window: Duration,
    started: Instant,
    bytes: u64,
}

impl Pace {
    pub(crate) fn new(limits: &Limits) -> Pace {
        Pace { min_bytes: limits.min_bytes, window: limits.window, started: Instant::now(), bytes: 0 }
    }

    /// Counts `n` more bytes; an error when the window that just ended moved too few.
    pub(crate) fn tick(&mut self, n: usize) -> std::io::Result<()> {
        self.bytes += n as u64;
        if self.min_bytes == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.started);
        if elapsed < self.window {
            return Ok(());
        }
        if self.bytes < self.min_bytes {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "too slow: {} bytes in {:.0} s, under the minimum of {} bytes per {} s (--min-rate, --rate-window)",
                    self.bytes,
                    elapsed.as_secs_f64(),
                    self.min_bytes,
                    self.window.as_secs()
                ),
            ));
        }
        self.started = now;
        self.bytes = 0;
        Ok(())
    }
}

pub struct Client {
    agent: ureq::Agent,
    /// For transfers that may take long: no overall deadline, but one on every read and write.
    transfer_agent: ureq::Agent,
    credentials: Mutex<HashMap<String, Option<Credential>>>,
    /// An auth.json / config.json to read before the usual places (`--authfile`).
    authfile: Mutex<Option<std::path::PathBuf>>,
    tokens: Mutex<HashMap<String, Token>>,
    /// Registries that answered with a Basic challenge: credentials go with every request.
    basic: Mutex<HashSet<String>>,
    /// The token endpoint (realm, service) each bearer registry named, so a token that is due
    /// for renewal is renewed before the next request rather than after a 401.
    realms: Mutex<HashMap<String, (String, Option<String>)>>,
    pub retry: RetryPolicy,
    pub stats: Stats,
    limits: Limits,
    /// The overall timeout of a small request (manifests, configs, tokens).
    small_timeout: Duration,
    /// When the operation must be over (see [`Limits::deadline`]).
    deadline_at: Option<Instant>,
    /// Every token fetched, kept to mask them in errors even after they are dropped.
    issued: Mutex<Vec<String>>,
    /// Roots, client certificates and verification (see `tls.rs`).
    trust: Trust,
    /// Loopback `host:port`s that answered plain HTTP saying they speak TLS: HTTPS from then on.
    tls_hosts: Mutex<HashSet<String>>,
    /// `host:port`s without TLS, spoken to over plain HTTP (only with `--tls-verify=false`).
    plain_hosts: Mutex<HashSet<String>>,
}

impl Default for Client {
    fn default() -> Self {
        Client::new(Duration::from_secs(30))
    }
}

/// HTTP methods the distribution spec uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

/// Opens a request body from its start. Called again for every attempt.
pub type Open<'a> = &'a (dyn Fn() -> std::io::Result<Box<dyn Read + Send + 'a>> + Sync);

pub enum Body<'a> {
    Empty,
    Bytes(&'a [u8]),
    Stream { open: Open<'a>, len: u64 },
}

/// One request: where, with which scope, and whether it may be sent again as it is.
pub struct Req<'a> {
    pub method: Method,
    pub url: String,
    /// The token scope (`repository:NAME:pull,push`), also used to find cached tokens.
    pub scope: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body<'a>,
    /// Let ureq follow redirects. Blob downloads handle them themselves, so that an expired
    /// redirect URL can be requested anew and the registry's token is never sent to storage.
    pub follow_redirects: bool,
    /// Safe to send again after a 5xx, a 429 or a connection failure.
    pub idempotent: bool,
    /// No overall deadline (uploads and downloads of blobs), only one per read and write.
    pub transfer: bool,
}

impl<'a> Req<'a> {
    pub fn new(method: Method, url: impl Into<String>, scope: impl Into<String>) -> Req<'a> {
        let idempotent = matches!(method, Method::Get | Method::Head | Method::Put | Method::Delete);
        Req {
            method,
            url: url.into(),
            scope: scope.into(),
            headers: Vec::new(),
            body: Body::Empty,
            follow_redirects: true,
            idempotent,
            transfer: false,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: Body<'a>) -> Self {
        self.body = body;
        self
    }
}

/// A fetched manifest or index.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub media_type: String,
    pub digest: String,
    pub bytes: Vec<u8>,
}

/// The pull scope of a reference's repository.
pub fn pull_scope(r: &Reference) -> String {
    format!("repository:{}:pull", r.repository)
}

/// The push scope (pull too: a push starts by asking what the registry has).
pub fn push_scope(r: &Reference) -> String {
    format!("repository:{}:pull,push", r.repository)
}

impl Client {
    /// A client whose small requests (manifests, configs, tokens) each finish within `timeout`.
    pub fn new(timeout: Duration) -> Client {
        Client::with_limits(timeout, Limits::default())
    }

    /// [`Client::new`] with these transfer limits; the deadline counts from now.
    pub fn with_limits(timeout: Duration, limits: Limits) -> Client {
        let base = || {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(5)
                // Said explicitly: no Authorization header survives a redirect.
                .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_await_100(Some(Duration::from_secs(1)))
                .user_agent(concat!("shipcheck/", env!("CARGO_PKG_VERSION")))
        };
        let agent = ureq::Agent::new_with_config(base().timeout_global(Some(timeout)).build());
        let transfer_agent = ureq::Agent::new_with_config(
            base().timeout_per_read(Some(limits.stall)).timeout_per_write(Some(limits.stall)).build(),
        );
        Client {
            agent,
            transfer_agent,
            credentials: Mutex::default(),
            authfile: Mutex::default(),
            tokens: Mutex::default(),
            basic: Mutex::default(),
            realms: Mutex::default(),
            retry: RetryPolicy::default(),
            stats: Stats::default(),
            limits,
            small_timeout: timeout,
            deadline_at: limits.deadline.map(|d| Instant::now() + d),
            issued: Mutex::default(),
            trust: Trust::new(TlsOptions::default()),
            tls_hosts: Mutex::default(),
            plain_hosts: Mutex::default(),
        }
    }

    /// This client with these TLS settings (`--tls-verify`, `--cert-dir`, certs.d places).
    pub fn with_tls(mut self, options: TlsOptions) -> Client {
        self.trust = Trust::new(options);
        self
    }

    pub fn tls_options(&self) -> &TlsOptions {
        self.trust.options()
    }

    /// `url` with the scheme this client speaks to its host: HTTPS for a loopback registry
    /// that said it speaks TLS, plain HTTP for one without TLS under `--tls-verify=false`.
    pub fn effective_url(&self, url: &str) -> String {
        let host = tls::authority(url);
        if let Some(rest) = url.strip_prefix("http://") {
            if self.tls_hosts.lock().unwrap_or_else(|e| e.into_inner()).contains(&host) {
                return format!("https://{rest}");
            }
        } else if let Some(rest) = url.strip_prefix("https://") {
            if self.plain_hosts.lock().unwrap_or_else(|e| e.into_inner()).contains(&host) {
                return format!("http://{rest}");
            }
        }
        url.to_string()
    }

    /// The base URL of `registry` as this client speaks to it.
    pub fn base_url(&self, registry: &str) -> String {
        self.effective_url(&reference::base_url(registry))
    }

    /// The TLS configuration for `url` (`None` for plain HTTP), or the error of an unusable
    /// certificate file.
    pub(crate) fn tls_for(&self, url: &str) -> Result<Option<ureq::tls::TlsConfig>, Error> {
        if !url.starts_with("https://") {
            return Ok(None);
        }
        self.trust.config(&tls::authority(url)).map(Some).map_err(|e| Error::protocol(url, &e))
    }

    /// Whether a loopback registry spoken to over plain HTTP answered as a TLS server does: a
    /// bare 400 (no Content-Type), and `GET /v2/` over HTTP says so in its body (Go: "Client
    /// sent an HTTP request to an HTTPS server.", nginx: "The plain HTTP request was sent to
    /// HTTPS port"). Then its host is marked for HTTPS and `Err` is returned; otherwise the
    /// response, untouched.
    fn speaks_tls(&self, url: &str, resp: Response) -> Result<Response, ()> {
        let host = tls::authority(url);
        let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        if resp.status().as_u16() != 400
            || resp.headers().contains_key("content-type")
            || !url.starts_with("http://")
            || !reference::is_loopback(bare)
        {
            return Ok(resp);
        }
        let probe = self.agent.get(&format!("http://{host}/v2/")).call();
        let said = probe.ok().map(|mut p| read_error_body(&mut p)).unwrap_or_default();
        let text = String::from_utf8_lossy(&said);
        if text.contains("HTTP request to an HTTPS server")
            || text.contains("plain HTTP request was sent to HTTPS port")
        {
            self.tls_hosts.lock().unwrap_or_else(|e| e.into_inner()).insert(host);
            return Err(());
        }
        Ok(resp)
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Time left before the deadline; `None` when there is none.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline_at.map(|at| at.saturating_duration_since(Instant::now()))
    }

    fn deadline_error(&self, url: &str) -> Error {
        let secs = self.limits.deadline.unwrap_or_default().as_secs();
        Error::protocol(url, &format!("the operation's deadline of {secs} s passed (--timeout)"))
    }

    /// The literal secrets this client holds: passwords (4 characters or more: a shorter one
    /// would mask ordinary words), their basic-auth encodings, and every token fetched.
    fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.credentials.lock().unwrap_or_else(|e| e.into_inner()).values().flatten() {
            if c.secret.chars().count() >= 4 {
                out.push(c.secret.clone());
            }
            out.push(c.basic_header().trim_start_matches("Basic ").to_string());
        }
        out.extend(self.issued.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned());
        // Longest first, so a secret that contains another is masked whole.
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out
    }

    /// `e` with every credential and token this client holds masked, wherever the registry
    /// echoed it (a message, a URL it named). Every error that leaves an operation goes through it.
    pub fn scrub(&self, e: Error) -> Error {
        e.masked(&self.secrets())
    }

    /// `text` with every credential and token this client holds masked.
    pub fn scrub_text(&self, text: &str) -> String {
        crate::error::mask(text, &self.secrets())
    }

    pub(crate) fn transfer_agent(&self) -> &ureq::Agent {
        &self.transfer_agent
    }

    /// The credential for the repository `scope` names first in `registry`: one set for the
    /// registry ([`Client::set_credential`]), else the one looked up for that repository.
    fn credential(&self, registry: &str, scope: &str) -> Option<Credential> {
        let mut cache = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = cache.get(registry) {
            return set.clone();
        }
        let repository = scope
            .split(' ')
            .find_map(|s| s.strip_prefix("repository:"))
            .map_or("", |r| r.rsplit_once(':').map_or(r, |(name, _)| name));
        let authfile = self.authfile.lock().unwrap_or_else(|e| e.into_inner()).clone();
        cache
            .entry(format!("{registry}/{repository}"))
            .or_insert_with(|| auth::lookup(registry, repository, authfile.as_deref()))
            .clone()
    }

    /// Reads credentials from this auth.json or config.json before the usual places.
    pub fn set_authfile(&self, path: &std::path::Path) {
        *self.authfile.lock().unwrap_or_else(|e| e.into_inner()) = Some(path.to_path_buf());
        self.credentials.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Uses this credential for `registry` instead of looking one up.
    pub fn set_credential(&self, registry: &str, credential: Option<Credential>) {
        self.credentials.lock().unwrap_or_else(|e| e.into_inner()).insert(registry.to_string(), credential);
    }

    /// Sends `req` to `registry`, authenticating as it asks and retrying per the policy.
    /// Returns every response the registry gave in the end, success or not: the caller
    /// decides which statuses it expects (see [`expect`]).
    pub fn send(&self, registry: &str, req: &Req<'_>) -> Result<Response, Error> {
        if self.remaining() == Some(Duration::ZERO) {
            return Err(self.deadline_error(&req.url));
        }
        if reference::origin(&self.effective_url(&req.url)) != reference::origin(&self.base_url(registry)) {
            // An upload Location or any URL on another origin: nothing of this registry's
            // credentials goes there, and its challenges are not answered.
            return self.send_retrying(req, None);
        }
        let key = format!("{registry} {}", req.scope);
        let mut challenged = false;
        let mut https_error: Option<Error> = None;
        loop {
            let authorization = self.authorization(registry, &key, &req.scope)?;
            let url = self.effective_url(&req.url);
            let resp = match self.send_retrying(req, authorization.as_deref()) {
                // --tls-verify=false: a registry that does not speak TLS is spoken to over HTTP.
                Err(e)
                    if https_error.is_none()
                        && e.status.is_none()
                        && !self.trust.options().for_authority(&tls::authority(&url)).0
                        && url.starts_with("https://") =>
                {
                    self.plain_hosts.lock().unwrap_or_else(|e| e.into_inner()).insert(tls::authority(&url));
                    https_error = Some(e);
                    continue;
                }
                // Not over HTTP either: the HTTPS failure is the one to show.
                Err(e) if https_error.is_some() && e.status.is_none() && url.starts_with("http://") => {
                    self.plain_hosts.lock().unwrap_or_else(|e| e.into_inner()).remove(&tls::authority(&url));
                    return Err(https_error.take().unwrap_or(e));
                }
                r => r?,
            };
            let Ok(mut resp) = self.speaks_tls(&url, resp) else { continue };
            if resp.status().as_u16() != 401 || challenged {
                return Ok(resp);
            }
            challenged = true;
            if authorization.is_some() {
                self.stats.reauthentications.fetch_add(1, Ordering::Relaxed);
            }
            self.tokens.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            match header(&resp, "www-authenticate").and_then(|h| auth::parse_challenge(&h)) {
                Some(Challenge::Bearer { realm, service, scope }) => {
                    self.realms
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(registry.to_string(), (realm.clone(), service.clone()));
                    let token = self.fetch_token(registry, &realm, service.as_deref(), &req.scope, scope)?;
                    self.tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), token);
                }
                Some(Challenge::Basic) if self.credential(registry, &req.scope).is_some() => {
                    self.basic.lock().unwrap_or_else(|e| e.into_inner()).insert(registry.to_string());
                }
                _ => return Ok(resp),
            }
            // Drain what is left of the refusal so the connection can be reused.
            let _ = read_error_body(&mut resp);
        }
    }

    /// Sends `req` with `authorization` as it is (no auth handling), again after a connection
    /// failure, a 429 (after its `Retry-After`) or a 5xx (after a backoff) when it is idempotent.
    fn send_retrying(&self, req: &Req<'_>, authorization: Option<&str>) -> Result<Response, Error> {
        let url = self.effective_url(&req.url);
        let tls = self.tls_for(&url)?;
        let mut attempt = 0;
        loop {
            let retry = req.idempotent && attempt < self.retry.attempts;
            let mut resp = match self.execute(req, &url, tls.as_ref(), authorization) {
                Ok(resp) => resp,
                Err(e) if retry && retryable(&e) => {
                    self.backoff(attempt);
                    attempt += 1;
                    continue;
                }
                Err(_) if self.remaining() == Some(Duration::ZERO) => return Err(self.deadline_error(&url)),
                Err(e) => return Err(Error::transport(&url, &e)),
            };
            match resp.status().as_u16() {
                429 if retry => {
                    let wait = header(&resp, "retry-after")
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map_or(self.retry.base * 4, Duration::from_secs);
                    let _ = read_error_body(&mut resp);
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(wait.min(MAX_RETRY_AFTER));
                }
                500..=599 if retry => {
                    let _ = read_error_body(&mut resp);
                    self.backoff(attempt);
                }
                _ => return Ok(resp),
            }
            attempt += 1;
        }
    }

    /// The Authorization header for `key` (registry and scope): a cached token that is not due
    /// for renewal, or a new one from the token endpoint this registry named before.
    fn authorization(&self, registry: &str, key: &str, scope: &str) -> Result<Option<String>, Error> {
        {
            let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(t) = tokens.get(key).filter(|t| Instant::now() < t.refresh_at) {
                return Ok(Some(format!("Bearer {}", t.value)));
            }
        }
        let realm = self.realms.lock().unwrap_or_else(|e| e.into_inner()).get(registry).cloned();
        if let Some((realm, service)) = realm {
            let token = self.fetch_token(registry, &realm, service.as_deref(), scope, None)?;
            let value = format!("Bearer {}", token.value);
            self.tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(key.to_string(), token);
            return Ok(Some(value));
        }
        if self.basic.lock().unwrap_or_else(|e| e.into_inner()).contains(registry) {
            return Ok(self.credential(registry, scope).map(|c| c.basic_header()));
        }
        Ok(None)
    }

    fn execute(
        &self,
        req: &Req<'_>,
        url: &str,
        tls: Option<&ureq::tls::TlsConfig>,
        authorization: Option<&str>,
    ) -> Result<Response, ureq::Error> {
        let agent = if req.transfer { &self.transfer_agent } else { &self.agent };
        let mut headers: Vec<(&str, String)> = req.headers.iter().map(|(k, v)| (*k, v.clone())).collect();
        if let Some(a) = authorization {
            headers.push(("Authorization", a.to_string()));
        }
        macro_rules! finish {
            ($builder:expr) => {{
                let mut b = $builder;
                for (k, v) in &headers {
                    b = b.header(*k, v);
                }
                if !req.follow_redirects {
                    b = b.config().max_redirects(0).build();
                }
                if let Some(tls) = tls {
                    b = b.config().tls_config(tls.clone()).build();
                }
                if let Some(left) = self.remaining() {
                    // The deadline bounds every request, its body included.
                    let global = if req.transfer { left } else { left.min(self.small_timeout) };
                    b = b.config().timeout_global(Some(global.max(Duration::from_millis(1)))).build();
                }
                b
            }};
        }
        match req.method {
            Method::Get => finish!(agent.get(url)).call(),
            Method::Head => finish!(agent.head(url)).call(),
            Method::Delete => finish!(agent.delete(url)).call(),
            Method::Post | Method::Put | Method::Patch => {
                let b = match req.method {
                    Method::Post => agent.post(url),
                    Method::Put => agent.put(url),
                    _ => agent.patch(url),
                };
                let mut b = finish!(b);
                match &req.body {
                    Body::Empty => b.header("Content-Length", "0").send_empty(),
                    Body::Bytes(bytes) => {
                        self.stats.bytes_sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        b.send(*bytes)
                    }
                    Body::Stream { open, len } => {
                        if *len >= EXPECT_CONTINUE {
                            b = b.header("Expect", "100-continue");
                        }
                        let reader = open().map_err(ureq::Error::Io)?;
                        let pace = Pace::new(&self.limits);
                        let mut counted = Counted { inner: reader, count: &self.stats.bytes_sent, pace };
                        b.header("Content-Length", len.to_string()).send(ureq::SendBody::from_reader(&mut counted))
                    }
                }
            }
        }
    }

    /// The token endpoint: GET realm?service=…&scope=…, with the credential as basic auth. Asks
    /// for the scope the operation needs and every scope the challenge named.
    fn fetch_token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        wanted: &str,
        asked: Option<String>,
    ) -> Result<Token, Error> {
        let mut scopes: Vec<String> = Vec::new();
        for s in wanted.split(' ').chain(asked.iter().flat_map(|a| a.split(' '))).filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        let credential = self.credential(registry, wanted);
        let asked_at = Instant::now();
        let mut resp = match credential {
            // An identity token is an OAuth2 refresh token: traded at the same endpoint with a
            // form POST (distribution's spec/auth/oauth.md), never sent as basic auth.
            Some(c) if c.is_identity_token() => {
                let form = refresh_form(&c.secret, service, &scopes);
                let mut req = Req::new(Method::Post, realm, String::new())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(Body::Bytes(form.as_bytes()));
                req.idempotent = true;
                self.send_retrying(&req, None)?
            }
            credential => {
                let mut url = realm.to_string();
                let pairs = scopes.iter().map(|s| ("scope", s.as_str())).chain(service.map(|s| ("service", s)));
                for (i, (k, v)) in pairs.enumerate() {
                    let sep = if i == 0 && !realm.contains('?') { '?' } else { '&' };
                    url.push_str(&format!("{sep}{k}={}", query_escape(v)));
                }
                let req = Req::new(Method::Get, url, String::new());
                let basic = credential.map(|c| c.basic_header());
                self.send_retrying(&req, basic.as_deref())?
            }
        };
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(self.refused(realm, &mut resp));
        }
        let body =
            resp.body_mut().with_config().limit(1 << 20).read_to_vec().map_err(|e| Error::transport(realm, &e))?;
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| Error::protocol(realm, "the token response is not JSON"))?;
        let value = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::protocol(realm, "the token response has no token"))?
            .to_string();
        // The distribution token spec: expires_in defaults to 60 s.
        let life = Duration::from_secs(v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(60));
        let margin = (life / 10).min(Duration::from_secs(30));
        self.stats.tokens_fetched.fetch_add(1, Ordering::Relaxed);
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if !issued.contains(&value) && issued.len() < 1024 {
            issued.push(value.clone());
        }
        Ok(Token { value, refresh_at: asked_at + life - margin })
    }

    /// 200 ms, 400 ms, 800 ms, … (from the policy's base) with up to 50% jitter.
    fn backoff(&self, attempt: u32) {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let base = self.retry.base.as_millis() as u64 * (1u64 << attempt.min(6));
        let jitter = u64::from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos(),
        ) % (base / 2 + 1);
        std::thread::sleep(Duration::from_millis(base + jitter));
    }

    /// GETs `url` in `r`'s repository and reads the body up to `limit` bytes; any status but
    /// 2xx is an error. Returns the content type and the body.
    pub fn get(&self, r: &Reference, url: &str, accept: &str, limit: u64) -> Result<(String, Vec<u8>), Error> {
        let (ctype, _, body) = self.get_document(r, url, accept, limit)?;
        Ok((ctype, body))
    }

    /// Like [`Client::get`], with the `Docker-Content-Digest` the registry sent. A body that
    /// breaks off is fetched again (documents are small; blobs resume instead).
    fn get_document(
        &self,
        r: &Reference,
        url: &str,
        accept: &str,
        limit: u64,
    ) -> Result<(String, Option<String>, Vec<u8>), Error> {
        let req = Req::new(Method::Get, url, pull_scope(r)).header("Accept", accept);
        let mut attempt = 0;
        loop {
            let mut resp = self.expect(self.send(&r.registry, &req)?, url, &[200])?;
            let ctype = header(&resp, "content-type").unwrap_or_default();
            let digest = header(&resp, "docker-content-digest");
            match read_limited(&mut resp, url, limit) {
                Ok(body) => {
                    self.stats.bytes_received.fetch_add(body.len() as u64, Ordering::Relaxed);
                    return Ok((ctype, digest, body));
                }
                Err(e) if e.status.is_none() && e.code.is_none() && attempt < self.retry.attempts => {
                    self.backoff(attempt);
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Fetches a manifest or index and checks its digest when the reference names one.
    pub fn manifest(&self, r: &Reference) -> Result<Manifest, Error> {
        self.manifest_at(r, r.reference())
    }

    pub fn manifest_at(&self, r: &Reference, reference: &str) -> Result<Manifest, Error> {
        let url = format!("{}/v2/{}/manifests/{reference}", r.base_url(), r.repository);
        let (ctype, said, bytes) = self.get_document(r, &url, MANIFEST_TYPES, MAX_MANIFEST)?;
        let digest = sha256_digest(&bytes);
        if reference.contains(':') && reference != digest {
            return Err(Error::digest_mismatch(&url, reference, &digest));
        }
        // By tag, the registry's own Docker-Content-Digest is what the body must hash to. One
        // that is not a digest at all is refused: nothing of this registry's is trusted then.
        if let Some(said) = said.filter(|s| !s.is_empty()) {
            if shipcheck_image::digest::Digest::parse(&said).is_err() {
                return Err(Error::bad_digest(&url, "the Docker-Content-Digest", &said));
            }
            if said.starts_with("sha256:") && said != digest {
                return Err(Error::digest_mismatch(&url, &said, &digest));
            }
        }
        let declared = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(String::from));
        let media_type = declared.unwrap_or_else(|| ctype.split(';').next().unwrap_or("").trim().to_string());
        Ok(Manifest { media_type, digest, bytes })
    }

    /// Fetches a blob of at most `limit` bytes and checks its digest.
    pub fn blob(&self, r: &Reference, digest: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::new();
        let mut reader = self.blob_reader(r, digest, 0)?;
        let url = format!("{}/v2/{}/blobs/{digest}", r.base_url(), r.repository);
        (&mut reader).take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::io(&url, &e))?;
        if bytes.len() as u64 > limit {
            return Err(Error::too_large(&url, limit));
        }
        let got = sha256_digest(&bytes);
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
        if shipcheck_image::digest::Digest::parse(config).is_err() {
            return Err(Error::bad_digest(&url, "the config digest", config));
        }
        let bytes = self.blob(r, config, MAX_CONFIG)?;
        let c: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| Error::protocol(&url, "the image config is not JSON"))?;
        let os = c.get("os").and_then(|x| x.as_str()).unwrap_or("linux");
        let arch = c.get("architecture").and_then(|x| x.as_str()).unwrap_or("");
        Ok(vec![platform(os, arch, c.get("variant").and_then(|x| x.as_str()))])
    }
}

/// Counts body bytes as they are sent.
/// Counts body bytes as they are sent, and holds the upload to the minimum rate (the network
/// takes bytes only as fast as the registry reads them).
struct Counted<'s, R> {
    inner: R,
    count: &'s AtomicU64,
    pace: Pace,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        self.pace.tick(n)?;
        Ok(n)
    }
}

impl Client {
    /// The response if its status is one of `ok`, else the registry's error.
    pub fn expect(&self, mut resp: Response, url: &str, ok: &[u16]) -> Result<Response, Error> {
        if ok.contains(&resp.status().as_u16()) {
            Ok(resp)
        } else {
            Err(self.refused(url, &mut resp))
        }
    }

    /// The registry's error from a refusal: its body read (64 KiB at most), what it says
    /// redacted, and the secrets this client holds masked in case the registry echoed them.
    pub fn refused(&self, url: &str, resp: &mut Response) -> Error {
        let status = resp.status().as_u16();
        self.scrub(Error::from_response(url, status, &read_error_body(resp)))
    }
}

pub fn read_limited(resp: &mut Response, url: &str, limit: u64) -> Result<Vec<u8>, Error> {
    resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| match e {
        ureq::Error::BodyExceedsLimit(_) => Error::too_large(url, limit),
        e => Error::transport(url, &e),
    })
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

fn platform(os: &str, arch: &str, variant: Option<&str>) -> String {
    match variant.filter(|v| !v.is_empty()) {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    }
}

pub fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from)
}

pub fn read_error_body(resp: &mut Response) -> Vec<u8> {
    resp.body_mut().with_config().limit(64 << 10).read_to_vec().unwrap_or_default()
}

fn retryable(e: &ureq::Error) -> bool {
    // A certificate that is not trusted stays so.
    tls::tls_failure(e).is_none()
        && matches!(
            e,
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) | ureq::Error::Protocol(_)
        )
}

/// The OAuth2 form that trades a refresh token for an access token: `grant_type`,
/// `refresh_token`, `client_id`, `service` and the scopes, space-separated in one `scope`.
pub fn refresh_form(refresh_token: &str, service: Option<&str>, scopes: &[String]) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh_token.into()),
        ("client_id", "shipcheck".into()),
    ];
    if let Some(s) = service {
        pairs.push(("service", s.into()));
    }
    if !scopes.is_empty() {
        pairs.push(("scope", scopes.join(" ")));
    }
    pairs.iter().map(|(k, v)| format!("{k}={}", query_escape(v))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn query_escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
