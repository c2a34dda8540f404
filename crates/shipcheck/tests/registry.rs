//! `shipcheck push`, `shipcheck copy` and `shipcheck image docker://…` end to end, against
//! Debian's docker-registry (distribution 2.8) started on loopback by the test harness. Images
//! pulled back are checked by skopeo and by the verifier. Without docker-registry or skopeo
//! the tests skip, except under CI=true, where they fail. The hostile-registry tests at the end
//! need neither: their registry is a small server in the test (`testing::Hostile`).

use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use shipcheck_registry::testing::{
    available, echoes_credentials, htpasswd, layout, upload_host, uploads_elsewhere, Canned, Hostile, Registry,
};

fn shipcheck() -> Command {
    Command::cargo_bin("shipcheck").unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn facts(v: &serde_json::Value) -> &serde_json::Value {
    &v["checked"][0]["facts"]
}

#[test]
fn push_verify_copy_and_pull_through_the_cli() {
    if !available() {
        return;
    }
    let reg = Registry::start(None);
    let dangerzone = root().join("examples/incidents/dangerzone-podman3/container.tar");
    let dest = format!("docker://{}/dz/dangerzone:0.8.0", reg.host);
    let out = shipcheck().arg("push").arg(&dangerzone).arg(&dest).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let pushed = json(&out);
    let digest = facts(&pushed)["digest"].as_str().unwrap().to_string();
    assert_eq!(facts(&pushed)["blobs_uploaded"], "3");
    // skopeo reads back what shipcheck pushed.
    let raw = Std::new("skopeo").args(["inspect", "--tls-verify=false", "--raw", &dest]).output().unwrap();
    assert!(raw.status.success(), "{}", String::from_utf8_lossy(&raw.stderr));
    assert_eq!(shipcheck_registry::client::sha256_digest(&raw.stdout), digest);
    // Pushing again uploads nothing.
    let again = json(&shipcheck().arg("push").arg(&dangerzone).arg(&dest).args(["--format", "json"]).output().unwrap());
    assert_eq!(
        (facts(&again)["blobs_uploaded"].as_str(), facts(&again)["blobs_present"].as_str()),
        (Some("0"), Some("3"))
    );

    // The remote image verifies clean, in full and --fast.
    for extra in [&[][..], &["--fast"][..]] {
        let out = shipcheck().arg("image").arg(&dest).args(extra).args(["--format", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        let v = json(&out);
        assert_eq!(v["checked"][0]["kind"], "registry");
        assert_eq!(facts(&v)["digest"], digest.as_str());
        assert_eq!(facts(&v)["platforms"], "linux/amd64");
    }
    // A tag the registry does not have cannot be checked (exit 2), with the registry's code.
    let out = shipcheck().arg("image").arg(format!("docker://{}/dz/dangerzone:nope", reg.host)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("MANIFEST_UNKNOWN"));

    // Copy within the registry mounts; to local forms, pulls and verifies.
    let other = format!("docker://{}/other/dangerzone:1", reg.host);
    let copied = json(&shipcheck().args(["copy", &dest, &other, "--format", "json"]).output().unwrap());
    assert_eq!(facts(&copied)["blobs_mounted"], "3", "{copied:#}");
    let dir = tempfile::tempdir().unwrap();
    for (form, name) in [("oci", "layout"), ("oci-archive", "image.oci.tar"), ("docker-archive", "image.docker.tar")] {
        let target = dir.path().join(name);
        let out = shipcheck().args(["copy", &other]).arg(format!("{form}:{}", target.display())).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{form}: {}", String::from_utf8_lossy(&out.stdout));
        let v = json(
            &shipcheck()
                .arg("image")
                .arg(format!("{form}:{}", target.display()))
                .args(["--format", "json"])
                .output()
                .unwrap(),
        );
        assert!(v["findings"].as_array().unwrap().iter().all(|f| f["severity"] != "error"), "{form}: {v:#}");
    }
    // Local to local: an OCI layout byte for byte (the same manifest digest as pushed).
    let local = dir.path().join("local-layout");
    let out = shipcheck().arg("copy").arg(&dangerzone).arg(format!("oci:{}", local.display())).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(local.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], digest.as_str());
    // Copying onto an existing layout adds to it, as skopeo does: the same name is replaced,
    // not listed twice; an existing archive file is refused without --overwrite.
    let out = shipcheck().arg("copy").arg(&dangerzone).arg(format!("oci:{}", local.display())).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(local.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index:#}");
    let archive = dir.path().join("local.tar");
    std::fs::write(&archive, "keep").unwrap();
    let out =
        shipcheck().arg("copy").arg(&dangerzone).arg(format!("oci-archive:{}", archive.display())).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&archive).unwrap(), b"keep");
}

#[test]
fn a_damaged_source_is_refused_and_nothing_is_pushed() {
    if !available() {
        return;
    }
    let reg = Registry::start(None);
    let corrupt = root().join("examples/incidents/corrupt-layer/app.tar");
    let dest = format!("docker://{}/bad/app:1", reg.host);
    // Structure-only verification passes; the layer's bytes are caught as they are sent.
    let out = shipcheck().arg("push").arg(&corrupt).arg(&dest).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not pushed") && text.contains("nothing was committed"), "{text}");
    // With --verify, the damage is found first and reported as findings.
    let out = shipcheck().arg("push").arg(&corrupt).arg(&dest).args(["--verify", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "image/diff-id-mismatch" || f["rule"] == "image/blob-digest-mismatch"),
        "{v:#}"
    );
    // The registry has no such tag.
    let out = shipcheck().arg("image").arg(&dest).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn credentials_from_flags_and_auth_files_and_never_in_output() {
    if !available() {
        return;
    }
    let reg = Registry::start(Some(&htpasswd("ci", "s3cret-pass")));
    let src = root().join("examples/incidents/dangerzone-podman3/container.tar");
    let dest = format!("docker://{}/team/app:1", reg.host);
    let out = shipcheck().arg("push").arg(&src).arg(&dest).args(["--creds", "ci:wrong-pass"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("UNAUTHORIZED") && !text.contains("wrong-pass"), "{text}");
    shipcheck().arg("push").arg(&src).arg(&dest).args(["--creds", "ci:s3cret-pass"]).assert().code(0);
    // An auth.json as podman login writes it.
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.json");
    let credential = shipcheck_registry::auth::Credential { username: "ci".into(), secret: "s3cret-pass".into() };
    let encoded = credential.basic_header().trim_start_matches("Basic ").to_string();
    std::fs::write(&auth, format!(r#"{{"auths":{{"{}":{{"auth":"{encoded}"}}}}}}"#, reg.host)).unwrap();
    let out = shipcheck()
        .args(["image", &dest, "--format", "json"])
        .env("REGISTRY_AUTH_FILE", &auth)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = shipcheck()
        .args(["copy", &dest])
        .arg(format!("oci:{}", dir.path().join("pulled").display()))
        .arg("--authfile")
        .arg(&auth)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}

/// Every path under `dir`, relative.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            out.push(e.path().strip_prefix(dir).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn a_hostile_registry_cannot_write_outside_the_destination() {
    let root = tempfile::tempdir().unwrap();
    let victim = root.path().join("victim.json");
    // A layer is written as `<path>.part` first: the `.part` file is a victim too.
    for path in [&victim, &root.path().join("victim.part")] {
        std::fs::write(path, "original").unwrap();
    }
    let escapes = [
        format!("{}{}", "../".repeat(30), victim.display()),
        // Exactly `sha256:` and 64 characters, as a length check alone would accept.
        format!("sha256:{}../../../../../victim.json", "./".repeat(19)),
    ];
    for bad in &escapes {
        for canned in [Canned::index(bad), Canned::image(b"layer".to_vec(), Some(bad))] {
            let server = Hostile::start("127.0.0.1", move |seen| canned.reply(seen));
            let src = format!("docker://{}/app:1", server.host);
            for dest in ["oci:out/layout", "oci-archive:out/image.tar", "docker-archive:out/image.docker.tar"] {
                let (form, name) = dest.split_once(':').unwrap();
                let target = format!("{form}:{}", root.path().join(name).display());
                let out = shipcheck().args(["copy", &src, &target]).output().unwrap();
                assert_eq!(out.status.code(), Some(2), "{dest}: {}", text(&out));
                assert!(text(&out).contains("is not a digest"), "{dest}: {}", text(&out));
                assert_eq!(std::fs::read_to_string(&victim).unwrap(), "original");
                assert_eq!(std::fs::read_to_string(root.path().join("victim.part")).unwrap(), "original");
                assert_eq!(tree(root.path()), ["out", "victim.json", "victim.part"], "{bad} {dest}");
            }
        }
    }
}

#[test]
fn push_sends_no_credential_to_an_upload_location_on_another_host() {
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 1, 4096, 3);
    let elsewhere = Hostile::start("127.0.0.2", upload_host);
    let registry = uploads_elsewhere(false, elsewhere.host.clone());
    let dest = format!("docker://{}/team/app:1", registry.host);
    let out = shipcheck()
        .arg("push")
        .arg(format!("oci:{}", src.display()))
        .arg(&dest)
        .args(["--creds", "ci:hunter2-password"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let there = elsewhere.seen();
    assert!(!there.is_empty());
    assert!(there.iter().all(|s| s.header("authorization").is_none()), "{there:?}");
}

#[test]
fn a_registry_error_echoing_the_password_is_masked_in_every_format() {
    const PASSWORD: &str = "Sup3r-Secret-pw";
    let server = Hostile::start("127.0.0.1", echoes_credentials(PASSWORD));
    let src = format!("docker://{}/app:1", server.host);
    let encoded =
        shipcheck_registry::auth::Credential { username: "ci".into(), secret: PASSWORD.into() }.basic_header();
    let encoded = encoded.trim_start_matches("Basic ").to_string();
    let dir = tempfile::tempdir().unwrap();
    for format in ["human", "json", "sarif", "github"] {
        let dest = format!("oci:{}", dir.path().join(format).display());
        let copied = shipcheck()
            .args(["copy", &src, &dest, "--src-creds", &format!("ci:{PASSWORD}"), "--format", format])
            .output()
            .unwrap();
        let verified = shipcheck()
            .args(["image", &src, "--format", format])
            .env("SHIPCHECK_REGISTRY_USERNAME", "ci")
            .env("SHIPCHECK_REGISTRY_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        for out in [copied, verified] {
            let shown = text(&out);
            assert_eq!(out.status.code(), Some(2), "{format}: {shown}");
            assert!(shown.contains("DENIED"), "{format}: {shown}");
            assert!(!shown.contains(PASSWORD) && !shown.contains(&encoded), "{format}: {shown}");
            assert!(!shown.contains('\u{1b}'), "{format}: {shown}");
        }
    }
}

#[test]
fn a_trickling_blob_aborts_the_copy_in_bounded_time_and_leaves_nothing() {
    let canned = Canned::trickling(4096, Duration::from_secs(1));
    let server = Hostile::start("127.0.0.1", move |seen| canned.reply(seen));
    let root = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = shipcheck()
        .args(["copy", &format!("docker://{}/app:1", server.host)])
        .arg(format!("oci:{}", root.path().join("out").display()))
        .args(["--min-rate", "1", "--rate-window", "2"])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("too slow"), "{}", text(&out));
    assert_eq!(tree(root.path()), Vec::<String>::new());
}

#[test]
fn sigterm_during_a_copy_from_a_registry_leaves_no_scratch_behind() {
    let canned = Canned::trickling(4096, Duration::from_millis(200));
    let server = Hostile::start("127.0.0.1", move |seen| canned.reply(seen));
    let root = tempfile::tempdir().unwrap();
    let mut child = Std::new(assert_cmd::cargo::cargo_bin("shipcheck"))
        .args(["copy", &format!("docker://{}/app:1", server.host)])
        .arg(format!("oci:{}", root.path().join("out").display()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the copy has its work directory, then stop it as a CI runner would.
    let deadline = Instant::now() + Duration::from_secs(20);
    while tree(root.path()).iter().all(|f| !f.starts_with(".shipcheck-")) {
        assert!(Instant::now() < deadline, "no work directory appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    Std::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143));
    assert_eq!(tree(root.path()), Vec::<String>::new());
}

/// A registry behind TLS with a CA made in the test (distribution 2.8, `http.tls`): refused
/// with a TLS error naming the host until the CA is trusted, then pushed to and copied from
/// with `--cert-dir`, with `SSL_CERT_FILE`, with a certs.d/HOST:PORT directory (also for
/// `image docker://…`), with copy's `--src-cert-dir`/`--src-tls-verify`, and with
/// `--tls-verify=false` (a warning on stderr).
#[test]
fn a_registry_behind_a_private_ca_is_trusted_through_cert_dir_or_certs_d() {
    if !available() {
        return;
    }
    let tls = Registry::with_tls(false);
    let (reg, ca) = (&tls.registry, &tls.ca);
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-certs.d");
    let dangerzone = root().join("examples/incidents/dangerzone-podman3/container.tar");
    let dest = format!("docker://{}/tls/dangerzone:1", reg.host);
    let push = || {
        let mut c = shipcheck();
        c.env("SHIPCHECK_CERTS_D", &nowhere).arg("push").arg(&dangerzone).arg(&dest);
        c
    };

    // Not trusted: exit 2, the host and the way out named.
    let out = push().output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(&format!("TLS with {} failed", reg.host)) && text.contains("--cert-dir"), "{text}");

    // --cert-dir holding the CA.
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), ca).unwrap();
    let out = push().arg("--cert-dir").arg(&certs).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // The system trust store as OpenSSL's variables name it: SSL_CERT_FILE alone.
    let out = push().env("SSL_CERT_FILE", certs.join("ca.crt")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // certs.d/HOST:PORT: copy back out of the registry, and verify it in place.
    let base = dir.path().join("certs.d");
    std::fs::create_dir_all(base.join(&reg.host)).unwrap();
    std::fs::write(base.join(&reg.host).join("ca.crt"), ca).unwrap();
    let layout = dir.path().join("layout");
    let out = shipcheck()
        .env("SHIPCHECK_CERTS_D", &base)
        .args(["copy", &dest])
        .arg(format!("oci:{}", layout.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(layout.join("index.json").exists());
    let out = shipcheck().env("SHIPCHECK_CERTS_D", &base).args(["image", &dest]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // `image` takes --cert-dir too.
    let out = shipcheck().env("SHIPCHECK_CERTS_D", &nowhere).args(["image", &dest]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let out = shipcheck()
        .env("SHIPCHECK_CERTS_D", &nowhere)
        .args(["image", &dest])
        .arg("--cert-dir")
        .arg(&certs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // skopeo copy's per-end flags: --src-cert-dir trusts the source's CA; --dest-cert-dir is
    // for a registry destination only; --src-tls-verify=false turns the source's off.
    let copy = |extra: &[&str], to: &str| {
        let target = format!("oci:{}", dir.path().join(to).display());
        shipcheck().env("SHIPCHECK_CERTS_D", &nowhere).args(["copy", &dest, &target]).args(extra).output().unwrap()
    };
    let certs_arg = certs.to_str().unwrap();
    let out = copy(&["--src-cert-dir", certs_arg], "by-src-cert-dir");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = copy(&["--dest-cert-dir", certs_arg], "by-dest-cert-dir");
    assert_eq!(out.status.code(), Some(2));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("which is not a registry"), "{said}");
    let out = copy(&["--src-tls-verify=false"], "unverified");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: --tls-verify=false"));

    // --tls-verify=false: works, and says so.
    let out = push().arg("--tls-verify=false").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: --tls-verify=false"), "{err}");
}

/// A registry that requires a client certificate (`http.tls.clientcas`): refused with the CA
/// alone, accepted with `NAME.cert` + `NAME.key` beside it in a certs.d/HOST:PORT directory;
/// a `.cert` without its `.key` is an error naming the file.
#[test]
fn a_client_certificate_from_certs_d_is_presented() {
    if !available() {
        return;
    }
    let tls = Registry::with_tls(true);
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("certs.d");
    let host_dir = base.join(&tls.registry.host);
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::write(host_dir.join("ca.crt"), &tls.ca).unwrap();
    let dangerzone = root().join("examples/incidents/dangerzone-podman3/container.tar");
    let dest = format!("docker://{}/mtls/dangerzone:1", tls.registry.host);
    let push = || {
        let mut c = shipcheck();
        c.env("SHIPCHECK_CERTS_D", &base).arg("push").arg(&dangerzone).arg(&dest);
        c
    };
    let out = push().output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(&format!("TLS with {} failed", tls.registry.host)), "{text}");

    std::fs::write(host_dir.join("client.cert"), &tls.client_cert).unwrap();
    let out = push().output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("client.cert: a client certificate without its key"), "{text}");

    std::fs::write(host_dir.join("client.key"), &tls.client_key).unwrap();
    let out = push().output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A registry outside loopback is spoken to over HTTPS only: a plain-HTTP one is refused
/// (exit 2, nothing sent in clear) unless --tls-verify=false is given, and then it works.
#[test]
fn plain_http_outside_loopback_only_with_tls_verify_false() {
    if !available() {
        return;
    }
    let Some(ip) = shipcheck_registry::testing::non_loopback_ip() else {
        eprintln!("skipping: this machine has no address outside loopback");
        return;
    };
    let reg = Registry::plain_on(&ip);
    let dangerzone = root().join("examples/incidents/dangerzone-podman3/container.tar");
    let dest = format!("docker://{}/plain/dangerzone:1", reg.host);
    let out = shipcheck().arg("push").arg(&dangerzone).arg(&dest).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(&format!("https://{}", reg.host)) && text.contains("does not seem to speak TLS"), "{text}");
    let out = shipcheck().arg("push").arg(&dangerzone).arg(&dest).arg("--tls-verify=false").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: --tls-verify=false"));
    let raw = Std::new("skopeo").args(["inspect", "--tls-verify=false", "--raw", &dest]).output().unwrap();
    assert!(raw.status.success(), "{}", String::from_utf8_lossy(&raw.stderr));
}
