//! Real registries for tests (feature `testing`; not part of the product):
//!
//! - [`Registry`]: Debian's docker-registry (distribution 2.8) on a free loopback port with
//!   private storage — anonymous, htpasswd basic auth, or token auth against a [`TokenServer`].
//!   It can be killed and restarted on the same port and storage (a fixed `http.secret` keeps
//!   upload URLs valid across the restart), and can redirect blob downloads to storage URLs.
//! - [`TokenServer`]: a distribution token endpoint issuing short-lived ES256 JWTs signed by a
//!   self-signed certificate the registry trusts (`rootcertbundle`). Every token it issues is
//!   recorded.
//! - [`Proxy`]: an HTTP proxy in front of the registry that throttles upload bodies, injects
//!   faults (a status with `Retry-After`, a truncated or corrupted response, a connection reset
//!   mid-upload), serves redirected blob URLs from the registry's storage, and logs every
//!   request with the token it carried.
//!
//! Images are pushed with skopeo where a test needs one in place before it starts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};

pub const REGISTRY: &str = "/usr/bin/docker-registry";
const SERVICE: &str = "shipcheck-test-registry";
const ISSUER: &str = "shipcheck-test-token-server";

/// Whether docker-registry and skopeo are here. Under CI=true their absence is a failure.
pub fn available() -> bool {
    let ok = Path::new(REGISTRY).exists() && Command::new("skopeo").arg("--version").output().is_ok();
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "docker-registry and skopeo are required under CI=true");
        eprintln!("skipping: docker-registry or skopeo is not installed (scripts/install-test-deps.sh)");
    }
    ok
}

fn wait_listening(host: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(host).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {host}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How the registry authenticates.
pub enum Auth<'a> {
    None,
    /// htpasswd lines (see [`htpasswd`]).
    Basic(&'a str),
    Token(&'a TokenServer),
}

/// A registry behind TLS ([`Registry::with_tls`]) and the PEM files a client needs.
pub struct TlsRegistry {
    pub registry: Registry,
    /// The CA that issued the server's certificate (and the client's).
    pub ca: String,
    /// A client certificate and its key, issued by `ca`.
    pub client_cert: String,
    pub client_key: String,
}

struct TlsFiles {
    cert: String,
    key: String,
    client_ca: Option<String>,
}

/// A docker-registry process with private storage; killed when dropped.
pub struct Registry {
    child: Option<Child>,
    pub host: String,
    config: PathBuf,
    pub storage: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Registry {
    /// Starts a registry on a free loopback port; `htpasswd` turns on basic auth.
    pub fn start(htpasswd: Option<&str>) -> Registry {
        match htpasswd {
            Some(h) => Registry::with(Auth::Basic(h), None),
            None => Registry::with(Auth::None, None),
        }
    }

    /// Starts a registry with `auth`; `redirect_to` (`http://host:port`) turns on distribution's
    /// redirect storage middleware, so blob GETs answer 307 to `redirect_to/docker/registry/v2/…`.
    pub fn with(auth: Auth<'_>, redirect_to: Option<&str>) -> Registry {
        Registry::configured(auth, redirect_to, None, "127.0.0.1")
    }

    /// Starts an anonymous plain-HTTP registry on `ip`, an address of this machine that is not
    /// loopback (see [`non_loopback_ip`]).
    pub fn plain_on(ip: &str) -> Registry {
        Registry::configured(Auth::None, None, None, ip)
    }

    /// Starts an anonymous registry that speaks only TLS, with a server certificate for
    /// `127.0.0.1` and `localhost` issued by a CA made here; with `client_cert`, it also
    /// requires a client certificate from that CA (`http.tls.clientcas`).
    pub fn with_tls(client_cert: bool) -> TlsRegistry {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, "shipcheck test CA");
        let ca = ca.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut server = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        server.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        let cert = server.signed_by(&key, &ca, &ca_key).unwrap();
        let client_key = rcgen::KeyPair::generate().unwrap();
        let mut client = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        client.distinguished_name.push(rcgen::DnType::CommonName, "shipcheck test client");
        let client = client.signed_by(&client_key, &ca, &ca_key).unwrap();
        let tls = TlsFiles { cert: cert.pem(), key: key.serialize_pem(), client_ca: client_cert.then(|| ca.pem()) };
        let registry = Registry::configured(Auth::None, None, Some(tls), "127.0.0.1");
        TlsRegistry { registry, ca: ca.pem(), client_cert: client.pem(), client_key: client_key.serialize_pem() }
    }

    fn configured(auth: Auth<'_>, redirect_to: Option<&str>, tls: Option<TlsFiles>, ip: &str) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let tls = tls.map_or(String::new(), |tls| {
            let (c, k, ca) =
                (dir.path().join("server.crt"), dir.path().join("server.key"), dir.path().join("client-ca.crt"));
            std::fs::write(&c, tls.cert).unwrap();
            std::fs::write(&k, tls.key).unwrap();
            let mut out = format!("  tls:\n    certificate: {}\n    key: {}\n", c.display(), k.display());
            if let Some(pem) = tls.client_ca {
                std::fs::write(&ca, pem).unwrap();
                out.push_str(&format!("    clientcas:\n      - {}\n", ca.display()));
            }
            out
        });
        let port = TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port();
        let storage = dir.path().join("data");
        let auth = match auth {
            Auth::None => String::new(),
            Auth::Basic(h) => {
                std::fs::write(dir.path().join("htpasswd"), h).unwrap();
                format!("auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n", dir.path().join("htpasswd").display())
            }
            Auth::Token(t) => format!(
                "auth:\n  token:\n    realm: {}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                t.url,
                t.cert.display()
            ),
        };
        let middleware = redirect_to.map_or(String::new(), |base| {
            format!("middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: {base}\n")
        });
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n{middleware}http:\n  addr: {ip}:{port}\n  secret: shipcheck-test-secret\n{tls}{auth}",
            storage.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let mut reg = Registry { child: None, host: format!("{ip}:{port}"), config: config_path, storage, _dir: dir };
        reg.restart();
        reg
    }

    /// Kills the registry process (SIGKILL: nothing is flushed or finished).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the registry again (killing it first if it runs), same port, same storage.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(REGISTRY)
            .arg("serve")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_listening(&self.host);
    }

    /// Pushes a generated image with skopeo (one platform: an image manifest; several: an index).
    pub fn push(&self, repo_tag: &str, platforms: &[&str], creds: Option<&str>) {
        let images: Vec<ImageDraft> = platforms
            .iter()
            .map(|p| ImageDraft {
                platform: Platform::parse(p).unwrap(),
                layers: vec![LayerDraft {
                    files: vec![LayerFile::new("etc/arch", p.as_bytes().to_vec(), 0o644)],
                    compression: Compression::Gzip,
                }],
                names: vec![format!("{}/{repo_tag}", self.host)],
            })
            .collect();
        let mut draft = ArchiveDraft::new(Shape::Oci, images);
        draft.multi_platform = platforms.len() > 1;
        let layout = tempfile::tempdir().unwrap();
        draft.build().unwrap().write_dir(layout.path()).unwrap();
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--all", "--dest-tls-verify=false", "--quiet"]);
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        let out = cmd
            .arg(format!("oci:{}", layout.path().display()))
            .arg(format!("docker://{}/{repo_tag}", self.host))
            .output()
            .unwrap();
        assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// An IPv4 address of this machine that is not loopback (`hostname -I`), for tests of what
/// only non-loopback registries get; `None` on a machine without one.
pub fn non_loopback_ip() -> Option<String> {
    let out = Command::new("hostname").arg("-I").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|a| a.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| !ip.is_loopback()))
        .map(String::from)
}

