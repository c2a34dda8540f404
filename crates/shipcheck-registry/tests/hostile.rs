//! Against a hostile registry: a small HTTP server on loopback (see `testing::Hostile`) that
//! answers with path-like digests, sends uploads to another host, echoes the credential in its
//! errors, and trickles a blob one byte per second. Nothing here needs docker-registry.

use std::path::Path;
use std::time::{Duration, Instant};

use shipcheck_image::source::SourceSpec;
use shipcheck_registry::auth::Credential;
use shipcheck_registry::client::{Limits, RetryPolicy};
use shipcheck_registry::copy::{copy, CopyOptions, Endpoint, Refused};
use shipcheck_registry::testing::{
    echoes_credentials, layout, push_layout, upload_host, uploads_elsewhere, Canned, Hostile,
};
use shipcheck_registry::transfer::{write_layout, Blob, Doc, Graph, Options, RegistrySource};
use shipcheck_registry::{Client, Reference};

fn client(limits: Limits) -> Client {
    let mut c = Client::with_limits(Duration::from_secs(10), limits);
    c.retry = RetryPolicy { attempts: 1, base: Duration::from_millis(10) };
    c
}

fn serve(canned: Canned) -> Hostile {
    Hostile::start("127.0.0.1", move |seen| canned.reply(seen))
}

/// Every file under `dir`, relative.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Copies `docker://HOST/app:1` to each local form under `root/out`; every copy must fail.
fn copy_fails_everywhere(host: &str, root: &Path, c: &Client) -> Vec<String> {
    let src = Endpoint::Registry(Reference::parse(&format!("{host}/app:1")).unwrap());
    let mut messages = Vec::new();
    for form in ["oci:out/layout", "oci-archive:out/image.tar", "docker-archive:out/image.docker.tar"] {
        let (transport, name) = form.split_once(':').unwrap();
        let dst = Endpoint::Local(SourceSpec::parse(&format!("{transport}:{}", root.join(name).display())).unwrap());
        match copy(c, &src, &dst, &CopyOptions::default()) {
            Err(Refused::Failed(m)) => messages.push(m),
            other => panic!("{form}: {other:?}"),
        }
    }
    messages
}

#[test]
fn path_like_digests_from_a_registry_are_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    // A layer is written as `<path>.part` first: the `.part` file is a victim too.
    for victim in ["victim.json", "victim.part"] {
        std::fs::write(root.path().join(victim), "original").unwrap();
    }
    // From `out/.shipcheck-tmp-PID-X/layout/blobs/sha256/`, four `..` reach `out/`, five the root.
    let escapes = [
        "../../../../../victim.json".to_string(),
        format!("sha256:../../../../../victim.json{}", "/.".repeat(10)),
        // Exactly `sha256:` and 64 characters, as a length check alone would accept.
        format!("sha256:{}../../../../../victim.json", "./".repeat(19)),
        format!("sha256:{}/../../../../../../../../../../../../../../../victim.json", root.path().display()),
        format!("sha256:{}\u{1b}[2J", "a".repeat(60)),
    ];
    for bad in &escapes {
        // As a child manifest of an index, and as a layer of a manifest.
        for canned in [Canned::index(bad), Canned::image(b"layer bytes".to_vec(), Some(bad))] {
            let server = serve(canned);
            let messages = copy_fails_everywhere(&server.host, root.path(), &client(Limits::default()));
            for m in &messages {
                assert!(m.contains("is not a digest"), "{bad}: {m}");
                assert!(!m.contains('\u{1b}'), "{m}");
            }
            for victim in ["victim.json", "victim.part"] {
                assert_eq!(std::fs::read_to_string(root.path().join(victim)).unwrap(), "original");
            }
            let left = files(root.path());
            assert_eq!(left, ["out", "victim.json", "victim.part"], "{bad}");
            // The registry was never asked for anything at the hostile digest.
            let asked: Vec<String> = server.seen().into_iter().map(|s| s.target).collect();
            assert!(asked.iter().all(|t| !t.contains("victim")), "{asked:?}");
        }
    }
}

#[test]
fn a_docker_content_digest_that_is_not_a_digest_is_refused() {
    let mut canned = Canned::image(b"layer".to_vec(), None);
    canned.manifest_headers.push(("Docker-Content-Digest".into(), "sha256:../../x".into()));
    let server = serve(canned);
    let c = client(Limits::default());
    let e = c.manifest(&Reference::parse(&format!("{}/app:1", server.host)).unwrap()).unwrap_err();
    assert!(e.message.contains("is not a digest") && e.code.as_deref() == Some("DIGEST_INVALID"), "{e}");
}

