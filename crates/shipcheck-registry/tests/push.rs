//! Pushes, copies and pulls against a real registry: Debian's docker-registry (distribution 2.8)
//! started here on loopback in a temp dir — anonymous, with htpasswd basic auth, and with token
//! auth against a token server that issues 2-second JWTs — with a proxy in between that
//! throttles uploads and injects faults. Without docker-registry or skopeo the tests skip,
//! except under CI=true, where they fail.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use shipcheck_image::source::SourceSpec;
use shipcheck_image::VerifyOptions;
use shipcheck_registry::auth::Credential;
use shipcheck_registry::client::RetryPolicy;
use shipcheck_registry::testing::{
    available, htpasswd, layout, push_layout, tokens_used, Auth, Fault, FaultKind, Proxy, Registry, TokenServer,
};
use shipcheck_registry::transfer::{self, Options};
use shipcheck_registry::{Client, Reference};

const MIB: usize = 1 << 20;

fn reference(host: &str, rest: &str) -> Reference {
    Reference::parse(&format!("{host}/{rest}")).unwrap()
}

/// A client with short backoffs, so fault tests do not wait long.
fn client() -> Client {
    let mut c = Client::new(Duration::from_secs(20));
    c.retry = RetryPolicy { attempts: 4, base: Duration::from_millis(50) };
    c
}

#[test]
fn push_to_anonymous_registry_then_rerun_uploads_nothing() {
    if !available() {
        return;
    }
    let reg = Registry::start(None);
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 3, 3 * MIB, 1);
    let dest = reference(&reg.host, "team/app:1.0");
    let c = client();
    let opts = Options { jobs: 3, chunk: 2 << 20 };
    let first = push_layout(&c, &src, &dest, &opts).unwrap();
    assert_eq!((first.blobs_uploaded, first.blobs_present), (4, 0), "{first:?}");
    assert_eq!(first.manifests, 1);
    // The registry serves the same manifest digest, and skopeo reads the image back.
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--raw", &format!("docker://{dest}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(shipcheck_registry::client::sha256_digest(&out.stdout), first.digest);
    // A second push finds every blob present.
    let again = push_layout(&c, &src, &dest, &opts).unwrap();
    assert_eq!((again.blobs_uploaded, again.blobs_present, again.bytes_uploaded), (0, 4, 0), "{again:?}");
}

/// Token auth, tokens the registry accepts for 2 s, uploads throttled so the push takes ~8 s.
fn token_setup(claimed: u64) -> (TokenServer, Registry, Proxy) {
    let tokens = TokenServer::start(Duration::from_secs(2), claimed, Some(("ci", "tok-pass")));
    let reg = Registry::with(Auth::Token(&tokens), None);
    let proxy = Proxy::start();
    proxy.forward_to(&reg);
    proxy.throttle(Some(512 << 10));
    (tokens, reg, proxy)
}

fn with_credentials(c: &Client, host: &str) {
    c.set_credential(host, Some(Credential { username: "ci".into(), secret: "tok-pass".into() }));
}

#[test]
fn tokens_expire_several_times_mid_push_and_are_refreshed_before_they_do() {
    if !available() {
        return;
    }
    let (tokens, _reg, proxy) = token_setup(2);
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 4, 2 * MIB, 2);
    let c = client();
    with_credentials(&c, &proxy.host);
    let started = Instant::now();
    let pushed = push_layout(&c, &src, &reference(&proxy.host, "team/slow:1"), &Options { jobs: 2, chunk: 1 << 20 })
        .unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    assert_eq!(pushed.blobs_uploaded, 5, "{pushed:?}");
    let log = proxy.log();
    let issued = tokens.issued();
    // The push outlived its first token several times over…
    assert!(took > Duration::from_secs(6), "the throttled push took {took:?}");
    let used = tokens_used(&log);
    assert!(used.len() >= 3 && issued.len() >= 3, "{} tokens used, {} issued in {took:?}", used.len(), issued.len());
    // …and no request went out with a token the registry would no longer accept.
    for l in log.iter().filter(|l| l.token.is_some()) {
        let t = issued.iter().find(|i| Some(&i.token) == l.token.as_ref()).expect("a token the server issued");
        assert!(
            l.started < t.valid_until,
            "{} {} sent {:?} after its token expired",
            l.method,
            l.path,
            l.started - t.valid_until
        );
    }
    // The only 401s are the first challenge of each upload thread: none mid-push.
    let unauthorized: Vec<String> = log
        .iter()
        .filter(|l| l.status == 401)
        .map(|l| {
            let age =
                l.token.as_ref().and_then(|t| issued.iter().find(|i| &i.token == t)).map(|i| l.started - i.issued);
            format!("{} {} token age {age:?}", l.method, l.path)
        })
        .collect();
    assert!(unauthorized.len() <= 2, "{} 401s: {unauthorized:#?}", unauthorized.len());
    assert_eq!(c.stats.reauthentications.load(Ordering::Relaxed), 0);
}

