//! Hostile logs (issue 12): secrets on the matched line (defect 4), endless group names
//! (defect 14), lines packed with needles (defect 16). Bounds are asserted on what the scan
//! keeps and on its work counter, never on wall time alone.

use std::io::{Read, Write};

use shipcheck_report::render::{render, Format, HumanOptions};
use shipcheck_report::Report;
use shipcheck_triage::input::{decoded, diagnose_path};
use shipcheck_triage::kb::Kb;
use shipcheck_triage::line::MAX_LINE;
use shipcheck_triage::scan::{scan, Scanned, MAX_GROUPS, MAX_GROUP_NAME, MAX_KEPT_TEXT};

/// `count` copies of `line` as a stream, never materialized whole.
fn repeated(line: &[u8], count: usize) -> impl Read + '_ {
    struct Rep<'a> {
        line: &'a [u8],
        left: usize,
        at: usize,
    }
    impl Read for Rep<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Ok(0);
            }
            let n = buf.len().min(self.line.len() - self.at);
            buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
            self.at += n;
            if self.at == self.line.len() {
                self.at = 0;
                self.left -= 1;
            }
            Ok(n)
        }
    }
    Rep { line, left: count, at: 0 }
}

/// A line just under the matching limit made of `word` repeated.
fn packed(prefix: &str, word: &str) -> Vec<u8> {
    let mut line = prefix.as_bytes().to_vec();
    while line.len() + word.len() < MAX_LINE - 1 {
        line.extend_from_slice(word.as_bytes());
    }
    line.push(b'\n');
    line
}

fn scanned(log: impl Read) -> Scanned {
    scan(&Kb::load(&[]).unwrap(), log).unwrap()
}

/// Defect 16: 64 KiB lines packed with "retrying " were rescanned once per needle (3.4 MB/s,
/// memory growing with every occurrence). Each line is now handled once.
#[test]
fn lines_packed_with_needles_cost_linear_work_and_flat_memory() {
    let start = std::time::Instant::now();
    for word in ["retrying ", "Login Succeeded ", "denied: requested access to the resource is denied "] {
        let line = packed("toomanyrequests: rate limit ", word);
        let lines = 64;
        let s = scanned(repeated(&line, lines));
        assert_eq!(s.lines, lines as u64);
        // Work: a few passes over each byte, plus one per signature the line can match.
        assert!(s.line_work <= 12 * s.bytes, "{word}: {} bytes of work for {} bytes", s.line_work, s.bytes);
        // Memory: at most one retry and one milestone of a kind per line, texts cut.
        assert!(s.retries.len() <= lines, "{word}: {} retries kept", s.retries.len());
        assert!(s.milestones.len() <= lines, "{word}: {} milestones kept", s.milestones.len());
        let kept = s.hits.iter().map(|h| h.text.len()).chain(s.milestones.iter().map(|m| m.text.len()));
        assert!(kept.into_iter().all(|n| n <= MAX_KEPT_TEXT + 4), "{word}: a kept text exceeds the cap");
    }
    // Generous: about 12 MiB; the old code took minutes in a debug build.
    assert!(start.elapsed() < std::time::Duration::from_secs(120), "{:?}", start.elapsed());
}

/// A log of nothing but retries keeps none (a retry only matters right after a hit).
#[test]
fn retries_far_from_any_hit_are_not_kept() {
    let s = scanned(repeated(b"step 3: retrying in 5s\n", 50_000));
    assert!(s.retries.is_empty(), "{}", s.retries.len());
}

/// Defect 14: a 2.8 MB gzip log of 64 KiB `##[group]` lines held 2.5 GiB of names.
#[test]
fn group_names_are_bounded_in_length_and_count() {
    let line = packed("##[group]", "A");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..200 {
        gz.write_all(&line).unwrap();
    }
    let gz = gz.finish().unwrap();
    let s = scanned(decoded(&gz[..]).unwrap());
    assert_eq!(s.groups.len(), 200);
    assert!(s.groups.iter().all(|(_, name)| name.len() <= MAX_GROUP_NAME));

    let s = scanned(repeated(b"##[group]Run step\n", MAX_GROUPS + 500));
    assert_eq!(s.groups.len(), MAX_GROUPS);
}

/// Defect 4: the matched line holds secrets; no format shows them, the human snippet (read
/// back from the file) included.
#[test]
fn secrets_on_the_matched_line_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("job.log");
    let secrets = ["hunter2pass", "ghs_tok1234567", "eyJzdWIiOiJib2IifQ", "npmsecretvalue1"];
    std::fs::write(
        &log,
        "setup\n+ docker login -u bob -p hunter2pass ghcr.io && GITHUB_TOKEN=ghs_tok1234567 \
         T=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl //r/:_authToken=npmsecretvalue1 \
         denied: requested access to the resource is denied\n",
    )
    .unwrap();
    let kb = Kb::load(&[]).unwrap();
    let (checked, findings) = diagnose_path(&kb, &log.display().to_string()).unwrap();
    assert!(!findings.is_empty());
    let report = Report { checked: vec![checked], findings, ..Report::default() };
    for &format in Format::ALL {
        let mut out = Vec::new();
        render(&report, format, &HumanOptions::default(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        if format == Format::Human {
            assert!(out.contains("   2 |"), "the snippet is shown: {out}");
        }
        for s in secrets {
            assert!(!out.contains(s), "{} output leaks {s}:\n{out}", format.name());
        }
    }
}
