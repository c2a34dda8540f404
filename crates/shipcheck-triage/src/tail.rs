//! The log's tail, read a second time as a person reads it: every line normalized, and a
//! message that the paste or the tool wrapped over two or three lines joined again before it is
//! matched. The tail is where a job fails and what users paste (often only its last lines), so
//! this costs a bounded pass over at most [`TAIL_BYTES`] whatever the log's size.
//!
//! The main pass (scan.rs) finds needles in raw bytes, one line at a time; here a signature
//! matches across a wrap (`unauthorized: authentication` / `required`) and through markdown
//! residue, and lines that say an error happened (`Error:`, `fatal:`, `E:`, `npm ERR!`) are
//! kept for the structural fallback (failure.rs).

use std::collections::HashSet;

use crate::kb::{Kb, Owner};
use crate::line::normalize;
use crate::scan::{kept, note_failure, record_hit, FailureLine, Hit, Scanned, TailLine};

/// Bytes of the log's end read again.
pub const TAIL_BYTES: usize = 64 << 10;

/// Most lines joined into one message.
const MAX_JOINED: usize = 3;

/// The last complete lines seen, and the number of the first.
#[derive(Default)]
pub(crate) struct Tail {
    bytes: Vec<u8>,
    first_line: u64,
}

impl Tail {
    /// Adds a region of complete lines whose first line is `line_base + 1` and that holds
    /// `lines` lines, keeping only the last [`TAIL_BYTES`] (cut at a line start). Only the kept
    /// bytes are copied and counted: this runs once per chunk of the main pass.
    pub(crate) fn keep(&mut self, region: &[u8], line_base: u64, lines: u64) {
        if region.len() >= TAIL_BYTES {
            self.bytes.clear();
            self.bytes.extend_from_slice(&region[line_start_after(region, region.len() - TAIL_BYTES)..]);
        } else {
            self.bytes.extend_from_slice(region);
            if self.bytes.len() > TAIL_BYTES {
                let cut = line_start_after(&self.bytes, self.bytes.len() - TAIL_BYTES);
                self.bytes.drain(..cut);
            }
        }
        let kept = memchr::memchr_iter(b'\n', &self.bytes).count() as u64
            + u64::from(!self.bytes.is_empty() && !self.bytes.ends_with(b"\n"));
        self.first_line = line_base + lines + 1 - kept;
    }

    /// Forgets what was kept: an over-long line broke the run of lines; the tail starts anew at
    /// line `next`.
    pub(crate) fn restart(&mut self, next: u64) {
        self.bytes.clear();
        self.first_line = next + 1;
    }

    /// Reads the tail: keeps its normalized lines, adds the hits that only joined lines show
    /// and the lines that say an error happened.
    pub(crate) fn pass(self, kb: &Kb, out: &mut Scanned) {
        let mut lines = Vec::new();
        for (i, raw) in self.bytes.split(|&b| b == b'\n').enumerate() {
            let l = normalize(raw);
            out.line_work += (raw.len() + l.text.len()) as u64;
            let record = l.timestamp.is_some() || l.step.is_some() || l.marker.is_some();
            lines.push(TailLine {
                line: self.first_line + i as u64,
                text: l.text,
                timestamp: l.timestamp,
                step: l.step,
                record,
            });
        }
        while lines.last().is_some_and(|l| l.text.is_empty()) {
            lines.pop();
        }
        let start = lines.first().map_or(u64::MAX, |l| l.line);
        let mut seen: HashSet<(usize, u64)> =
            out.hits.iter().filter(|h| h.line >= start).map(|h| (h.signature, h.line)).collect();
        let mut from_end = vec![0; lines.len()];
        let mut after = 0;
        for (i, l) in lines.iter().enumerate().rev() {
            from_end[i] = after;
            after += usize::from(!l.text.is_empty());
        }
        for i in 0..lines.len() {
            joined_hits(kb, &lines, i, &mut seen, out);
            if says_failure(&lines[i].text, from_end[i]) {
                let l = &lines[i];
                let f = FailureLine {
                    kind: "error",
                    line: l.line,
                    timestamp: l.timestamp.clone(),
                    step: l.step,
                    text: kept(&l.text),
                };
                note_failure(out, f);
            }
        }
        out.hits.sort_by_key(|h| h.line);
        let mut failures: Vec<FailureLine> = std::mem::take(&mut out.failures).into();
        failures.sort_by_key(|f| f.line);
        failures.dedup_by_key(|f| f.line);
        out.failures = failures.into();
        out.tail = lines;
    }
}

