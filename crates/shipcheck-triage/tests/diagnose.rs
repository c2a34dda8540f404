//! Diagnosis end to end on logs: ranking, facts, redaction, bounded memory, inputs.

use std::io::{Read, Write};

use shipcheck_report::{Finding, Severity};
use shipcheck_triage::input::{decoded, diagnose_reader, expand};
use shipcheck_triage::kb::Kb;

fn diagnose(log: &str) -> Vec<Finding> {
    let kb = Kb::load(&[]).unwrap();
    diagnose_reader(&kb, "job.log", log.as_bytes()).unwrap().1
}

fn root(f: &[Finding]) -> &Finding {
    f.iter().find(|f| f.severity == Severity::Error).expect("a root cause")
}

fn ev<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    f.evidence.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn mirrord_example_names_the_expired_signed_url_and_its_window() {
    let log = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/incidents/mirrord-signed-url/release.log"
    ))
    .unwrap();
    let f = diagnose(&log);
    let r = root(&f);
    assert_eq!(r.rule.id, "ci/signed-url-expired");
    assert_eq!(ev(r, "signature"), Some("azure-sas-expired"));
    assert_eq!(ev(r, "valid_for"), Some("10 min"));
    assert_eq!(ev(r, "used_after_expiry"), Some("3 min 59 s"));
    assert!(ev(r, "build_between").unwrap().starts_with("14 min"), "{:?}", r.evidence);
    assert!(ev(r, "credential_issued").unwrap().contains("cache import"));
    // Neither the retried network error nor the generic exit code is the root cause.
    assert_eq!(f.iter().filter(|f| f.severity == Severity::Error).count(), 1);
    assert!(!f.iter().any(|f| ev(f, "signature") == Some("process-exit-code")));
}

#[test]
fn the_cause_that_ended_the_job_beats_the_first_scary_line() {
    let log = "\
2024-01-01T10:00:00Z ##[group]Run docker/build-push-action@v5
2024-01-01T10:00:01Z #5 [stage-0 1/3] RUN df -h
2024-01-01T10:00:02Z #5 0.1 cp: cannot write /tmp/cache: no space left on device (ignored, cache disabled)
2024-01-01T10:00:03Z #6 [stage-0 2/3] RUN make
2024-01-01T10:05:00Z #6 0.2 runc run failed: run: unrecognized option '--keep'
2024-01-01T10:05:00Z ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 1
2024-01-01T10:05:01Z ##[error]buildx failed with: ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 1
2024-01-01T10:05:02Z ##[error]Process completed with exit code 1.
";
    let f = diagnose(log);
    let r = root(&f);
    assert_eq!(r.rule.id, "ci/runtime-flag-rejected", "{f:#?}");
    assert_eq!(ev(r, "flag"), Some("--keep"));
    assert_eq!(r.subject.place().as_deref(), Some("5"));
}

#[test]
fn a_retried_step_that_passed_is_not_the_cause() {
    let log = "\
toomanyrequests: You have reached your pull rate limit. Retrying in 30s
Pulled debian:bookworm
... 200 lines of build ...
exec /bin/sh: exec format error
##[error]Process completed with exit code 1.
";
    let r = diagnose(log);
    assert_eq!(root(&r).rule.id, "ci/platform-unavailable", "{r:#?}");
}

#[test]
fn facts_name_the_platform_and_the_pushed_reference() {
    let log = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/logs/riscv64-platform.log")).unwrap();
    let f = diagnose(&log);
    assert_eq!(ev(root(&f), "platform"), Some("linux/riscv64"), "{:?}", root(&f).evidence);
    let log = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/incidents/mirrord-signed-url/release.log"
    ))
    .unwrap();
    let f = diagnose(&log);
    assert_eq!(ev(root(&f), "reference"), Some("ghcr.io/metalbear-co/mirrord-cli:3.137.0"), "{:?}", root(&f).evidence);
    assert_eq!(ev(root(&f), "tag"), Some("3.137.0"));
}