#[test]
fn an_upload_location_on_another_host_gets_no_credential() {
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), "app:1", 1, 4096, 7);
    for bearer in [false, true] {
        // Another host: 127.0.0.2 is loopback too, but not the registry's origin.
        let elsewhere = Hostile::start("127.0.0.2", upload_host);
        let registry = uploads_elsewhere(bearer, elsewhere.host.clone());
        let c = client(Limits::default());
        let credential = Credential { username: "ci".into(), secret: "hunter2-password".into() };
        c.set_credential(&registry.host, Some(credential));
        let dest = Reference::parse(&format!("{}/team/app:1", registry.host)).unwrap();
        let pushed = push_layout(&c, &src, &dest, &Options { jobs: 1, chunk: 0 });
        let there = elsewhere.seen();
        assert!(!there.is_empty(), "the upload went to the other host");
        for s in &there {
            assert_eq!(s.header("authorization"), None, "bearer={bearer}: {} {}", s.method, s.target);
        }
        pushed.unwrap_or_else(|e| panic!("bearer={bearer}: {e}"));
        // The registry itself did get them.
        assert!(registry.seen().iter().any(|s| s.header("authorization").is_some()));
    }
}

#[test]
fn a_registry_error_that_echoes_the_credential_shows_neither() {
    const PASSWORD: &str = "Sup3r-Secret-pw";
    let server = Hostile::start("127.0.0.1", echoes_credentials(PASSWORD));
    let c = client(Limits::default());
    c.set_credential(&server.host, Some(Credential { username: "ci".into(), secret: PASSWORD.into() }));
    let r = Reference::parse(&format!("{}/app:1", server.host)).unwrap();
    let e = c.manifest(&r).unwrap_err().to_string();
    let encoded = Credential { username: "ci".into(), secret: PASSWORD.into() }.basic_header();
    let encoded = encoded.trim_start_matches("Basic ");
    assert!(!e.contains(PASSWORD) && !e.contains(encoded), "{e}");
    assert!(!e.contains('\u{1b}') && !e.contains('\n'), "{e}");
    assert!(e.contains("DENIED"), "{e}");
}

#[test]
fn a_trickling_blob_is_abandoned_in_bounded_time_and_leaves_nothing() {
    let server = serve(Canned::trickling(4096, Duration::from_secs(1)));
    let limits = Limits { min_bytes: 1024, window: Duration::from_secs(2), ..Limits::default() };
    let c = client(limits);
    let root = tempfile::tempdir().unwrap();
    let src = Endpoint::Registry(Reference::parse(&format!("{}/app:1", server.host)).unwrap());
    let dst = Endpoint::Local(SourceSpec::parse(&format!("oci:{}", root.path().join("out").display())).unwrap());
    let started = Instant::now();
    let e = match copy(&c, &src, &dst, &CopyOptions::default()) {
        Err(Refused::Failed(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(e.contains("too slow"), "{e}");
    assert_eq!(files(root.path()), Vec::<String>::new());

    // The deadline bounds the whole operation, whatever the rate.
    let c = client(Limits { min_bytes: 0, deadline: Some(Duration::from_secs(3)), ..Limits::default() });
    let started = Instant::now();
    let e = match copy(&c, &src, &dst, &CopyOptions::default()) {
        Err(Refused::Failed(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(e.contains("deadline") || e.contains("timeout"), "{e}");
    assert_eq!(files(root.path()), Vec::<String>::new());
}

#[test]
fn the_layout_writer_refuses_a_bad_digest_even_past_the_walk() {
    // A graph built by hand, as a future caller might: the writer checks digests itself.
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("victim.part"), "original").unwrap();
    let bad = format!("sha256:{}../../../../../victim.json", "./".repeat(19));
    let canned = Canned::image(b"layer bytes".to_vec(), Some(&bad));
    let server = serve(canned.clone());
    let (_, media_type, manifest) = canned.manifests[0].clone();
    let graph = Graph {
        docs: vec![Doc::new(&media_type, manifest)],
        blobs: vec![Blob { digest: bad.clone(), size: 11, media_type: String::new(), foreign: false, config: false }],
    };
    let c = client(Limits::default());
    let source = RegistrySource { client: &c, reference: Reference::parse(&format!("{}/app:1", server.host)).unwrap() };
    let dir = root.path().join("out/work/layout");
    let e = write_layout(&graph, &source, &dir, None, 1).unwrap_err();
    assert!(e.message.contains("is not a digest"), "{e}");
    assert_eq!(std::fs::read_to_string(root.path().join("victim.part")).unwrap(), "original");
    let outside: Vec<String> = files(root.path()).into_iter().filter(|f| !f.starts_with("out")).collect();
    assert_eq!(outside, ["victim.part"]);
}
