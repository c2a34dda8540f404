//! The positioned YAML tree: positions, aliases, and the budgets that keep hostile documents
//! (alias bombs, deep nesting) from exhausting memory or the stack.

use shipcheck_core::yaml::{parse, parse_with, Limits, MAX_DEPTH};

/// Runs `f` on a thread with a small stack: a recursion left anywhere (parser, drop, clone)
/// overflows it long before the depth cap would allow.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 << 10).spawn(f).unwrap().join().unwrap()
}

#[test]
fn positions_are_one_based() {
    let doc = parse("on:\n  push:\njobs:\n  build:\n    runs-on: ubuntu-latest\n").unwrap().unwrap();
    let runs_on = doc.get("jobs").unwrap().get("build").unwrap().get("runs-on").unwrap();
    assert_eq!((runs_on.line, runs_on.column), (5, 14));
    assert_eq!(runs_on.str(), Some("ubuntu-latest"));
    let key = doc.get("jobs").unwrap().get("build").unwrap().key("runs-on").unwrap();
    assert_eq!((key.line, key.column), (5, 5));
    // A block mapping starts at its first key (yaml-rust2 marks its first `:`), a flow one at `{`.
    let build = doc.get("jobs").unwrap().get("build").unwrap();
    assert_eq!((build.line, build.column), (5, 5));
    let steps = parse("steps:\n  - uses: a\n    with: {x: 1}\n").unwrap().unwrap();
    let step = &steps.get("steps").unwrap().items()[0];
    assert_eq!((step.line, step.column), (2, 5));
    assert_eq!(step.get("with").map(|w| (w.line, w.column)), Some((3, 11)));
    assert!(doc.get("on").unwrap().get("push").unwrap().is_null());
    let block = parse("run: |\n  docker build .\n").unwrap().unwrap();
    assert_eq!(block.get("run").unwrap().line, 2);
}

#[test]
fn aliases_expand_and_bombs_stop() {
    let doc = parse("a: &x [1, 2]\nb: *x\n").unwrap().unwrap();
    assert_eq!(doc.get("b").unwrap().items().len(), 2);
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let err = parse(&bomb).unwrap_err();
    assert!(err.message.contains("1,000,000 nodes"), "{err}");
    let err = parse_with("a: &x [1, 2, 3]\nb: [*x, *x]\n", Limits { nodes: 8, depth: 8 }).unwrap_err();
    assert!(err.message.contains("more than 8 nodes"), "{err}");
}

#[test]
fn errors_carry_positions() {
    let err = parse("on:\n  push: [\n").unwrap_err();
    assert!(err.line >= 2, "{err}");
    assert_eq!(parse("").unwrap(), None);
    assert!(parse("{? [a]: b}").is_err());
    assert!(parse("a: *nowhere\n").is_err());
    // Only the first document is read; text after its root that is not YAML is still an error.
    assert_eq!(parse("a: 1\n---\nb: [\n").unwrap().unwrap().get("a").unwrap().str(), Some("1"));
    assert!(parse("a: 1\n]\n").is_err());
}