/// An htpasswd line for distribution's basic auth (bcrypt, as it requires).
pub fn htpasswd(user: &str, password: &str) -> String {
    format!("{user}:{}\n", bcrypt::hash(password, 4).expect("bcrypt"))
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing shared by the token server and the proxy.

/// A request or response head: the first line, the headers, and the head's raw bytes.
struct Head {
    first: String,
    headers: Vec<(String, String)>,
    raw: Vec<u8>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads a head (up to the blank line, 1 MiB at most), leaving what follows in the reader.
fn read_head(reader: &mut impl BufRead) -> Option<Head> {
    let mut raw = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        raw.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
        if raw.len() > 1 << 20 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next()?.to_string();
    let headers =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    Some(Head { first, headers, raw })
}

fn respond(stream: &mut TcpStream, status: u16, extra: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Accepts connections until `stop` is set, each handled on a thread of its own.
fn serve_each(listener: TcpListener, stop: Arc<AtomicBool>, handle: impl Fn(TcpStream) + Send + Sync + 'static) {
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let Ok(conn) = conn else { continue };
            let handle = handle.clone();
            std::thread::spawn(move || handle(conn));
        }
    });
}

fn query_params(target: &str) -> Vec<(String, String)> {
    let Some((_, q)) = target.split_once('?') else { return Vec::new() };
    q.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

// ---------------------------------------------------------------------------------------------

/// One token the token server issued.
#[derive(Clone, Debug)]
pub struct Issued {
    pub token: String,
    pub scopes: Vec<String>,
    pub issued: Instant,
    /// Until when the registry accepts it.
    pub valid_until: Instant,
    pub user: Option<String>,
    /// Traded for a refresh token (`POST grant_type=refresh_token`), not basic credentials.
    pub refreshed: bool,
}

/// A distribution token server for one registry.
pub struct TokenServer {
    /// `http://127.0.0.1:PORT`; the endpoint is `/token`.
    pub url: String,
    cert: PathBuf,
    pub issued: Arc<Mutex<Vec<Issued>>>,
    stop: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

impl TokenServer {
    /// Issues tokens the registry accepts for `life`, and tells clients `expires_in` =
    /// `claimed` seconds (a server that says more than the truth forces 401s mid-operation).
    /// With `user`, requests must carry those basic credentials.
    pub fn start(life: Duration, claimed: u64, user: Option<(&str, &str)>) -> TokenServer {
        TokenServer::start_with(life, claimed, user, None)
    }

    /// [`TokenServer::start`] that also speaks distribution's OAuth2 form (spec/auth/oauth.md):
    /// `POST /token` with `grant_type=refresh_token`, `refresh_token`, `client_id`, `service` and
    /// `scope` (space-separated). Only `refresh_token` is accepted; anything else is a 401.
    pub fn start_with(
        life: Duration,
        claimed: u64,
        user: Option<(&str, &str)>,
        refresh_token: Option<&str>,
    ) -> TokenServer {
        let refresh_token = refresh_token.map(String::from);
        let key = rcgen::KeyPair::generate().expect("ECDSA P-256 key");
        let cert = rcgen::CertificateParams::new(vec!["shipcheck-token-server".to_string()])
            .expect("certificate params")
            .self_signed(&key)
            .expect("self-signed certificate");
        let dir = tempfile::tempdir().unwrap();
        let cert_path = dir.path().join("token.pem");
        std::fs::write(&cert_path, cert.pem()).unwrap();
        let rng = ring::rand::SystemRandom::new();
        let signer = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.serialize_der(),
            &rng,
        )
        .expect("the generated key loads");
        let x5c = base64::engine::general_purpose::STANDARD.encode(cert.der());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let issued: Arc<Mutex<Vec<Issued>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let expected = user
            .map(|(u, p)| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))));
        let user_name = user.map(|(u, _)| u.to_string());
        {
            let (issued, stop) = (issued.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut serial = 0u64;
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(mut conn) = conn else { continue };
                    let Ok(read_half) = conn.try_clone() else { continue };
                    let mut reader = BufReader::new(read_half);
                    let Some(head) = read_head(&mut reader) else { continue };
                    let target = head.first.split(' ').nth(1).unwrap_or("").to_string();
                    let refreshed = head.first.starts_with("POST ");
                    let params = if refreshed {
                        let len = head.header("content-length").and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
                        let mut body = vec![0; len.min(1 << 20)];
                        if reader.read_exact(&mut body).is_err() {
                            continue;
                        }
                        let form = query_params(&format!("?{}", String::from_utf8_lossy(&body)));
                        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                        let good = head.header("content-type") == Some("application/x-www-form-urlencoded")
                            && field("grant_type").as_deref() == Some("refresh_token")
                            && refresh_token.is_some()
                            && field("refresh_token") == refresh_token
                            && field("client_id").is_some_and(|c| !c.is_empty())
                            && field("service").as_deref() == Some(SERVICE)
                            && head.header("authorization").is_none();
                        if !good {
                            respond(&mut conn, 401, &[], br#"{"details":"bad refresh token"}"#);
                            continue;
                        }
                        form
                    } else {
                        if let Some(want) = &expected {
                            if head.header("authorization") != Some(want.as_str()) {
                                respond(&mut conn, 401, &[], br#"{"details":"bad credentials"}"#);
                                continue;
                            }
                        }
                        query_params(&target)
                    };
                    let scopes: Vec<String> = params
                        .iter()
                        .filter(|(k, _)| k == "scope")
                        .flat_map(|(_, v)| v.split(' ').map(String::from))
                        .collect();
                    let access: Vec<serde_json::Value> = scopes
                        .iter()
                        .filter_map(|s| {
                            let mut parts = s.splitn(3, ':');
                            let (t, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                            Some(serde_json::json!({"type": t, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
                        })
                        .collect();
                    serial += 1;
                    let now = now_unix();
                    // distribution accepts a token until `exp` plus a 60 s leeway for clock skew
                    // (registry/auth/token/token.go). The claim is set back by that leeway so the
                    // registry's real acceptance window is `life`, rounded up to whole seconds
                    // (at most 1 s more); `valid_until` below is the lower bound.
                    let exp =
                        (SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + life).as_secs_f64().ceil() as i64;
                    let claims = serde_json::json!({
                        "iss": ISSUER, "sub": user_name.clone().unwrap_or_default(), "aud": SERVICE,
                        "exp": exp - 60, "nbf": now - 1, "iat": now,
                        "jti": format!("token-{serial}"), "access": access,
                    });
                    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [x5c]});
                    let signing_input =
                        format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
                    let sig = signer.sign(&rng, signing_input.as_bytes()).expect("ES256 signature");
                    let token = format!("{signing_input}.{}", b64url(sig.as_ref()));
                    let issued_at = Instant::now();
                    issued.lock().unwrap().push(Issued {
                        token: token.clone(),
                        scopes: scopes.clone(),
                        issued: issued_at,
                        valid_until: issued_at + life,
                        user: user_name.clone(),
                        refreshed,
                    });
                    let body = serde_json::json!({"token": token, "access_token": token, "expires_in": claimed});
                    respond(
                        &mut conn,
                        200,
                        &[("Content-Type", "application/json".into())],
                        body.to_string().as_bytes(),
                    );
                }
            });
        }
        TokenServer { url, cert: cert_path, issued, stop, _dir: dir }
    }

    pub fn issued(&self) -> Vec<Issued> {
        self.issued.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------------------------

/// What the proxy does to a matching request instead of passing it on as it is.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After`), without asking the registry.
    Status { code: u16, retry_after: Option<u64> },
    /// Pass the response's head and this many body bytes, then close the connection.
    Truncate { after: usize },
    /// Flip one byte of the response body (a proxy that corrupts content).
    Corrupt,
    /// Reset the connection after this many request body bytes (an upload cut off).
    ResetUpload { after: u64 },
    /// Kill the registry after this many request body bytes, then reset the connection.
    KillRegistry { after: u64 },
}

#[derive(Clone, Debug)]
pub struct Fault {
    /// `GET`, `PATCH`, …, or `*`.
    pub method: &'static str,
    /// A substring of the request path (query excluded).
    pub path: String,
    /// Matching requests passed on untouched before it applies.
    pub skip: usize,
    /// How many matching requests it applies to.
    pub times: usize,
    pub kind: FaultKind,
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    /// The path without its query string, and the query.
    pub path: String,
    pub query: String,
    pub status: u16,
    /// Request body bytes passed on.
    pub sent: u64,
    /// The bearer token the request carried.
    pub token: Option<String>,
    /// When the request arrived, and when its response was passed on.
    pub started: Instant,
    pub at: Instant,
    pub fault: Option<String>,
}

#[derive(Default)]
struct ProxyState {
    upstream: Mutex<String>,
    /// Upload (request body) rate in bytes per second.
    rate: Mutex<Option<u64>>,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<Logged>>,
    /// The registry's storage root, for serving redirected blob URLs.
    storage: Mutex<Option<PathBuf>>,
    /// A registry the KillRegistry fault may kill, by pid.
    kill_pid: Mutex<Option<u32>>,
    /// Requests read but not yet logged. A handler logs after it has passed the response on,
    /// so a client can act on a response before its log entry exists.
    busy: std::sync::atomic::AtomicUsize,
}

/// Counts a request as in flight until its handler returns.
struct Busy<'a>(&'a ProxyState);