/// The first line start at or after `at`.
fn line_start_after(bytes: &[u8], at: usize) -> usize {
    if at == 0 || bytes[at - 1] == b'\n' {
        return at;
    }
    memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |p| at + p + 1)
}

crate::static_regex!(
    error_line,
    r"(?i)^(?:erro\[|fata\[|err!|(?:error|fatal|e|failed)(?:\s|:|\[|!|$))|^\S*(?:error|exception)(?:\[\w+\])?:\s|^[\w./-]+: (?:error|fatal)\b|\blevel=(?:error|fatal)\b|\bnpm err!|\*\*\* \[.*\] error \d+"
);

// A log level in capitals: `… utils.py  ERROR  Upstream archive was not downloaded`.
crate::static_regex!(level, r"\b(?:ERROR|FATAL|CRITICAL)\b");

// Words that say something went wrong. A line with one counts as a failure only among the
// last lines of the log, where a pasted excerpt ends on the error; elsewhere they are too
// common in healthy logs (`unknown`, `timeout=30`).
crate::static_regex!(
    trouble,
    r"(?i)\b(?:failed|failure|unable to|cannot|can't|could not|couldn't|refused|denied|unauthori[sz]ed|forbidden|invalid|not found|no such|unknown|unsupported|unexpected|exception|timed out|aborted|killed|panic|segmentation fault|core dumped|not supported|incorrect|unrecognized)\b"
);

// A line that only warns.
crate::static_regex!(warning, r"(?i)^(?:w:|warn(?:ing)?\b|warn\[)");

/// Non-empty lines at the end of the log whose trouble words count.
const LAST_LINES: usize = 5;

/// Whether a tail line says an error happened: an error line anywhere, a line of trouble words
/// only among the last [`LAST_LINES`] (`from_end` counts non-empty lines after it).
fn says_failure(text: &str, from_end: usize) -> bool {
    if text.is_empty() || warning().is_match(text) {
        return false;
    }
    error_line().is_match(text) || level().is_match(text) || (from_end < LAST_LINES && trouble().is_match(text))
}

/// The hits that start at line `i` and only show once it is normalized (a needle hidden by
/// markdown) or read together with the next one or two lines, the way a wrapped message reads
/// (the match must cross the line end). A signature that already matched on one of those lines
/// is not matched again.
fn joined_hits(kb: &Kb, lines: &[TailLine], i: usize, seen: &mut HashSet<(usize, u64)>, out: &mut Scanned) {
    let first = &lines[i];
    if first.text.is_empty() {
        return;
    }
    let mut text = first.text.clone();
    let mut boundary = usize::MAX;
    for k in 0..MAX_JOINED {
        if k > 0 {
            let Some(next) = lines.get(i + k) else { return };
            if next.record || next.text.is_empty() {
                return;
            }
            boundary = text.len();
            text.push(' ');
            text.push_str(&next.text);
        }
        let last_line = first.line + k as u64;
        out.line_work += text.len() as u64;
        let mut candidates: Vec<usize> = Vec::new();
        for m in kb.automaton.find_overlapping_iter(text.as_bytes()) {
            if let Owner::Signatures(v) = &kb.owners[m.pattern().as_usize()] {
                candidates.extend(v.iter().copied());
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for s in candidates {
            if (first.line..=last_line).any(|l| seen.contains(&(s, l))) {
                continue;
            }
            let sig = &kb.signatures[s];
            let Some(c) = sig.regex().captures(&text) else { continue };
            let whole = c.get(0).expect("group 0");
            if k > 0 && (whole.start() >= boundary || whole.end() <= boundary) {
                continue;
            }
            seen.insert((s, first.line));
            let hit = Hit {
                signature: s,
                line: first.line,
                text: kept(&text),
                timestamp: first.timestamp.clone(),
                step: first.step,
                facts: Vec::new(),
            };
            record_hit(out, sig, &c, hit);
        }
    }
}
