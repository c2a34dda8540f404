//! Trust for registry connections, as skopeo and Docker users expect it.
//!
//! - **Roots.** The system trust store (rustls-native-certs: `SSL_CERT_FILE` and `SSL_CERT_DIR`
//!   when set, else the distribution's bundle, `/etc/ssl/certs` on Debian). Mozilla's roots
//!   (webpki-root-certs) only when the system has none, as in a scratch container.
//! - **`--cert-dir DIR`** (skopeo's flag) and the per-registry directories
//!   `/etc/containers/certs.d/HOST[:PORT]/`, `~/.config/containers/certs.d/HOST[:PORT]/` and
//!   `/etc/docker/certs.d/HOST[:PORT]/` (containers-certs.d(5)): every `*.crt` is a CA added to
//!   the roots, and a `NAME.cert` with its `NAME.key` is the client certificate. A per-registry
//!   directory applies to connections with that host and port only. The list of base
//!   directories is `SHIPCHECK_CERTS_D` (`:`-separated) when set, so tests need no `/etc`.
//! - **`--tls-verify=false`** turns certificate verification off for the run (never the
//!   default); the client then also speaks plain HTTP to a registry that has no TLS.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

/// What the user configured about TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// Verify certificates. `false` only when the user asked (`--tls-verify=false`).
    pub verify: bool,
    /// `--cert-dir`: CAs and a client certificate for every registry of the run.
    pub cert_dir: Option<PathBuf>,
    /// The base directories holding one `HOST[:PORT]` directory per registry.
    pub certs_d: Vec<PathBuf>,
    /// Settings for one registry (`HOST[:PORT]` as in an image reference) that replace the
    /// two above for it: one end of a copy (`--src-tls-verify`, `--dest-cert-dir`, …).
    pub registries: Vec<(String, RegistryTls)>,
}

/// One registry's own `--tls-verify` and `--cert-dir`; `None` keeps the run's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryTls {
    pub verify: Option<bool>,
    pub cert_dir: Option<PathBuf>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions { verify: true, cert_dir: None, certs_d: default_certs_d(), registries: Vec::new() }
    }
}

impl TlsOptions {
    /// The verification and `--cert-dir` that apply to connections with `authority`.
    pub fn for_authority(&self, authority: &str) -> (bool, Option<&Path>) {
        let own = self.registries.iter().find(|(r, _)| {
            let host = if r == "docker.io" { "registry-1.docker.io" } else { r.as_str() };
            host.eq_ignore_ascii_case(authority)
        });
        let own = own.map(|(_, t)| t);
        (
            own.and_then(|t| t.verify).unwrap_or(self.verify),
            own.and_then(|t| t.cert_dir.as_deref()).or(self.cert_dir.as_deref()),
        )
    }

    /// Whether any connection goes unverified.
    pub fn any_unverified(&self) -> bool {
        !self.verify || self.registries.iter().any(|(_, t)| t.verify == Some(false))
    }
}

/// `SHIPCHECK_CERTS_D` when set, else containers' and Docker's places.
pub fn default_certs_d() -> Vec<PathBuf> {
    if let Some(v) = std::env::var_os("SHIPCHECK_CERTS_D") {
        return std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect();
    }
    let mut out = vec![PathBuf::from("/etc/containers/certs.d")];
    if let Some(h) = std::env::var_os("HOME") {
        out.push(PathBuf::from(h).join(".config/containers/certs.d"));
    }
    out.push(PathBuf::from("/etc/docker/certs.d"));
    out
}

/// CAs and a client certificate read from one directory.
#[derive(Default)]
struct Material {
    cas: Vec<Certificate<'static>>,
    client: Option<ClientCert>,
}

