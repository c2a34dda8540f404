//! Credentials from an auth.json, against the real registry (distribution 2.8, token auth):
//! a repository's own key wins over its host's, and an `identitytoken` is traded for access
//! tokens with the OAuth2 `POST grant_type=refresh_token` form.
//!
//! distribution has no token server of its own (a registry only checks the JWTs it is given),
//! so the token endpoint is the test harness's `TokenServer`, which issues JWTs the registry
//! trusts and checks the refresh form field by field; the registry, its auth and its storage
//! are real. Without docker-registry or skopeo the test skips, except under CI=true.

use std::time::Duration;

use base64::Engine;
use shipcheck_registry::client::{refresh_form, RetryPolicy};
use shipcheck_registry::testing::{available, layout, push_layout, Auth, Registry, TokenServer};
use shipcheck_registry::transfer::Options;
use shipcheck_registry::{Client, Reference};

#[test]
fn a_repository_key_beats_the_host_key_and_an_identitytoken_is_refreshed() {
    if !available() {
        return;
    }
    let tokens = TokenServer::start_with(Duration::from_secs(30), 30, Some(("ci", "tok-pass")), Some("refresh-abc"));
    let reg = Registry::with(Auth::Token(&tokens), None);
    let dir = tempfile::tempdir().unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let authfile = dir.path().join("auth.json");
    let auth = serde_json::json!({"auths": {
        reg.host.clone(): {"auth": b64("ci:tok-pass")},
        format!("{}/team", reg.host): {"auth": "", "identitytoken": "refresh-abc"},
        format!("{}/team/locked", reg.host): {"auth": b64("ci:wrong-pass")},
    }});
    std::fs::write(&authfile, auth.to_string()).unwrap();
    let client = || {
        let mut c = Client::new(Duration::from_secs(20));
        c.retry = RetryPolicy { attempts: 1, base: Duration::from_millis(10) };
        c.set_authfile(&authfile);
        c
    };
    let src = layout(dir.path(), "app:1", 1, 4096, 7);
    let opts = Options { jobs: 2, chunk: 64 << 20 };

    // team/app: the namespace key, an identity token: every token came from the refresh form.
    let dest = Reference::parse(&format!("{}/team/app:1", reg.host)).unwrap();
    let pushed = push_layout(&client(), &src, &dest, &opts).unwrap();
    assert!(pushed.blobs_uploaded > 0);
    let issued = tokens.issued();
    assert!(!issued.is_empty() && issued.iter().all(|t| t.refreshed), "{issued:?}");
    assert!(issued.iter().any(|t| t.scopes.iter().any(|s| s == "repository:team/app:pull,push")), "{issued:?}");

    // other/app: only the host key matches: basic credentials at the token endpoint.
    let dest = Reference::parse(&format!("{}/other/app:1", reg.host)).unwrap();
    push_layout(&client(), &src, &dest, &opts).unwrap();
    let now = tokens.issued();
    assert!(now.len() > issued.len() && now[issued.len()..].iter().all(|t| !t.refreshed), "{now:?}");

    // team/locked/app: its own key (a wrong password) beats both team's and the host's.
    let dest = Reference::parse(&format!("{}/team/locked/app:1", reg.host)).unwrap();
    let e = push_layout(&client(), &src, &dest, &opts).unwrap_err();
    assert_eq!(e.status, Some(401), "{e}");
    assert_eq!(tokens.issued().len(), now.len());
}

/// The OAuth2 form (distribution spec/auth/oauth.md): what a refresh sends, escaped.
#[test]
fn the_refresh_form_has_the_fields_the_spec_requires() {
    let form = refresh_form("r+t/=", Some("reg svc"), &["repository:a/b:pull".into(), "repository:c:push".into()]);
    assert_eq!(
        form,
        "grant_type=refresh_token&refresh_token=r%2Bt%2F%3D&client_id=shipcheck&service=reg%20svc\
         &scope=repository%3Aa%2Fb%3Apull%20repository%3Ac%3Apush"
    );
}