impl<'a> Busy<'a> {
    fn enter(state: &'a ProxyState) -> Busy<'a> {
        state.busy.fetch_add(1, Ordering::SeqCst);
        Busy(state)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An HTTP proxy in front of a registry.
pub struct Proxy {
    pub host: String,
    state: Arc<ProxyState>,
    stop: Arc<AtomicBool>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.host);
    }
}

impl Proxy {
    /// Starts a proxy; point it at a registry with [`Proxy::forward_to`].
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let state: Arc<ProxyState> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = state.clone();
        serve_each(listener, stop.clone(), move |conn| handle(conn, &shared));
        Proxy { host, state, stop }
    }

    pub fn forward_to(&self, registry: &Registry) {
        *self.state.upstream.lock().unwrap() = registry.host.clone();
        *self.state.storage.lock().unwrap() = Some(registry.storage.clone());
        *self.state.kill_pid.lock().unwrap() = registry.child.as_ref().map(|c| c.id());
    }

    /// Throttles request bodies to `bytes_per_second` (None: full speed).
    pub fn throttle(&self, bytes_per_second: Option<u64>) {
        *self.state.rate.lock().unwrap() = bytes_per_second;
    }

    pub fn inject(&self, fault: Fault) {
        self.state.faults.lock().unwrap().push(fault);
    }