#[test]
fn a_token_that_expires_early_is_renewed_and_only_the_refused_request_is_retried() {
    if !available() {
        return;
    }
    // The token server says 60 s, but the registry stops accepting its tokens after 2 s: the
    // client's refresh-ahead cannot help, so requests are refused mid-push.
    let (_tokens, _reg, proxy) = token_setup(60);
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 3, 2 * MIB, 3);
    let c = client();
    with_credentials(&c, &proxy.host);
    let pushed = push_layout(&c, &src, &reference(&proxy.host, "team/early:1"), &Options { jobs: 2, chunk: 1 << 20 })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pushed.blobs_uploaded, 4, "{pushed:?}");
    assert_eq!(pushed.restarted, 0, "no blob started over: {pushed:?}");
    let log = proxy.log();
    let refused: Vec<_> = log.iter().filter(|l| l.status == 401 && l.token.is_some()).collect();
    assert!(!refused.is_empty(), "the registry refused no aged token");
    assert_eq!(c.stats.reauthentications.load(Ordering::Relaxed), refused.len());
    // A refused upload request sent (almost) none of its 1 MiB body — it went with
    // `Expect: 100-continue`; distribution 2.8 answers 100 and refuses a few KiB later — and
    // went again.
    for r in &refused {
        assert!(r.sent < 64 << 10, "{} {} sent {} bytes before its 401", r.method, r.path, r.sent);
        let again = log
            .iter()
            .filter(|l| l.method == r.method && l.path == r.path && l.query == r.query && l.status != 401)
            .count();
        assert!(again >= 1, "{} {} was not retried", r.method, r.path);
    }
    let uploaded: u64 = log.iter().filter(|l| matches!(l.method.as_str(), "PATCH" | "PUT")).map(|l| l.sent).sum();
    let image: u64 =
        std::fs::read_dir(src.join("blobs/sha256")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    let slack = refused.len() as u64 * (64 << 10);
    assert!(uploaded <= image + slack, "{uploaded} bytes uploaded for an image of {image}: something went twice");
}

fn fault(method: &'static str, path: &str, skip: usize, times: usize, kind: FaultKind) -> Fault {
    Fault { method, path: path.to_string(), skip, times, kind }
}

fn anonymous_behind_proxy() -> (Registry, Proxy) {
    let reg = Registry::start(None);
    let proxy = Proxy::start();
    proxy.forward_to(&reg);
    (reg, proxy)
}

/// Bytes of request bodies the proxy passed on for uploads (PATCH and PUT of blobs).
fn upload_bytes(log: &[shipcheck_registry::testing::Logged]) -> u64 {
    log.iter().filter(|l| l.path.contains("/blobs/uploads/")).map(|l| l.sent).sum()
}

#[test]
fn an_upload_cut_off_mid_chunk_starts_over_in_a_new_session() {
    if !available() {
        return;
    }
    let (_reg, proxy) = anonymous_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 1, 4 * MIB, 4);
    // Two chunks arrive whole; the third is cut off 300 KiB in. distribution 2.8 keeps the
    // partial bytes, then cancels the session because its size no longer matches the offset
    // its upload URL records ("upload resumed at wrong offset"): the blob starts over.
    proxy.inject(fault("PATCH", "/blobs/uploads/", 2, 1, FaultKind::ResetUpload { after: 300 << 10 }));
    let c = client();
    let pushed = push_layout(&c, &src, &reference(&proxy.host, "team/cut:1"), &Options { jobs: 1, chunk: 1 << 20 })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((pushed.blobs_uploaded, pushed.restarted), (2, 1), "{pushed:?}");
    let log = proxy.log();
    let status = log.iter().find(|l| l.method == "GET" && l.path.contains("/blobs/uploads/")).expect("a status query");
    assert_eq!(status.status, 404, "the session was cancelled");
}

