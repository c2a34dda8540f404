//! `shipcheck push`, `shipcheck copy` and `shipcheck image docker://…`: arguments to the
//! registry crate, and its results to the report.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use shipcheck_image::platform::Platform;
use shipcheck_image::VerifyOptions;
use shipcheck_registry::auth::Credential;
use shipcheck_registry::client::Limits;
use shipcheck_registry::copy::{copy, Copied, CopyOptions, Endpoint, Refused};
use shipcheck_registry::tls::{RegistryTls, TlsOptions};
use shipcheck_registry::transfer::Options;
use shipcheck_registry::{Client, Reference};
use shipcheck_report::{Checked, InputError, Report, Settings};

use crate::progress;

/// How blobs move.
#[derive(Args, Clone)]
pub(crate) struct TransferArgs {
    /// Blobs transferred at the same time.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    /// Upload chunk size in MiB: larger blobs go in PATCH chunks that resume after a failure;
    /// smaller ones in one request. 0 sends every blob in one request.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub chunk_size: u64,
    /// Read registry credentials from this auth.json or Docker config.json first.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Verify every byte of a local source before sending it (digests, diff_ids, layer walks).
    /// Without it, the structure is verified first and blob digests as they are sent.
    #[arg(long)]
    pub verify: bool,
    /// `copy` to a local archive: replace an existing file at the destination. Without it the
    /// copy is refused before anything moves; an existing OCI layout is added to (its tag
    /// replaced), never replaced, and the destination is never the source.
    #[arg(long)]
    pub overwrite: bool,
    /// Abort a blob transfer that moves fewer than this many KiB in any --rate-window (a
    /// registry that stalls or trickles bytes). 0 turns the check off.
    #[arg(long, value_name = "KIB", default_value_t = 30)]
    pub min_rate: u64,
    /// The window, in seconds, over which --min-rate is judged.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate_window: u64,
    /// The whole push or copy fails after this many seconds (0: no deadline).
    #[arg(long, value_name = "SECONDS", default_value_t = 7200)]
    pub timeout: u64,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// TLS with registries, as skopeo's flags (both ends of a copy).
#[derive(Args, Clone)]
pub(crate) struct TlsArgs {
    /// Verify registry certificates, and speak only HTTPS to registries outside loopback.
    /// `--tls-verify=false` turns verification off for this run and allows plain HTTP to a
    /// registry without TLS (a warning is printed). Never the default.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub tls_verify: bool,
    /// Trust the CA certificates (`*.crt`) in DIR and present the client certificate
    /// (`NAME.cert` with `NAME.key`) it holds, for every registry of the run. Per registry, the
    /// same files are read from /etc/containers/certs.d/HOST[:PORT]/,
    /// ~/.config/containers/certs.d/HOST[:PORT]/ and /etc/docker/certs.d/HOST[:PORT]/ (or the
    /// `:`-separated base directories in SHIPCHECK_CERTS_D).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
}

impl TlsArgs {
    pub(crate) fn options(&self) -> TlsOptions {
        TlsOptions { verify: self.tls_verify, cert_dir: self.cert_dir.clone(), ..TlsOptions::default() }
    }
}

/// skopeo copy's per-end TLS flags: each applies to that end's registry only and replaces
/// --tls-verify / --cert-dir for it.
#[derive(Args, Clone)]
pub(crate) struct EndTlsArgs {
    /// --tls-verify for the source registry only.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub src_tls_verify: Option<bool>,
    /// --tls-verify for the destination registry only.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub dest_tls_verify: Option<bool>,
    /// --cert-dir for the source registry only.
    #[arg(long, value_name = "DIR")]
    pub src_cert_dir: Option<PathBuf>,
    /// --cert-dir for the destination registry only.
    #[arg(long, value_name = "DIR")]
    pub dest_cert_dir: Option<PathBuf>,
}

/// The warning every run with verification off prints, on stderr.
pub(crate) fn warn_if_unverified(options: &TlsOptions) {
    if options.any_unverified() {
        eprintln!(
            "warning: --tls-verify=false: registry certificates are not verified and plain HTTP is allowed; \
             anyone on the network path can read and change what is sent"
        );
    }
}

#[derive(Args)]
pub(crate) struct PushArgs {
    /// The image to push, named as for `shipcheck image` (one image: select it with :REF or @N).
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Where: docker://REGISTRY/REPOSITORY[:TAG] (or @sha256:… for the image's own digest).
    #[arg(value_name = "DEST")]
    pub dest: String,
    /// Credentials for the destination, USER:PASSWORD (else the environment, auth.json,
    /// Docker's config.json and its credential helpers).
    #[arg(long, value_name = "USER:PASSWORD")]
    pub creds: Option<String>,
    #[command(flatten)]
    pub transfer: TransferArgs,
    #[command(flatten)]
    pub output: crate::OutputArgs,
}

#[derive(Args)]
pub(crate) struct CopyArgs {
    /// docker://REGISTRY/REPOSITORY[:TAG|@DIGEST], or a local source as for `shipcheck image`.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// docker://…, oci:DIR (a new layout), oci-archive:FILE, or docker-archive:FILE (the form
    /// every engine loads, one platform).
    #[arg(value_name = "DEST")]
    pub dest: String,
    /// Credentials for a registry source, USER:PASSWORD.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub src_creds: Option<String>,
    /// Credentials for a registry destination, USER:PASSWORD.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub dest_creds: Option<String>,
    /// The platform to write to a docker-archive destination [default: this machine's].
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    #[command(flatten)]
    pub ends: EndTlsArgs,
    #[command(flatten)]
    pub transfer: TransferArgs,
    #[command(flatten)]
    pub output: crate::OutputArgs,
}

fn credential(arg: &str) -> Result<Credential> {
    match arg.split_once(':') {
        Some((u, p)) if !u.is_empty() => Ok(Credential { username: u.to_string(), secret: p.to_string() }),
        _ => bail!("credentials must be USER:PASSWORD"),
    }
}

fn client(transfer: &TransferArgs, tls: TlsOptions) -> Client {
    let limits = Limits {
        min_bytes: transfer.min_rate.saturating_mul(1 << 10),
        window: Duration::from_secs(transfer.rate_window.max(1)),
        deadline: (transfer.timeout > 0).then(|| Duration::from_secs(transfer.timeout)),
        ..Limits::default()
    };
    warn_if_unverified(&tls);
    let c = Client::with_limits(Duration::from_secs(30), limits).with_tls(tls);
    if let Some(f) = &transfer.authfile {
        c.set_authfile(f);
    }
    c
}

fn options(t: &TransferArgs, platform: Option<Platform>) -> CopyOptions {
    let transfer = Options { jobs: t.jobs.max(1), chunk: t.chunk_size.saturating_mul(1 << 20) };
    CopyOptions { transfer, full_verify: t.verify, platform, overwrite: t.overwrite }
}

pub(crate) fn push_into(report: &mut Report, args: &PushArgs) -> Result<()> {
    let Endpoint::Registry(dest) = Endpoint::parse(&args.dest)? else {
        bail!("{} is not a registry: expected docker://REGISTRY/REPOSITORY[:TAG]", args.dest);
    };
    let src = Endpoint::parse(&args.source)?;
    if matches!(src, Endpoint::Registry(_)) {
        bail!("{} is in a registry: use `shipcheck copy` to copy between registries", args.source);
    }
    let c = client(&args.transfer, args.transfer.tls.options());
    if let Some(creds) = &args.creds {
        c.set_credential(&dest.registry, Some(credential(creds)?));
    }
    run(report, &c, &src, &Endpoint::Registry(dest), &options(&args.transfer, None));
    Ok(())
}

pub(crate) fn copy_into(report: &mut Report, args: &CopyArgs) -> Result<()> {
    let src = Endpoint::parse(&args.source)?;
    let dst = Endpoint::parse(&args.dest)?;
    let mut tls = args.transfer.tls.options();
    let e = &args.ends;
    for (end, verify, cert_dir, flag) in [
        (&src, e.src_tls_verify, &e.src_cert_dir, "--src-tls-verify/--src-cert-dir"),
        (&dst, e.dest_tls_verify, &e.dest_cert_dir, "--dest-tls-verify/--dest-cert-dir"),
    ] {
        if verify.is_none() && cert_dir.is_none() {
            continue;
        }
        let Endpoint::Registry(r) = end else { bail!("{flag} was given for {}, which is not a registry", end.shown()) };
        let own = RegistryTls { verify, cert_dir: cert_dir.clone() };
        if tls.registries.iter().any(|(host, other)| host == &r.registry && other != &own) {
            bail!("the source and the destination are both {}: give its TLS settings once", r.registry);
        }
        tls.registries.push((r.registry.clone(), own));
    }
    let c = client(&args.transfer, tls);
    for (end, creds) in [(&src, &args.src_creds), (&dst, &args.dest_creds)] {
        match (end, creds) {
            (Endpoint::Registry(r), Some(creds)) => c.set_credential(&r.registry, Some(credential(creds)?)),
            (Endpoint::Local(_), Some(_)) => {
                bail!("credentials were given for {}, which is not a registry", end.shown())
            }
            _ => {}
        }
    }
    let platform = args.platform.as_deref().map(Platform::parse).transpose().map_err(anyhow::Error::msg)?;
    run(report, &c, &src, &dst, &options(&args.transfer, platform));
    Ok(())
}

fn run(report: &mut Report, c: &Client, src: &Endpoint, dst: &Endpoint, opts: &CopyOptions) {
    let started = Instant::now();
    let counter =
        if matches!(dst, Endpoint::Registry(_)) { c.stats.bytes_sent.clone() } else { c.stats.bytes_received.clone() };
    let bar = progress::wanted().then(|| progress::Progress::start(&dst.shown(), None, counter));
    let result = copy(c, src, dst, opts);
    drop(bar);
    match result {
        Ok(copied) => record(report, c, src, dst, copied, started),
        Err(Refused::Damaged(v, why)) => {
            report.findings.extend(v.findings);
            report.errors.push(InputError { input: src.shown(), message: why });
        }
        Err(Refused::Failed(message)) => {
            let verb = if matches!(dst, Endpoint::Registry(_)) { "not pushed" } else { "not copied" };
            report.errors.push(InputError { input: dst.shown(), message: format!("{verb}: {message}") })
        }
    }
}

fn record(report: &mut Report, c: &Client, src: &Endpoint, dst: &Endpoint, copied: Copied, started: Instant) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut facts = vec![("source".to_string(), src.shown())];
    let from_registry = matches!(src, Endpoint::Registry(_));
    let kind = match (from_registry, dst) {
        (false, Endpoint::Registry(_)) => "registry push",
        (true, Endpoint::Registry(_)) => "registry copy",
        (true, Endpoint::Local(_)) => "registry pull",
        (false, Endpoint::Local(_)) => "copy",
    };
    if let Some(p) = &copied.pushed {
        facts.extend([
            ("digest".into(), p.digest.clone()),
            ("media_type".into(), p.media_type.clone()),
            ("blobs_uploaded".into(), p.blobs_uploaded.to_string()),
            ("blobs_present".into(), p.blobs_present.to_string()),
            ("blobs_mounted".into(), p.blobs_mounted.to_string()),
            ("bytes_uploaded".into(), p.bytes_uploaded.to_string()),
            ("manifests".into(), p.manifests.to_string()),
            ("resumed".into(), p.resumed.to_string()),
            ("restarted".into(), p.restarted.to_string()),
        ]);
        if p.foreign_skipped > 0 {
            facts.push(("foreign_layers_skipped".into(), p.foreign_skipped.to_string()));
        }
        facts.push(("read_back".into(), "the registry serves this digest".into()));
    }
    if let Some(p) = &copied.pulled {
        let how = if from_registry { "downloaded" } else { "copied" };
        facts.extend([
            ("digest".into(), p.digest.clone()),
            (format!("blobs_{how}"), p.blobs.to_string()),
            (format!("bytes_{how}"), p.bytes.to_string()),
        ]);
    }
    if let Some(w) = &copied.written {
        facts.push(("written".into(), w.display().to_string()));
    }
    facts.extend([
        ("tokens_fetched".into(), c.stats.tokens_fetched.load(Relaxed).to_string()),
        ("reauthentications".into(), c.stats.reauthentications.load(Relaxed).to_string()),
        ("retries".into(), c.stats.retries.load(Relaxed).to_string()),
        ("redirects_renewed".into(), c.stats.redirects_renewed.load(Relaxed).to_string()),
        ("seconds".into(), format!("{:.1}", started.elapsed().as_secs_f64())),
    ]);
    report.checked.push(Checked::new(dst.shown(), kind, facts));
    if let Some(v) = copied.verified {
        report.findings.extend(v.findings);
    }
}

