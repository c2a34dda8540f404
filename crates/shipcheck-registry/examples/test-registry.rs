//! The test registry of `src/testing.rs` as a program, for demos and manual runs: Debian's
//! docker-registry with token auth (tokens that live `--token-life` seconds), behind a proxy
//! that throttles uploads to `--throttle` bytes per second. Prints `registry=HOST:PORT`,
//! `realm=URL`, `service=NAME`, then serves until its standard input closes.
//!
//! `test-registry layout DIR` writes a small multi-layer OCI image layout into DIR instead.
//!
//! Not part of shipcheck: built with `--features testing`.

use std::io::{Read, Write};
use std::time::Duration;

use shipcheck_registry::testing::{layout, Auth, Proxy, Registry, TokenServer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("layout") {
        let dir = std::path::PathBuf::from(args.get(1).expect("usage: test-registry layout DIR"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = layout(&dir, "demo/app:1", 3, 2 << 20, 42);
        println!("{}", path.display());
        return;
    }
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number")))
            .unwrap_or(default)
    };
    let life = flag("--token-life", 2);
    let rate = flag("--throttle", 512 << 10);
    let tokens = TokenServer::start(Duration::from_secs(life), life, Some(("ci", "demo-pass")));
    let registry = Registry::with(Auth::Token(&tokens), None);
    let proxy = Proxy::start();
    proxy.forward_to(&registry);
    proxy.throttle(Some(rate));
    println!("registry={}", proxy.host);
    println!("realm={}/token", tokens.url);
    println!("service=shipcheck-test-registry");
    std::io::stdout().flush().unwrap();
    // Serve until whoever started us closes our stdin.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    eprintln!("test-registry: {} tokens issued", tokens.issued().len());
}