    /// Every request handled so far. Waits (up to 10 s) for the requests in flight to be
    /// logged, so that a test reading the log right after its client finished sees them all.
    pub fn log(&self) -> Vec<Logged> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.state.busy.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.state.log.lock().unwrap().clone()
    }

    pub fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
    }
}

fn take_fault(state: &ProxyState, method: &str, path: &str) -> Option<FaultKind> {
    let mut faults = state.faults.lock().unwrap();
    let f =
        faults.iter_mut().find(|f| f.times > 0 && (f.method == "*" || f.method == method) && path.contains(&f.path))?;
    if f.skip > 0 {
        f.skip -= 1;
        return None;
    }
    f.times -= 1;
    Some(f.kind.clone())
}

/// One request the proxy is handling: what its log entry says about it.
struct Request {
    method: String,
    path: String,
    query: String,
    token: Option<String>,
    started: Instant,
    fault: Option<FaultKind>,
}

impl Request {
    fn log(&self, state: &ProxyState, status: u16, sent: u64) {
        state.log.lock().unwrap().push(Logged {
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            status,
            sent,
            token: self.token.clone(),
            started: self.started,
            at: Instant::now(),
            fault: self.fault.as_ref().map(|f| format!("{f:?}")),
        });
    }
}

fn handle(mut client: TcpStream, state: &ProxyState) {
    let Ok(clone) = client.try_clone() else { return };
    let mut from_client = BufReader::new(clone);
    let Some(head) = read_head(&mut from_client) else { return };
    let _busy = Busy::enter(state);
    let mut parts = head.first.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let path = target.split('?').next().unwrap_or("").to_string();
    let req = Request {
        fault: take_fault(state, &method, &path),
        query: target.split_once('?').map_or(String::new(), |(_, q)| q.to_string()),
        token: head.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).map(String::from),
        started: Instant::now(),
        method,
        path,
    };
    if let Some(FaultKind::Status { code, retry_after }) = &req.fault {
        injected_status(&mut client, &mut from_client, &head, *code, *retry_after);
        req.log(state, *code, 0);
        return;
    }
    // Redirected blob URLs: served from the registry's storage, as object storage would.
    if req.method == "GET" && req.path.starts_with("/docker/registry/v2/") {
        let status = from_storage(&mut client, state, &req.path);
        req.log(state, status, 0);
        return;
    }
    if let Some((status, sent)) = forward(client, from_client, &head, state, &req) {
        req.log(state, status, sent);
    }
}