/// The TLS settings of `shipcheck image docker://…` (`--tls-verify`, `--cert-dir`), set once
/// by the command; `check` and anything else that verifies a registry image use the defaults.
static REMOTE_TLS: std::sync::OnceLock<TlsOptions> = std::sync::OnceLock::new();

pub(crate) fn set_remote_tls(options: TlsOptions) {
    let _ = REMOTE_TLS.set(options);
}

/// `shipcheck image docker://…`.
pub(crate) fn verify_remote_into(
    report: &mut Report,
    source: &str,
    opts: &VerifyOptions,
    engines: &[&'static shipcheck_image::engine::Profile],
    settings: &Settings,
) {
    let reference = match Reference::parse(source.trim_start_matches("docker://")) {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(InputError { input: source.to_string(), message: e.to_string() });
            return;
        }
    };
    let c = Client::default().with_tls(REMOTE_TLS.get().cloned().unwrap_or_default());
    let bar = progress::wanted().then(|| progress::Progress::start(source, None, c.stats.bytes_received.clone()));
    let enabled = |id: &str| settings.enabled(id);
    let result = shipcheck_registry::remote::verify_with(&c, &reference, source, opts, 4, &enabled);
    drop(bar);
    match result {
        Ok(v) => {
            let mut checked = Checked::new(source, v.kind.clone(), v.facts.clone());
            if !engines.is_empty() {
                crate::image::add_engines(
                    &mut checked,
                    report,
                    settings,
                    shipcheck_image::engine::report(&v, source, engines),
                );
            }
            report.checked.push(checked);
            report.findings.extend(v.findings);
        }
        Err(e) => report.errors.push(InputError { input: source.to_string(), message: e.to_string() }),
    }
}