/// Reads `*.crt` (CAs) and `NAME.cert` + `NAME.key` (a client certificate) from `dir`, as
/// containers/image does. A `.cert` without its `.key`, or the reverse, is an error.
fn read_dir(dir: &Path, into: &mut Material) -> Result<(), String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    for path in &names {
        match path.extension().and_then(|e| e.to_str()) {
            Some("crt") => {
                let pem = read(path)?;
                let mut found = 0;
                for item in ureq::tls::parse_pem(&pem) {
                    if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                        into.cas.push(c);
                        found += 1;
                    }
                }
                if found == 0 {
                    return Err(format!("{}: no PEM certificate in it", path.display()));
                }
            }
            Some("cert") => {
                let key = path.with_extension("key");
                if !key.exists() {
                    return Err(format!("{}: a client certificate without its key {}", path.display(), key.display()));
                }
                let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&read(path)?)
                    .filter_map(|i| match i {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                let key = PrivateKey::from_pem(&read(&key)?)
                    .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
                if chain.is_empty() {
                    return Err(format!("{}: no PEM certificate in it", path.display()));
                }
                into.client = Some(ClientCert::new_with_certs(&chain, key));
            }
            Some("key") if !path.with_extension("cert").exists() => {
                return Err(format!("{}: a client key without its certificate (NAME.cert)", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The TLS configuration of every connection a client makes, per `host[:port]`.
pub(crate) struct Trust {
    options: TlsOptions,
    system: OnceLock<Vec<Certificate<'static>>>,
    configs: Mutex<HashMap<String, Result<TlsConfig, String>>>,
}

impl Trust {
    pub(crate) fn new(options: TlsOptions) -> Trust {
        Trust { options, system: OnceLock::new(), configs: Mutex::default() }
    }

    pub(crate) fn options(&self) -> &TlsOptions {
        &self.options
    }

    fn system(&self) -> &[Certificate<'static>] {
        self.system.get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut out: Vec<Certificate<'static>> =
                found.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
            if out.is_empty() {
                out = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|c| Certificate::from_der(c.as_ref()).to_owned())
                    .collect();
            }
            out
        })
    }

    /// The configuration for connections with `authority` (`host[:port]` as in the URL); an
    /// error names a certificate file that cannot be used.
    pub(crate) fn config(&self, authority: &str) -> Result<TlsConfig, String> {
        let mut configs = self.configs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = configs.get(authority) {
            return c.clone();
        }
        let made = self.make(authority);
        configs.insert(authority.to_string(), made.clone());
        made
    }

    fn make(&self, authority: &str) -> Result<TlsConfig, String> {
        let mut material = Material::default();
        let (verify, cert_dir) = self.options.for_authority(authority);
        if let Some(dir) = cert_dir {
            read_dir(dir, &mut material)?;
        }
        // A name that could leave the base directory is never looked up.
        let plain = !authority.is_empty() && !authority.contains(['/', '\\']) && authority != "." && authority != "..";
        if plain {
            for base in &self.options.certs_d {
                let dir = base.join(authority);
                if dir.is_dir() {
                    read_dir(&dir, &mut material)?;
                }
            }
        }
        let mut roots = self.system().to_vec();
        roots.extend(material.cas);
        Ok(TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&roots))
            .client_cert(material.client)
            .disable_verification(!verify)
            .build())
    }
}

/// `host[:port]` of an URL, as written in it (lower case).
pub(crate) fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    auth.rsplit_once('@').map_or(auth, |(_, h)| h).to_ascii_lowercase()
}

/// A TLS failure inside a ureq error.
pub(crate) enum Failure {
    /// The certificate was not accepted (unknown issuer, expired, wrong name).
    Certificate(String),
    /// The peer does not speak TLS (a plain-HTTP server answered the handshake).
    NotTls(String),
    /// Any other handshake failure.
    Other(String),
}

/// The TLS failure inside a ureq error, if it is one.
pub(crate) fn tls_failure(e: &ureq::Error) -> Option<Failure> {
    let r = match e {
        ureq::Error::Rustls(r) => r,
        ureq::Error::Tls(t) => return Some(Failure::Other(t.to_string())),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())?,
        _ => return None,
    };
    Some(match r {
        rustls::Error::InvalidCertificate(_) => Failure::Certificate(r.to_string()),
        rustls::Error::InvalidMessage(_) => Failure::NotTls(r.to_string()),
        _ => Failure::Other(r.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities() {
        assert_eq!(authority("https://Reg.example:5000/v2/x?y"), "reg.example:5000");
        assert_eq!(authority("https://u@reg.example/v2/"), "reg.example");
    }

    #[test]
    fn one_registry_settings_replace_the_runs() {
        let own = RegistryTls { verify: Some(false), cert_dir: Some("/src".into()) };
        let o = TlsOptions {
            verify: true,
            cert_dir: Some("/all".into()),
            certs_d: Vec::new(),
            registries: vec![("src.example:5000".into(), own), ("docker.io".into(), RegistryTls::default())],
        };
        assert_eq!(o.for_authority("src.example:5000"), (false, Some(Path::new("/src"))));
        assert_eq!(o.for_authority("dst.example"), (true, Some(Path::new("/all"))));
        assert_eq!(o.for_authority("registry-1.docker.io"), (true, Some(Path::new("/all"))));
        assert!(o.any_unverified());
    }

    #[test]
    fn pairs_are_required() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("client.cert"), "x").unwrap();
        let e = read_dir(dir.path(), &mut Material::default()).err().unwrap();
        assert!(e.contains("without its key"), "{e}");
        std::fs::remove_file(dir.path().join("client.cert")).unwrap();
        std::fs::write(dir.path().join("client.key"), "x").unwrap();
        let e = read_dir(dir.path(), &mut Material::default()).err().unwrap();
        assert!(e.contains("without its certificate"), "{e}");
        std::fs::remove_file(dir.path().join("client.key")).unwrap();
        std::fs::write(dir.path().join("ca.crt"), "not pem").unwrap();
        let e = read_dir(dir.path(), &mut Material::default()).err().unwrap();
        assert!(e.contains("no PEM certificate"), "{e}");
    }
}