/// Answers with the injected status (and `Retry-After`) and a distribution-spec error body.
fn injected_status(
    client: &mut TcpStream,
    from_client: &mut BufReader<TcpStream>,
    head: &Head,
    code: u16,
    retry_after: Option<u64>,
) {
    // Without `Expect: 100-continue` the client sends its body regardless: read it first.
    if head.header("expect").is_none() {
        let len: u64 = head.header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
        let _ = std::io::copy(&mut from_client.take(len), &mut std::io::sink());
    }
    let mut extra = vec![("Content-Type", "application/json".to_string())];
    if let Some(s) = retry_after {
        extra.push(("Retry-After", s.to_string()));
    }
    let code_name = match code {
        429 => "TOOMANYREQUESTS",
        401 => "UNAUTHORIZED",
        403 => "DENIED",
        _ => "UNKNOWN",
    };
    let body = format!(r#"{{"errors":[{{"code":"{code_name}","message":"injected by the test proxy"}}]}}"#);
    respond(client, code, &extra, body.as_bytes());
}

/// Serves a redirected blob URL from the registry's storage; the status sent.
fn from_storage(client: &mut TcpStream, state: &ProxyState, path: &str) -> u16 {
    let storage = state.storage.lock().unwrap().clone();
    let file = storage.map(|s| s.join(path.trim_start_matches('/')));
    match file.and_then(|f| std::fs::read(f).ok()) {
        Some(bytes) => {
            respond(client, 200, &[("Content-Type", "application/octet-stream".into())], &bytes);
            200
        }
        None => {
            respond(client, 404, &[], b"");
            404
        }
    }
}

/// Passes the request to the registry and its response back, with the request's fault
/// applied; the status and the request body bytes passed on (status 0: no registry), or
/// `None` when the request could not be sent on (nothing to log).
fn forward(
    mut client: TcpStream,
    from_client: BufReader<TcpStream>,
    head: &Head,
    state: &ProxyState,
    req: &Request,
) -> Option<(u16, u64)> {
    let upstream = state.upstream.lock().unwrap().clone();
    let Ok(mut up) = TcpStream::connect(&upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return Some((0, 0));
    };
    // One request per connection: both sides are told to close after it.
    let mut rewritten = head.first.clone() + "\r\n";
    for (k, v) in &head.headers {
        if !k.eq_ignore_ascii_case("connection") {
            rewritten.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    if up.write_all(rewritten.as_bytes()).is_err() {
        return None;
    }
    let cut = match &req.fault {
        Some(FaultKind::ResetUpload { after }) => Some((*after, false)),
        Some(FaultKind::KillRegistry { after }) => Some((*after, true)),
        _ => None,
    };
    let upload = Upload {
        // Body bytes read along with the head.
        first: from_client.buffer().to_vec(),
        client: client.try_clone().unwrap(),
        up: up.try_clone().unwrap(),
        rate: *state.rate.lock().unwrap(),
        cut,
        kill_pid: *state.kill_pid.lock().unwrap(),
    };
    let body = std::thread::spawn(move || upload.pump());
    let status = relay_response(&mut client, up, req.fault.as_ref());
    let _ = client.flush();
    let _ = client.shutdown(Shutdown::Both);
    Some((status, body.join().unwrap_or(0)))
}

/// A request body on its way to the registry: throttled, and cut off (killing the registry
/// first, if asked) after a number of bytes.
struct Upload {
    first: Vec<u8>,
    client: TcpStream,
    up: TcpStream,
    rate: Option<u64>,
    cut: Option<(u64, bool)>,
    kill_pid: Option<u32>,
}

impl Upload {
    /// Copies the body until the client stops sending; the bytes passed on.
    fn pump(mut self) -> u64 {
        let started = Instant::now();
        let mut sent = 0u64;
        let mut pending = std::mem::take(&mut self.first);
        let mut buf = vec![0u8; 16 << 10];
        loop {
            let chunk: Vec<u8> = if pending.is_empty() {
                match self.client.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf[..n].to_vec(),
                }
            } else {
                std::mem::take(&mut pending)
            };
            let mut chunk = chunk.as_slice();
            if let Some((after, kill)) = self.cut {
                if sent + chunk.len() as u64 >= after {
                    chunk = &chunk[..(after - sent) as usize];
                    let _ = self.up.write_all(chunk);
                    sent += chunk.len() as u64;
                    if kill {
                        if let Some(pid) = self.kill_pid {
                            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                        }
                    }
                    let _ = self.up.shutdown(Shutdown::Both);
                    let _ = self.client.shutdown(Shutdown::Both);
                    return sent;
                }
            }
            if self.up.write_all(chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
            if let Some(rate) = self.rate {
                let due = Duration::from_secs_f64(sent as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        }
        sent
    }
}

/// The response: interim 100s, then the final head, then the body (truncated or corrupted
/// by `fault`). Returns the final status.
fn relay_response(client: &mut TcpStream, up: TcpStream, fault: Option<&FaultKind>) -> u16 {
    let mut reader = BufReader::new(up);
    let mut status = 0u16;
    while let Some(resp) = read_head(&mut reader) {
        status = resp.first.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        if client.write_all(&resp.raw).is_err() {
            break;
        }
        if status == 100 {
            continue;
        }
        let mut rest: Vec<u8> = Vec::new();
        let _ = reader.read_to_end(&mut rest);
        match fault {
            Some(FaultKind::Truncate { after }) => rest.truncate(*after),
            Some(FaultKind::Corrupt) if !rest.is_empty() => {
                let i = rest.len() / 2;
                rest[i] ^= 0x55;
            }
            _ => {}
        }
        let _ = client.write_all(&rest);
        break;
    }
    status
}

/// A generated multi-layer image as an OCI layout in `dir`: `layers` gzip layers of
/// `layer_bytes` pseudo-random bytes each (incompressible, so sizes are what they say), one
/// platform, named `name`. Returns the layout's path.
pub fn layout(dir: &Path, name: &str, layers: usize, layer_bytes: usize, seed: u64) -> PathBuf {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 33) as u8
            })
            .collect()
    };
    let image = ImageDraft {
        platform: Platform::parse("linux/amd64").unwrap(),
        layers: (0..layers)
            .map(|i| LayerDraft {
                files: vec![LayerFile::new(&format!("data/layer{i}.bin"), noise(layer_bytes), 0o644)],
                compression: Compression::Gzip,
            })
            .collect(),
        names: vec![name.to_string()],
    };
    let path = dir.join("layout");
    ArchiveDraft::new(Shape::Oci, vec![image]).build().unwrap().write_dir(&path).unwrap();
    path
}

/// Pushes the OCI layout at `dir` to `dest` as `shipcheck push` does: structure verified,
/// blobs checked as they are sent. Errors keep the registry's code and status.
pub fn push_layout(
    client: &crate::Client,
    dir: &Path,
    dest: &crate::Reference,
    opts: &crate::transfer::Options,
) -> Result<crate::transfer::Pushed, crate::Error> {
    let spec = shipcheck_image::SourceSpec::parse(&format!("oci:{}", dir.display())).unwrap();
    let fast = shipcheck_image::VerifyOptions { fast: true, ..Default::default() };
    let verified = shipcheck_image::verify(&spec, &fast).unwrap();
    let work = tempfile::tempdir().unwrap();
    let store = shipcheck_image::store::Store::open(&spec, &verified, work.path()).unwrap();
    let top = shipcheck_image::store::single(store.tops(), &spec.display).unwrap();
    let graph = crate::transfer::local_graph(&store, top).unwrap();
    crate::transfer::push(client, dest, &graph, &store, opts)
}

/// Tokens a list of logged requests carried, in order of first use.
pub fn tokens_used(log: &[Logged]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for l in log {
        if let Some(t) = &l.token {
            if !seen.contains(t) {
                seen.push(t.clone());
            }
        }
    }
    seen
}

// ---------------------------------------------------------------------------------------------

/// A request as the [`Hostile`] server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A canned answer. With `trickle`, the body goes one byte per interval.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trickle: Option<Duration>,
}