#[test]
fn a_registry_restarted_between_chunks_resumes_from_the_offset_it_reports() {
    if !available() {
        return;
    }
    let (reg, proxy) = anonymous_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 1, 4 * MIB, 5);
    // The registry dies as the third chunk's request arrives, before any of its body: the
    // upload is consistent at 2 MiB. The upload URL survives the restart (fixed http.secret).
    proxy.inject(fault("PATCH", "/blobs/uploads/", 2, 1, FaultKind::KillRegistry { after: 0 }));
    let mut c = client();
    c.retry = RetryPolicy { attempts: 6, base: Duration::from_millis(100) };
    let reg = std::sync::Mutex::new(reg);
    let pushed = std::thread::scope(|s| {
        s.spawn(|| {
            // Restart it once the fault has fired.
            let deadline = Instant::now() + Duration::from_secs(20);
            while !proxy.log().iter().any(|l| l.fault.is_some()) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let mut reg = reg.lock().unwrap();
            reg.restart();
            proxy.forward_to(&reg);
        });
        push_layout(&c, &src, &reference(&proxy.host, "team/restart:1"), &Options { jobs: 1, chunk: 1 << 20 })
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((pushed.resumed, pushed.restarted), (1, 0), "{pushed:?}");
    let layer = std::fs::read_dir(src.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .max()
        .unwrap();
    let sent = upload_bytes(&proxy.log());
    assert!(sent < layer + 4096, "{sent} bytes sent for a {layer}-byte layer and a small config: some went twice");
}

#[test]
fn a_rerun_after_the_registry_died_mid_push_uploads_only_what_is_missing() {
    if !available() {
        return;
    }
    let (reg, proxy) = anonymous_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 4, 2 * MIB, 6);
    let dest = reference(&proxy.host, "team/resume:1");
    // One blob at a time, largest first, each layer a little over 2 MiB (three chunks): the
    // seventh PATCH is the third layer's first chunk.
    proxy.inject(fault("PATCH", "/blobs/uploads/", 6, 1, FaultKind::KillRegistry { after: 256 << 10 }));
    let c = client();
    let opts = Options { jobs: 1, chunk: 1 << 20 };
    let e = push_layout(&c, &src, &dest, &opts).unwrap_err();
    assert!(e.to_string().contains("cannot reach the registry"), "{e}");
    let committed: Vec<String> = proxy
        .log()
        .iter()
        .filter(|l| l.method == "PUT" && l.status == 201 && l.query.contains("digest="))
        .map(|l| l.query.split("digest=").nth(1).unwrap().to_string())
        .collect();
    assert_eq!(committed.len(), 2, "two layers were finished before the registry died");
    let mut reg = reg;
    reg.restart();
    proxy.forward_to(&reg);
    proxy.clear_log();
    let pushed = push_layout(&c, &src, &dest, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((pushed.blobs_present, pushed.blobs_uploaded), (2, 3), "{pushed:?}");
    let log = proxy.log();
    for d in &committed {
        let d = d.replace("%3A", ":");
        assert!(
            log.iter().any(|l| l.method == "HEAD" && l.path.ends_with(&d) && l.status == 200),
            "{d} not found present"
        );
        assert!(
            !log.iter().any(|l| l.method == "PUT" && l.query.replace("%3A", ":").contains(&d)),
            "{d} uploaded again"
        );
    }
}

#[test]
fn rate_limits_and_server_errors_are_retried_with_retry_after_and_backoff() {
    if !available() {
        return;
    }
    let (_reg, proxy) = anonymous_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 2, MIB, 7);
    proxy.inject(fault("HEAD", "/blobs/", 0, 1, FaultKind::Status { code: 429, retry_after: Some(1) }));
    proxy.inject(fault("PUT", "/manifests/", 0, 2, FaultKind::Status { code: 500, retry_after: None }));
    proxy.inject(fault("POST", "/blobs/uploads/", 0, 1, FaultKind::Status { code: 503, retry_after: None }));
    let c = client();
    let started = Instant::now();
    let pushed = push_layout(&c, &src, &reference(&proxy.host, "team/flaky:1"), &Options { jobs: 1, chunk: 0 })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pushed.blobs_uploaded, 3);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was not waited for");
    assert!(c.stats.retries.load(Ordering::Relaxed) >= 4);
    let log = proxy.log();
    assert_eq!(log.iter().filter(|l| l.fault.is_some()).count(), 4);
    // A registry that keeps failing: a bounded number of attempts, then its error.
    proxy.inject(fault("HEAD", "/blobs/", 0, 100, FaultKind::Status { code: 502, retry_after: None }));
    let e = push_layout(&c, &src, &reference(&proxy.host, "team/flaky:2"), &Options::default()).unwrap_err();
    assert_eq!(e.status, Some(502), "{e}");
}

