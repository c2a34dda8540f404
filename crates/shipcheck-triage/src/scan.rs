//! One streaming pass over a log: bounded buffers whatever the line length, needles found in
//! the raw bytes, and only lines with a needle normalized and matched.

use std::collections::BTreeSet;
use std::io::{self, Read};

use crate::kb::{Kb, Owner};
use crate::line::{normalize, Marker, MAX_LINE};

/// Most signature hits kept per log; more are counted, not stored.
pub const MAX_HITS: usize = 20_000;

const CHUNK: usize = 1 << 20;

#[derive(Clone, Debug)]
pub struct Hit {
    pub signature: usize,
    /// 1-based.
    pub line: u64,
    pub text: String,
    pub timestamp: Option<String>,
    pub step: Option<u32>,
    pub facts: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Milestone {
    pub kind: &'static str,
    pub line: u64,
    pub timestamp: Option<String>,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Scanned {
    pub hits: Vec<Hit>,
    pub dropped_hits: u64,
    pub milestones: Vec<Milestone>,
    /// Lines that say a retry is coming.
    pub retries: Vec<u64>,
    /// The last `##[error]` line.
    pub last_error: Option<u64>,
    /// `##[group]` / GitLab section starts: (line, name).
    pub groups: Vec<(u64, String)>,
    pub lines: u64,
    pub bytes: u64,
    /// Lines longer than the matching limit (only their start was matched).
    pub long_lines: u64,
    pub first_timestamp: Option<String>,
}

/// Reads `reader` to its end.
pub fn scan<R: Read>(kb: &Kb, mut reader: R) -> io::Result<Scanned> {
    let mut out = Scanned::default();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + MAX_LINE);
    let mut line_base: u64 = 0; // lines before buf[0]
    let mut skipping = false; // inside the unread rest of an over-long line
    let mut chunk = vec![0u8; CHUNK];
    let mut lower: Vec<u8> = Vec::with_capacity(CHUNK + MAX_LINE);
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.bytes += n as u64;
        let mut data = &chunk[..n];
        if skipping {
            match memchr::memchr(b'\n', data) {
                Some(p) => {
                    skipping = false;
                    line_base += 1;
                    data = &data[p + 1..];
                }
                None if n == 0 => break,
                None => continue,
            }
        }
        buf.extend_from_slice(data);
        let end = if n == 0 { buf.len() } else { memchr::memrchr(b'\n', &buf).map_or(0, |p| p + 1) };
        if end > 0 {
            let lines = process(kb, &buf[..end], line_base, &mut lower, &mut out);
            line_base += lines;
            buf.drain(..end);
        }
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE {
            // An over-long line: match its start, then skip to its end without keeping it.
            let mut head = buf[..MAX_LINE].to_vec();
            head.push(b'\n');
            process(kb, &head, line_base, &mut lower, &mut out);
            out.long_lines += 1;
            buf.clear();
            skipping = true;
        }
    }
    out.lines = line_base + u64::from(!buf.is_empty());
    Ok(out)
}

/// Matches the complete lines in `region`; returns how many lines it holds.
fn process(kb: &Kb, region: &[u8], line_base: u64, lower: &mut Vec<u8>, out: &mut Scanned) -> u64 {
    // Needles are found in a lowercased copy (case-insensitive, and SIMD-friendly). The copy's
    // buffer is reused: a fresh large allocation per chunk costs page faults.
    lower.clear();
    lower.extend_from_slice(region);
    lower.make_ascii_lowercase();
    let mut hits = Vec::new();
    for f in &kb.finders {
        f.starts(lower, &mut hits);
    }
    let mut starts: Vec<usize> =
        hits.into_iter().map(|h| memchr::memrchr(b'\n', &region[..h]).map_or(0, |p| p + 1)).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut counted_to = 0usize;
    let mut line_no = line_base;
    for start in starts {
        line_no += memchr::memchr_iter(b'\n', &region[counted_to..start]).count() as u64;
        counted_to = start;
        let end = memchr::memchr(b'\n', &region[start..]).map_or(region.len(), |p| start + p);
        handle_line(kb, &region[start..end], line_no + 1, out);
    }
    let total = memchr::memchr_iter(b'\n', region).count() as u64;
    total + u64::from(!region.ends_with(b"\n") && !region.is_empty())
}

fn handle_line(kb: &Kb, raw: &[u8], line: u64, out: &mut Scanned) {
    let l = normalize(raw);
    if out.first_timestamp.is_none() {
        out.first_timestamp = l.timestamp.clone();
    }
    match &l.marker {
        Some(Marker::Error) => out.last_error = Some(line),
        Some(Marker::Group(name)) | Some(Marker::Section(name)) => out.groups.push((line, name.clone())),
        _ => {}
    }
    let mut candidates: BTreeSet<usize> = BTreeSet::new();
    for m in kb.automaton.find_overlapping_iter(l.text.as_bytes()) {
        match &kb.owners[m.pattern().as_usize()] {
            Owner::Signatures(v) => candidates.extend(v.iter().copied()),
            Owner::Milestone(kind) => {
                if out.milestones.len() < 1000 {
                    out.milestones.push(Milestone { kind, line, timestamp: l.timestamp.clone(), text: l.text.clone() });
                }
            }
            Owner::Marker => {
                let lower = l.text.to_ascii_lowercase();
                if lower.contains("retrying") || lower.contains("will retry") {
                    out.retries.push(line);
                }
            }
        }
    }
    for i in candidates {
        let sig = &kb.signatures[i];
        let Some(c) = sig.regex.captures(&l.text) else { continue };
        if out.hits.len() >= MAX_HITS {
            out.dropped_hits += 1;
            continue;
        }
        let facts = sig
            .regex
            .capture_names()
            .flatten()
            .filter_map(|name| c.name(name).map(|v| (name.to_string(), v.as_str().to_string())))
            .collect();
        out.hits.push(Hit {
            signature: i,
            line,
            text: l.text.clone(),
            timestamp: l.timestamp.clone(),
            step: l.step,
            facts,
        });
    }
}