impl Reply {
    pub fn new(status: u16) -> Reply {
        Reply { status, ..Reply::default() }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }
}

/// A hostile registry: a loopback HTTP server on `ip` answering each request with what its
/// handler returns, and logging every request (headers and body) it received.
pub struct Hostile {
    /// `IP:PORT`.
    pub host: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.host);
    }
}

impl Hostile {
    /// Listens on `ip` (`127.0.0.1`, `127.0.0.2`: different hosts, both loopback).
    pub fn start(ip: &str, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (seen.clone(), stop.clone());
        serve_each(listener, stop.clone(), move |conn| answer(conn, &log, &handler, &halt));
        Hostile { host, seen, stop }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn answer(mut conn: TcpStream, seen: &Mutex<Vec<Seen>>, handler: &impl Fn(&Seen) -> Reply, stop: &AtomicBool) {
    let Ok(clone) = conn.try_clone() else { return };
    let mut reader = BufReader::new(clone);
    let Some(head) = read_head(&mut reader) else { return };
    if head.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        let _ = conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let len: u64 = head.header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = Vec::new();
    let _ = (&mut reader).take(len.min(256 << 20)).read_to_end(&mut body);
    let mut parts = head.first.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let request = Seen { method, target, headers: head.headers.clone(), body };
    seen.lock().unwrap().push(request.clone());
    let reply = handler(&request);
    let extra: Vec<(&str, String)> = reply.headers.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let body: &[u8] = if request.method == "HEAD" { &[] } else { &reply.body };
    let Some(interval) = reply.trickle else { return respond(&mut conn, reply.status, &extra, body) };
    let mut head = format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", reply.status, body.len());
    for (k, v) in &extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    for byte in body {
        if stop.load(Ordering::Relaxed) || conn.write_all(&[*byte]).and_then(|_| conn.flush()).is_err() {
            return;
        }
        std::thread::sleep(interval);
    }
}

/// What a canned hostile registry serves.
#[derive(Clone, Debug, Default)]
pub struct Canned {
    /// (reference: a tag or digest, media type, bytes). A manifest request for a reference not
    /// listed gets the last one: a hostile registry serves whatever it likes.
    pub manifests: Vec<(String, String, Vec<u8>)>,
    /// (digest, bytes).
    pub blobs: Vec<(String, Vec<u8>)>,
    /// A blob sent one byte per interval.
    pub trickle: Option<(String, Duration)>,
    /// Extra headers on every manifest response (a hostile `Docker-Content-Digest`).
    pub manifest_headers: Vec<(String, String)>,
}

impl Canned {
    /// Answers `GET /v2/`, manifests and blobs as listed; anything else 404.
    pub fn reply(&self, seen: &Seen) -> Reply {
        let path = seen.target.split('?').next().unwrap_or("");
        if path == "/v2/" {
            return Reply::new(200).body("{}");
        }
        if let Some((_, reference)) = path.split_once("/manifests/") {
            let Some(found) = self.manifests.iter().find(|(r, _, _)| r == reference).or(self.manifests.last()) else {
                return Reply::new(404);
            };
            let mut reply = Reply::new(200).header("Content-Type", found.1.clone()).body(found.2.clone());
            reply.headers.extend(self.manifest_headers.iter().cloned());
            return reply;
        }
        if let Some((_, digest)) = path.split_once("/blobs/") {
            let Some((_, bytes)) = self.blobs.iter().find(|(d, _)| d == digest) else { return Reply::new(404) };
            let mut reply = Reply::new(200).header("Content-Type", "application/octet-stream").body(bytes.clone());
            reply.trickle = self.trickle.as_ref().filter(|(d, _)| d == digest).map(|(_, t)| *t);
            return reply;
        }
        Reply::new(404)
    }

    /// One image: a config and a layer of `layer` bytes (not a tar: nothing here reads it), its
    /// manifest under tag `1`. `layer_digest` replaces the layer's real digest in the manifest.
    pub fn image(layer: Vec<u8>, layer_digest: Option<&str>) -> Canned {
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
        let config_digest = crate::client::sha256_digest(&config);
        let real = crate::client::sha256_digest(&layer);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.unwrap_or(&real), "size": layer.len()}],
        });
        let manifest = serde_json::to_vec(&manifest).unwrap();
        Canned {
            manifests: vec![("1".into(), "application/vnd.oci.image.manifest.v1+json".into(), manifest)],
            blobs: vec![(config_digest, config), (layer_digest.unwrap_or(&real).to_string(), layer)],
            ..Canned::default()
        }
    }

    /// [`Canned::image`] with a layer of `len` bytes sent one byte per `interval`.
    pub fn trickling(len: usize, interval: Duration) -> Canned {
        let layer = vec![1u8; len];
        let digest = crate::client::sha256_digest(&layer);
        let mut c = Canned::image(layer, None);
        c.trickle = Some((digest, interval));
        c
    }

    /// An index under tag `1` naming one child manifest by `child_digest` (served for any
    /// manifest reference, as a hostile registry would).
    pub fn index(child_digest: &str) -> Canned {
        let mut c = Canned::image(b"layer".to_vec(), None);
        let (_, _, child) = c.manifests.pop().unwrap();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": child_digest, "size": child.len(),
                           "platform": {"os": "linux", "architecture": "amd64"}}],
        });
        c.manifests.push((
            "1".into(),
            "application/vnd.oci.image.index.v1+json".into(),
            serde_json::to_vec(&index).unwrap(),
        ));
        c.manifests.push(("*".into(), "application/vnd.oci.image.manifest.v1+json".into(), child));
        c
    }
}