#[test]
fn the_depth_cap_allows_real_nesting_and_refuses_more() {
    let nested = |levels: usize| format!("{}x\n", "- ".repeat(levels));
    assert!(parse(&nested(MAX_DEPTH)).unwrap().is_some());
    let err = parse(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert!(err.message.contains("deeper than 128 levels"), "{err}");
    assert_eq!((err.line, err.column), (1, 2 * MAX_DEPTH as u32 + 1));
}

#[test]
fn fifty_thousand_levels_are_an_error_not_a_stack_overflow() {
    // 100 KB of block sequences, and 1,000 levels of mappings.
    let seqs = format!("{}x\n", "- ".repeat(50_000));
    let err = on_small_stack(move || parse(&seqs).unwrap_err());
    assert!(err.message.contains("deeper than"), "{err}");
    let mut maps = String::new();
    for i in 0..1_000 {
        maps.push_str(&" ".repeat(i));
        maps.push_str("k:\n");
    }
    let err = on_small_stack(move || parse(&maps).unwrap_err());
    assert!(err.message.contains("deeper than"), "{err}");
}

#[test]
fn aliases_cannot_nest_past_the_cap() {
    // Each anchor wraps the previous alias once: the text stays shallow, the tree does not.
    let mut chain = String::from("a0: &a0 [x]\n");
    for i in 1..1000 {
        chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let err = on_small_stack(move || parse(&chain).unwrap_err());
    assert!(err.message.contains("deeper than"), "{err}");
    // A tree at the cap is dropped, cloned and compared on a small stack.
    let deep = format!("{}x\n", "- ".repeat(MAX_DEPTH));
    on_small_stack(move || {
        let doc = parse(&deep).unwrap().unwrap();
        assert_eq!(doc.clone(), doc);
    });
}

#[test]
fn read_text_refuses_what_is_not_a_text_file_without_blocking() {
    use shipcheck_core::yaml::{read_text, ReadError};
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("ok.yml"), "a: 1\n").unwrap();
    std::fs::write(p("big.yml"), vec![b'a'; 2 << 20]).unwrap();
    std::fs::write(p("bin.yml"), [0xff, 0xfe]).unwrap();
    std::fs::create_dir(p("dir.yml")).unwrap();
    std::os::unix::fs::symlink("loop.yml", p("loop.yml")).unwrap();
    std::os::unix::fs::symlink("gone.yml", p("dangling.yml")).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(p("fifo.yml")).status().unwrap().success());
    let read = |n: &str| read_text(&p(n), 1 << 20, "a workflow").map_err(|e| e.to_string());
    assert_eq!(read("ok.yml").unwrap(), "a: 1\n");
    assert_eq!(read("big.yml").unwrap_err(), "2097152 bytes, expected a workflow under 1 MiB");
    assert_eq!(read("bin.yml").unwrap_err(), "not UTF-8 text, expected a workflow");
    assert_eq!(read("dir.yml").unwrap_err(), "a directory, expected a file");
    assert_eq!(read("loop.yml").unwrap_err(), "a symbolic link loop, expected a file");
    assert_eq!(read("dangling.yml").unwrap_err(), "a symbolic link to nothing, expected a file");
    assert_eq!(read("fifo.yml").unwrap_err(), "a FIFO (named pipe), expected a file");
    assert!(matches!(read_text(&p("none.yml"), 1, "x"), Err(ReadError::Missing)));
}

/// fluent-bit's staging-release.yaml closes a flow sequence at its key's indentation; GitHub and
/// libyaml run it, so it must not read as invalid. A real indentation error still is one.
#[test]
fn a_flow_end_at_its_keys_indentation_is_read_as_github_reads_it() {
    let text = "jobs:\n  release:\n    strategy:\n      matrix:\n        tag: [\n          \"a\",\n          \"b-debug\",\n        ]\n    steps:\n      - run: echo\n";
    let doc = parse(text).unwrap().unwrap();
    let job = doc.get("jobs").unwrap().get("release").unwrap();
    let tags: Vec<_> = job
        .get("strategy")
        .unwrap()
        .get("matrix")
        .unwrap()
        .get("tag")
        .unwrap()
        .items()
        .iter()
        .map(|n| n.str().unwrap().to_string())
        .collect();
    assert_eq!(tags, ["a", "b-debug"]);
    assert_eq!(job.get("steps").unwrap().items().len(), 1);
    assert_eq!(job.get("steps").unwrap().line, 10);
    let nested = "a:\n  b: {\n    c: [\n      1,\n  ]\n  }\n";
    assert!(parse(nested).is_ok(), "two outdented ends in one document");
    let broken = "a:\n    b: 1\n  c: 2\n";
    let err = parse(broken).unwrap_err();
    assert_eq!(err.line, 3, "{err}");
}