#[test]
fn a_failure_no_signature_knows_is_found_from_the_log_shape() {
    let f = diagnose("compiling\n##[error]Process completed with exit code 2.\n");
    let r = root(&f);
    assert_eq!(r.rule.id, "ci/unclassified-failure");
    assert_eq!(ev(r, "exit_status"), Some("2"));
    assert_eq!(ev(r, "signature"), Some("none"));
    assert!(ev(r, "confidence").is_some());
    // The legacy builder's step, with the words around it voting for the class.
    let f = diagnose(
        "Step 4/9 : RUN apt-get update\n\
         Err:1 http://deb.debian.org/debian bookworm InRelease\n  Could not connect to deb.debian.org:80, connection timed out\n\
         The command '/bin/sh -c apt-get update' returned a non-zero code: 100\n",
    );
    assert_eq!(ev(root(&f), "class"), Some("network"), "{f:#?}");
    let f = diagnose(
        "Step 4/9 : RUN ./configure --prefix=/usr\n\
         checking for gcc... no\n\
         The command '/bin/sh -c ./configure --prefix=/usr' returned a non-zero code: 77\n",
    );
    let r = root(&f);
    assert_eq!(r.rule.id, "ci/unclassified-failure", "{f:#?}");
    assert_eq!(ev(r, "class"), Some("build-step"), "{:?}", r.evidence);
    assert_eq!(ev(r, "exit_status"), Some("77"));
    assert!(r.message.contains("./configure"), "{}", r.message);
    // A log without a failure: a note, never an error.
    let f = diagnose("all good\nProcess completed with exit code 0.\n");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule.id, "ci/no-failure-found");
    assert_eq!(f[0].severity, Severity::Note);
}

#[test]
fn wrapped_and_pasted_lines_are_read_as_one_message() {
    // A registry answer wrapped by the terminal, pasted into an issue as a quote.
    let f = diagnose(
        "> toomanyrequests: You have reached your pull rate\n> limit. You may increase the limit by authenticating\n",
    );
    assert_eq!(ev(root(&f), "class"), Some("rate-limit"), "{f:#?}");
    let f = diagnose("> **unauthorized**: authentication required\r\n");
    assert_eq!(ev(root(&f), "class"), Some("auth"), "{f:#?}");
    let f = diagnose("Incorrect Usage: flag provided but not\ndefined: -console\n");
    assert_eq!(ev(root(&f), "signature"), Some("go-flag-not-defined"), "{f:#?}");
    // Lines that are records of their own are not joined.
    let f = diagnose("2024-01-01T10:00:00Z flag provided but not\n2024-01-01T10:00:01Z defined: -console\n");
    assert!(f.iter().all(|f| ev(f, "signature") != Some("go-flag-not-defined")), "{f:#?}");
}

#[test]
fn a_401_in_the_middle_of_a_push_is_an_expired_credential() {
    let push = "The push refers to repository [registry.example.com/team/app]\n\
                5f70bf18a086: Preparing\n3894b0dd6f75: Pushed\n\
                c5cdd12b81c2: Pushing [=========>      ]  1.2GB/3.8GB\n";
    let f = diagnose(&format!("{push}unauthorized: authentication required\n"));
    let r = root(&f);
    assert_eq!(r.rule.id, "ci/credential-expired", "{f:#?}");
    assert_eq!(ev(r, "class"), Some("credential-expiry"));
    assert!(ev(r, "why").unwrap().contains("line 3"), "{:?}", r.evidence);
    // Refused before anything was uploaded: the credential was wrong, not expired.
    let f = diagnose(
        "The push refers to repository [registry.example.com/team/app]\n\
         5f70bf18a086: Preparing\n5f70bf18a086: Layer already exists\nunauthorized: authentication required\n",
    );
    assert_eq!(ev(root(&f), "class"), Some("auth"), "{f:#?}");
    // A 403 mid-push is a permission, not an expiry.
    let f = diagnose(&format!("{push}denied: requested access to the resource is denied\n"));
    assert_eq!(ev(root(&f), "class"), Some("auth"), "{f:#?}");
}