/// A registry on 127.0.0.1 that wants `ci:hunter2-password` (basic, or a token from its own
/// realm) and sends uploads to `upload_host`; it keeps the manifest pushed to serve it back.
pub fn uploads_elsewhere(bearer: bool, upload_host: String) -> Hostile {
    let pushed: Arc<Mutex<Vec<u8>>> = Arc::default();
    let realm: Arc<Mutex<String>> = Arc::default();
    let realm_set = realm.clone();
    let server = Hostile::start("127.0.0.1", move |seen: &Seen| {
        let path = seen.target.split('?').next().unwrap_or("");
        if path == "/token" {
            return Reply::new(200).body(r#"{"token":"tok-Very-Secret-Token","expires_in":300}"#);
        }
        let expected = if bearer { "Bearer tok-Very-Secret-Token" } else { "Basic Y2k6aHVudGVyMi1wYXNzd29yZA==" };
        if seen.header("authorization") != Some(expected) {
            let challenge = if bearer {
                format!(r#"Bearer realm="{}/token",service="s""#, realm.lock().unwrap())
            } else {
                r#"Basic realm="r""#.to_string()
            };
            return Reply::new(401).header("WWW-Authenticate", challenge);
        }
        match seen.method.as_str() {
            "HEAD" => Reply::new(404),
            "POST" => {
                Reply::new(202).header("Location", format!("http://{upload_host}/upload/1")).header("Range", "0-0")
            }
            "PUT" if path.contains("/manifests/") => {
                *pushed.lock().unwrap() = seen.body.clone();
                Reply::new(201)
            }
            "GET" if path.contains("/manifests/") => Reply::new(200)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body(pushed.lock().unwrap().clone()),
            _ => Reply::new(404),
        }
    });
    *realm_set.lock().unwrap() = format!("http://{}", server.host);
    server
}

/// A handler for the other host of [`uploads_elsewhere`]: it takes the final upload `PUT` (with
/// or without credentials: the test checks that none came) and challenges anything else.
pub fn upload_host(seen: &Seen) -> Reply {
    if seen.method == "PUT" {
        Reply::new(201)
    } else {
        Reply::new(401).header("WWW-Authenticate", r#"Basic realm="elsewhere""#)
    }
}

/// A handler that challenges for basic credentials, then refuses them with an error message
/// that echoes `password`, the Authorization header it got, and terminal escapes.
pub fn echoes_credentials(password: &'static str) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |seen: &Seen| {
        let Some(auth) = seen.header("authorization").map(String::from) else {
            return Reply::new(401).header("WWW-Authenticate", r#"Basic realm="r""#);
        };
        let body = serde_json::json!({"errors": [{"code": "DENIED",
            "message": format!("user ci password {password} header {auth} refused \u{1b}[2J\n::error::ALL CLEAN")}]});
        Reply::new(403).header("Content-Type", "application/json").body(serde_json::to_vec(&body).unwrap())
    }
}
