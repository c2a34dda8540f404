//! Every signature matches its real example text and not its negatives; the knowledge base
//! has what the issue asks of it.

use shipcheck_triage::kb::Kb;
use shipcheck_triage::scan::scan;

#[test]
fn every_signature_matches_its_examples_and_not_its_negatives() {
    let kb = Kb::load(&[]).unwrap();
    assert!(kb.signatures.len() >= 50, "{} signatures", kb.signatures.len());
    for (i, sig) in kb.signatures.iter().enumerate() {
        let d = &sig.def;
        assert!(!d.examples.is_empty(), "{} has no example", d.id);
        assert!(!d.negatives.is_empty(), "{} has no negative", d.id);
        assert!(
            d.source.starts_with("https://") || d.source.starts_with("signatures.md: "),
            "{}: source {}",
            d.id,
            d.source
        );
        for ex in &d.examples {
            let s = scan(&kb, ex.as_bytes()).unwrap();
            assert!(s.hits.iter().any(|h| h.signature == i), "{}: example does not match: {ex:?}", d.id);
        }
        for neg in &d.negatives {
            let s = scan(&kb, neg.as_bytes()).unwrap();
            assert!(!s.hits.iter().any(|h| h.signature == i), "{}: negative matches: {neg:?}", d.id);
        }
    }
    let mut classes: Vec<&str> = kb.signatures.iter().map(|s| s.def.class.as_str()).collect();
    classes.sort();
    classes.dedup();
    assert_eq!(classes.len(), shipcheck_triage::kb::CLASSES.len(), "every class has signatures: {classes:?}");
}

#[test]
fn every_built_in_pattern_compiles_and_a_bad_user_pattern_is_refused_at_load() {
    // Built-in patterns are compiled on first use; they must all compile.
    for sig in &Kb::load(&[]).unwrap().signatures {
        assert!(regex::Regex::new(&sig.def.pattern).is_ok(), "{}: pattern does not compile", sig.def.id);
    }
    let bad = "[[signature]]\nid = \"mine\"\nclass = \"auth\"\nneedles = [\"x\"]\npattern = '(unclosed'\npriority = 1\ntitle = \"t\"\nsource = \"https://example.com\"\nexamples = [\"x\"]\n";
    let err = Kb::load(&[("mine.toml".into(), bad.into())]).err().unwrap();
    assert!(err.to_string().contains("signature `mine`: invalid pattern"), "{err}");
}

#[test]
fn every_built_in_needle_has_an_anchor() {
    let kb = Kb::load(&[]).unwrap();
    assert!(
        kb.finder.unanchored.is_empty(),
        "needles without an anchor in data/anchors.txt (run scripts/anchors.py): {:?}",
        kb.finder.unanchored
    );
    assert!(kb.finder.anchor_count <= 128, "{} anchors: more than two SIMD groups", kb.finder.anchor_count);
}

#[test]
fn user_rules_add_replace_and_reprioritize() {
    let extra = r#"
[[signature]]
id = "my-flaky-test"
class = "build-step"
needles = ["FLAKY"]
pattern = 'FLAKY test (?P<test>\S+) failed'
priority = 99
title = "our flaky test"
source = "https://example.com/wiki/flaky"
examples = ["FLAKY test t1 failed"]

[[override]]
id = "dockerfile-not-found"
priority = 50
"#;
    let kb = Kb::load(&[("mine.toml".into(), extra.into())]).unwrap();
    let s = scan(&kb, &b"x\nFLAKY test t1 failed\n"[..]).unwrap();
    let h = &s.hits[0];
    assert_eq!(kb.signatures[h.signature].def.id, "my-flaky-test");
    assert_eq!(h.facts, vec![("test".to_string(), "t1".to_string())]);
    assert_eq!(kb.signatures.iter().find(|s| s.def.id == "dockerfile-not-found").unwrap().def.priority, 50);
    let err = Kb::load(&[("bad.toml".into(), "[[override]]\nid = \"nope\"\npriority = 1\n".into())]).err().unwrap();
    assert!(err.to_string().contains("unknown signature `nope`"), "{err}");
    let err = Kb::load(&[("bad.toml".into(), "[[signature]]\nid='x'\nclass='weather'\nneedles=['a']\npattern='a'\npriority=1\ntitle='t'\nsource='s'\nexamples=['a']\n".into())]).err().unwrap();
    assert!(err.to_string().contains("unknown class `weather`"), "{err}");
}