#[test]
fn secrets_never_reach_findings() {
    let log = "\
curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2ln' https://ghcr.io/token
error: unauthorized: authentication required for https://bob:hunter2@ghcr.io/v2/ token=abcd1234secret
";
    let f = diagnose(log);
    let all = format!("{f:?}");
    for secret in ["eyJhbGci", "hunter2", "abcd1234secret"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    assert_eq!(root(&f).rule.id, "ci/auth-failed");
    // The fallback's evidence (step, error lines, votes) and the context's `why` too: secrets
    // as they appear in real failing commands.
    let log = "\
#7 [3/5] RUN git clone https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/private.git\n\
#7 0.412 fatal: could not read from remote repository, NPM_TOKEN=npm_a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8\n\
#7 ERROR: process \"/bin/sh -c git clone https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/private.git\" did not complete successfully: exit code: 128\n\
";
    let f = diagnose(log);
    assert_eq!(root(&f).rule.id, "ci/unclassified-failure", "{f:#?}");
    let all = format!("{f:?}");
    for secret in ["ghs_16C7e42F", "npm_a1b2c3d4"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

/// A single line far longer than memory should hold is matched at its start and skipped, never
/// held whole: the reader is a stream of a 1 GiB line that is never materialized.
#[test]
fn a_huge_line_is_skipped_in_bounded_memory() {
    let kb = Kb::load(&[]).unwrap();
    let head = &b"denied: requested access to the resource is denied "[..];
    let body = std::io::repeat(b'x').take(1 << 30);
    let tail = &b"\nexec /bin/sh: exec format error\n"[..];
    let (checked, f) = diagnose_reader(&kb, "big.log", head.chain(body).chain(tail)).unwrap();
    assert!(checked.facts.contains(&("long_lines_truncated".into(), "1".into())), "{checked:?}");
    assert!(checked.facts.contains(&("lines".into(), "2".into())), "{checked:?}");
    assert!(f.iter().any(|f| f.rule.id == "ci/auth-failed"));
    assert_eq!(root(&f).rule.id, "ci/platform-unavailable");
    assert_eq!(root(&f).subject.place().as_deref(), Some("2"));
}

#[test]
fn binary_garbage_gzip_and_directories() {
    let kb = Kb::load(&[]).unwrap();
    let mut garbage: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    garbage.extend_from_slice(b"\nno space left on device\n");
    let (_, f) = diagnose_reader(&kb, "g.log", &garbage[..]).unwrap();
    assert_eq!(root(&f).rule.id, "ci/resources-exhausted");

    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"2024-01-01T00:00:00Z Error: buildx failed with: ERROR: docker exporter does not currently support exporting manifest lists\n").unwrap();
    std::fs::create_dir_all(dir.path().join("build")).unwrap();
    std::fs::write(dir.path().join("build/3_Build.txt.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("build/1_Set up job.txt"), "Current runner version: '2.321.0'\n").unwrap();
    let files = expand(dir.path()).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[0].ends_with("build/1_Set up job.txt"), "sorted: {files:?}");
    let (_, f) = diagnose_reader(&kb, "x", decoded(std::fs::File::open(&files[1]).unwrap()).unwrap()).unwrap();
    assert_eq!(root(&f).rule.id, "ci/image-format");
    assert!(expand(&dir.path().join("missing")).unwrap_err().to_string().contains("cannot open"));
}

#[test]
fn the_tail_keeps_line_numbers_across_chunks() {
    // 3 MiB of filler (three chunks of the main pass), then a wrapped message the tail joins.
    let filler = "#5 0.1 building the thing, nothing to see here at all\n".repeat(60_000);
    let lines_before = filler.lines().count() as u32;
    let log = format!("{filler}Incorrect Usage: flag provided but not\ndefined: -console\n");
    let f = diagnose(&log);
    let r = root(&f);
    assert_eq!(ev(r, "signature"), Some("go-flag-not-defined"), "{f:#?}");
    assert_eq!(r.subject.place(), Some((lines_before + 1).to_string()));
}

#[test]
fn a_401_an_hour_after_the_login_is_an_expired_credential() {
    let log = "\
2024-05-02T09:00:00.0000000Z Login Succeeded
2024-05-02T09:01:00.0000000Z #12 [build 3/9] RUN make
2024-05-02T10:15:00.0000000Z unauthorized: authentication required
";
    let f = diagnose(log);
    let r = root(&f);
    assert_eq!(ev(r, "class"), Some("credential-expiry"), "{f:#?}");
    assert!(ev(r, "why").unwrap().contains("after the login on line 1"), "{:?}", r.evidence);
    // Ten minutes after the login: the credential was wrong, not expired.
    let f = diagnose(&log.replace("10:15:00", "09:10:00"));
    assert_eq!(ev(root(&f), "class"), Some("auth"), "{f:#?}");
}

#[test]
fn an_image_the_log_built_or_podman_searched_for_is_in_the_local_store() {
    let log = "\
#9 naming to docker.io/acme/webapp:dev done
Unable to find image 'acme/webapp:dev' locally
docker: Error response from daemon: pull access denied for acme/webapp, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.
";
    let f = diagnose(log);
    let r = root(&f);
    assert_eq!(ev(r, "class"), Some("image-store"), "{f:#?}");
    assert!(ev(r, "why").unwrap().contains("line 1"), "{:?}", r.evidence);
    // Another image than the one built: the refusal stands.
    let f = diagnose(&log.replace("naming to docker.io/acme/webapp:dev", "naming to docker.io/acme/other:dev"));
    assert_ne!(ev(root(&f), "class"), Some("image-store"), "{f:#?}");
    let podman = "\
Resolved \"tool\" as an alias (/etc/containers/registries.conf.d/shortnames.conf)
Trying to pull registry.fedoraproject.org/tool:latest...
Trying to pull quay.io/tool:latest...
Trying to pull docker.io/library/tool:latest...
Error: 3 errors occurred while pulling:
 * initializing source docker://docker.io/library/tool:latest: reading manifest latest in docker.io/library/tool: requested access to the resource is denied
";
    let f = diagnose(podman);
    assert_eq!(ev(root(&f), "class"), Some("image-store"), "{f:#?}");
}

#[test]
fn a_foreign_platform_without_emulation_and_a_network_error_inside_a_step() {
    let log = "\
#1 [internal] load build definition from Dockerfile
#7 [linux/arm64 2/4] RUN apk add --no-cache curl
#7 ERROR: process \"/bin/sh -c apk add --no-cache curl\" did not complete successfully: exit code: 1
ERROR: failed to solve: process \"/bin/sh -c apk add --no-cache curl\" did not complete successfully: exit code: 1
";
    let f = diagnose(log);
    let r = root(&f);
    assert_eq!(ev(r, "class"), Some("platform-emulation"), "{f:#?}");
    assert!(ev(r, "why").unwrap().contains("linux/arm64"), "{:?}", r.evidence);
    // With QEMU set up first, the step failed for its own reasons.
    let f = diagnose(&format!("Run docker/setup-qemu-action@v3\n{log}"));
    assert_eq!(ev(root(&f), "class"), Some("build-step"), "{f:#?}");
    // apt could not resolve its mirror; the step then failed on a missing package.
    let f = diagnose(
        "#5 [2/3] RUN apt-get update && apt-get install -y curl\n\
         #5 0.9 Err:1 http://deb.debian.org/debian bookworm InRelease\n\
         #5 0.9   Temporary failure resolving 'deb.debian.org'\n\
         #5 1.2 E: Unable to locate package curl\n\
         #5 ERROR: process \"/bin/sh -c apt-get update && apt-get install -y curl\" did not complete successfully: exit code: 100\n",
    );
    let r = root(&f);
    assert_eq!(ev(r, "class"), Some("network"), "{f:#?}");
}