#[test]
fn truncated_responses_are_fetched_again_and_corrupted_content_is_never_accepted() {
    if !available() {
        return;
    }
    let (_reg, proxy) = anonymous_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 2, MIB, 8);
    let r = reference(&proxy.host, "team/pull:1");
    let c = client();
    let pushed = push_layout(&c, &src, &r, &Options::default()).unwrap();
    // A manifest body and a layer body cut short: fetched again (the layer from where it broke).
    proxy.inject(fault("GET", "/manifests/", 0, 1, FaultKind::Truncate { after: 40 }));
    proxy.inject(fault("GET", "/blobs/sha256:", 0, 1, FaultKind::Truncate { after: 100 << 10 }));
    let g = transfer::fetch_graph(&c, &r).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.top().unwrap().digest, pushed.digest);
    let out = dir.path().join("pulled");
    let pulled = transfer::pull_to_layout(&c, &r, &g, &out, Some("1"), 2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pulled.blobs, 3);
    let spec = SourceSpec::parse(&format!("oci:{}", out.display())).unwrap();
    let v = shipcheck_image::verify(&spec, &VerifyOptions::default()).unwrap();
    assert!(v.findings.iter().all(|f| f.severity != shipcheck_report::Severity::Error), "{:#?}", v.findings);
    // A proxy that flips a byte of a layer: the pull fails and keeps nothing of it.
    proxy.inject(fault("GET", "/blobs/sha256:", 0, 100, FaultKind::Corrupt));
    let bad = dir.path().join("bad");
    let e = transfer::pull_to_layout(&c, &r, &g, &bad, Some("1"), 1).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("DIGEST_INVALID"), "{e}");
    let kept: Vec<_> = std::fs::read_dir(bad.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| g.blobs.iter().any(|b| b.digest.ends_with(n.trim_end_matches(".part"))))
        .collect();
    assert!(kept.is_empty(), "corrupted blobs were kept: {kept:?}");
    // A corrupted manifest, by tag: its bytes do not match the registry's Docker-Content-Digest.
    proxy.inject(fault("GET", "/manifests/", 0, 100, FaultKind::Corrupt));
    let e = c.manifest(&r).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("DIGEST_INVALID"), "{e}");
}

#[test]
fn an_expired_redirect_url_is_requested_anew_from_the_registry() {
    if !available() {
        return;
    }
    let proxy = Proxy::start();
    // Blob GETs answer 307 to a storage URL (distribution's redirect middleware), which the
    // proxy serves from the registry's storage, as object storage would.
    let reg = Registry::with(Auth::None, Some(&format!("http://{}", proxy.host)));
    proxy.forward_to(&reg);
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 1, MIB, 9);
    let r = reference(&proxy.host, "team/redirect:1");
    let c = client();
    push_layout(&c, &src, &r, &Options::default()).unwrap();
    // The first two storage URLs have "expired".
    proxy.inject(fault("GET", "/docker/registry/v2/blobs/", 0, 2, FaultKind::Status { code: 403, retry_after: None }));
    let g = transfer::fetch_graph(&c, &r).unwrap();
    transfer::pull_to_layout(&c, &r, &g, &dir.path().join("out"), None, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.stats.redirects_renewed.load(Ordering::Relaxed), 2);
    let log = proxy.log();
    let redirects = log.iter().filter(|l| l.status == 307).count();
    assert_eq!(redirects, 2 + 2, "one redirect per blob, and one more for each expired URL");
    // The registry's token never goes to storage.
    assert!(log.iter().filter(|l| l.path.starts_with("/docker/")).all(|l| l.token.is_none()));
}

#[test]
fn basic_auth_push_and_a_clear_error_for_wrong_credentials() {
    if !available() {
        return;
    }
    let reg = Registry::start(Some(&htpasswd("ci", "s3cret-pass")));
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 1, MIB, 10);
    let r = reference(&reg.host, "team/basic:1");
    let wrong = client();
    wrong.set_credential(&reg.host, Some(Credential { username: "ci".into(), secret: "wrong-pass".into() }));
    let e = push_layout(&wrong, &src, &r, &Options::default()).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("UNAUTHORIZED"), "{e}");
    assert!(!format!("{e} {e:?}").contains("wrong-pass"));
    let c = client();
    c.set_credential(&reg.host, Some(Credential { username: "ci".into(), secret: "s3cret-pass".into() }));
    let pushed = push_layout(&c, &src, &r, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pushed.blobs_uploaded, 2);
}

#[test]
fn copy_within_a_registry_mounts_every_blob() {
    if !available() {
        return;
    }
    let (_reg, proxy) = anonymous_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 3, MIB, 11);
    let c = client();
    let from = reference(&proxy.host, "team/source:1");
    push_layout(&c, &src, &from, &Options::default()).unwrap();
    proxy.clear_log();
    let g = transfer::fetch_graph(&c, &from).unwrap();
    let source = transfer::RegistrySource { client: &c, reference: from.clone() };
    let to = reference(&proxy.host, "other/copy:2");
    let pushed = transfer::push(&c, &to, &g, &source, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((pushed.blobs_mounted, pushed.blobs_uploaded), (4, 0), "{pushed:?}");
    assert_eq!(upload_bytes(&proxy.log()), 0, "nothing was uploaded");
    assert!(
        proxy.log().iter().all(|l| !(l.method == "GET" && l.path.contains("/blobs/sha256:"))),
        "nothing was downloaded"
    );
}
