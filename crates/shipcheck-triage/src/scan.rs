//! One streaming pass over a log: bounded buffers whatever the line length, needles found in
//! the raw bytes, and only lines with a needle normalized and matched.

use std::collections::{BTreeSet, VecDeque};
use std::io::{self, Read};

use crate::kb::{Kb, Owner, Signature};
use crate::line::{normalize, Line, Marker, MAX_LINE};

/// Most signature hits kept per log; more are counted, not stored.
pub const MAX_HITS: usize = 20_000;

/// Most `##[group]` / GitLab section names kept per log, and the longest name kept (bytes):
/// names are structure, not evidence, and a log of 64 KiB group lines must not be held whole.
pub const MAX_GROUPS: usize = 10_000;
pub const MAX_GROUP_NAME: usize = 256;

/// Most milestones (logins, cache imports, references) kept per log.
pub const MAX_MILESTONES: usize = 1000;

/// Most failure lines kept per log: the last ones, as the job ends on them.
pub const MAX_FAILURES: usize = 200;

/// Longest line text kept with a hit or milestone (bytes). Evidence shows 300 characters and
/// the facts read from a line (signed-URL windows, references) sit well within this; the rest
/// of a long line is matched but not stored, so memory is bounded by the counts above.
pub const MAX_KEPT_TEXT: usize = 4096;

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

/// A line that says a step or the job failed (kb::FAILURE_MARKERS, and in the tail any
/// `error:`/`fatal:` line), whatever the cause.
#[derive(Clone, Debug)]
pub struct FailureLine {
    pub kind: &'static str,
    pub line: u64,
    pub timestamp: Option<String>,
    pub step: Option<u32>,
    pub text: String,
}

/// A line of the log's tail, normalized (see tail.rs).
#[derive(Clone, Debug)]
pub struct TailLine {
    pub line: u64,
    pub text: String,
    pub timestamp: Option<String>,
    pub step: Option<u32>,
    /// It starts a record of its own (a timestamp, a BuildKit step, a CI marker): it does not
    /// continue the line before it.
    pub record: bool,
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
    /// The last [`MAX_FAILURES`] failure lines, in line order.
    pub failures: VecDeque<FailureLine>,
    /// The last lines of the log (at most [`crate::tail::TAIL_BYTES`]), normalized.
    pub tail: Vec<TailLine>,
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
    /// Bytes the per-line stages examined (finding line bounds, normalizing, needle and
    /// signature matching). Each line's work is bounded by its length times the number of
    /// signatures that can match it, whatever it repeats: tests assert this stays linear.
    pub line_work: u64,
}

/// Reads `reader` to its end.
pub fn scan<R: Read>(kb: &Kb, mut reader: R) -> io::Result<Scanned> {
    let mut out = Scanned::default();
    // One buffer, read into directly: `buf[..filled]` is the unmatched start of a line, and
    // each read appends up to CHUNK bytes after it (no copy from a read buffer).
    let mut buf = vec![0u8; CHUNK + MAX_LINE];
    let mut filled = 0usize;
    let mut line_base: u64 = 0; // lines before buf[0]
    let mut skipping = false; // inside the unread rest of an over-long line
    let mut lower: Vec<u8> = Vec::with_capacity(CHUNK + MAX_LINE);
    let mut tail = crate::tail::Tail::default();
    loop {
        let mut n = match reader.read(&mut buf[filled..filled + CHUNK]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.bytes += n as u64;
        if skipping {
            match memchr::memchr(b'\n', &buf[filled..filled + n]) {
                Some(p) => {
                    skipping = false;
                    line_base += 1;
                    buf.copy_within(filled + p + 1..filled + n, filled);
                    n -= p + 1;
                }
                None if n == 0 => break,
                None => continue,
            }
        }
        let eof = n == 0;
        filled += n;
        let end = if eof { filled } else { memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |p| p + 1) };
        if end > 0 {
            let lines = process(kb, &buf[..end], line_base, &mut lower, &mut out);
            tail.keep(&buf[..end], line_base, lines);
            line_base += lines;
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
        if eof {
            break;
        }
        if filled > MAX_LINE {
            // An over-long line: match its start, then skip to its end without keeping it.
            let mut head = buf[..MAX_LINE].to_vec();
            head.push(b'\n');
            process(kb, &head, line_base, &mut lower, &mut out);
            tail.restart(line_base + 1);
            out.long_lines += 1;
            filled = 0;
            skipping = true;
        }
    }
    out.lines = line_base + u64::from(filled > 0);
    tail.pass(kb, &mut out);
    Ok(out)
}

/// Matches the complete lines in `region`; returns how many lines it holds.
fn process(kb: &Kb, region: &[u8], line_base: u64, lower: &mut Vec<u8>, out: &mut Scanned) -> u64 {
    // Needles are found in a lowercased copy (case-insensitive, and SIMD-friendly). The copy's
    // buffer is reused: a fresh large allocation per chunk costs page faults.
    lower.clear();
    lower.extend_from_slice(region);
    lower.make_ascii_lowercase();
    // One offset per line that holds a needle, in order; each line's start is found by looking
    // back no further than the previous line handled.
    let mut hits = Vec::new();
    kb.finder.lines(lower, &mut hits, &mut out.line_work);
    let mut handled_to = 0usize; // region[..handled_to] is done
    let mut counted_to = 0usize;
    let mut line_no = line_base;
    for h in hits {
        if h < handled_to {
            continue;
        }
        let start = memchr::memrchr(b'\n', &region[handled_to..h]).map_or(handled_to, |p| handled_to + p + 1);
        line_no += memchr::memchr_iter(b'\n', &region[counted_to..start]).count() as u64;
        counted_to = start;
        let end = memchr::memchr(b'\n', &region[h..]).map_or(region.len(), |p| h + p);
        out.line_work += (end - handled_to) as u64;
        handle_line(kb, &region[start..end], line_no + 1, out);
        handled_to = end + 1;
    }
    let total = memchr::memchr_iter(b'\n', region).count() as u64;
    total + u64::from(!region.ends_with(b"\n") && !region.is_empty())
}

pub(crate) fn handle_line(kb: &Kb, raw: &[u8], line: u64, out: &mut Scanned) {
    let l = normalize(raw);
    out.line_work += (raw.len() + l.text.len()) as u64;
    if out.first_timestamp.is_none() {
        out.first_timestamp = l.timestamp.clone();
    }
    match &l.marker {
        Some(Marker::Error) => out.last_error = Some(line),
        Some(Marker::Group(name)) | Some(Marker::Section(name)) if out.groups.len() < MAX_GROUPS => {
            out.groups.push((line, clip_at_char(name, MAX_GROUP_NAME).to_string()));
        }
        _ => {}
    }
    let (candidates, retry) = needles_in(kb, &l, line, out);
    for i in candidates {
        let sig = &kb.signatures[i];
        out.line_work += l.text.len() as u64;
        let Some(c) = sig.regex().captures(&l.text) else { continue };
        let hit = Hit {
            signature: i,
            line,
            text: kept(&l.text),
            timestamp: l.timestamp.clone(),
            step: l.step,
            facts: Vec::new(),
        };
        record_hit(out, sig, &c, hit);
    }
    // After this line's hits: a retry on the line of the error it retries counts.
    if retry {
        note_retry(line, out);
    }
}

/// Keeps `hit` (at most [`MAX_HITS`]; more are counted) with the named groups of its
/// signature's `captures` as its facts.
pub(crate) fn record_hit(out: &mut Scanned, sig: &Signature, captures: &regex::Captures, mut hit: Hit) {
    if out.hits.len() >= MAX_HITS {
        out.dropped_hits += 1;
        return;
    }
    hit.facts = sig
        .regex()
        .capture_names()
        .flatten()
        .filter_map(|name| captures.name(name).map(|v| (name.to_string(), kept(v.as_str()))))
        .collect();
    out.hits.push(hit);
}

/// The signatures whose needles occur in the line, and whether it says a retry is coming.
/// Records the line's milestones, each kind once per line.
fn needles_in(kb: &Kb, l: &Line, line: u64, out: &mut Scanned) -> (BTreeSet<usize>, bool) {
    let mut candidates: BTreeSet<usize> = BTreeSet::new();
    let mut kinds: Vec<&'static str> = Vec::new();
    let mut retry = false;
    for m in kb.automaton.find_overlapping_iter(l.text.as_bytes()) {
        match &kb.owners[m.pattern().as_usize()] {
            Owner::Signatures(v) => candidates.extend(v.iter().copied()),
            Owner::Milestone(kind) => {
                // A push prints a line per layer: a run of them is kept as its first.
                let run = kind.starts_with("push-") && out.milestones.last().is_some_and(|m| m.kind == *kind);
                let wanted = *kind != "push-large" || gigabytes().is_match(&l.text);
                if !kinds.contains(kind) && !run && wanted && out.milestones.len() < MAX_MILESTONES {
                    kinds.push(kind);
                    let text = kept(&l.text);
                    out.milestones.push(Milestone { kind, line, timestamp: l.timestamp.clone(), text });
                }
            }
            Owner::Failure(kind) => {
                if !kinds.contains(kind) && is_failure(kind, &l.text) {
                    kinds.push(kind);
                    note_failure(
                        out,
                        FailureLine { kind, line, timestamp: l.timestamp.clone(), step: l.step, text: kept(&l.text) },
                    );
                }
            }
            // The automaton is case-insensitive: the needle itself says which marker it is.
            Owner::Marker => {
                let needle = &l.text.as_bytes()[m.start()..m.end()];
                retry |= RETRY_MARKERS.iter().any(|r| r.as_bytes().eq_ignore_ascii_case(needle));
            }
        }
    }
    (candidates, retry)
}

crate::static_regex!(gigabytes, r"\d\s?GB\b");

crate::static_regex!(nonzero_exit, r"(?i)(?:exit(?:ed with)? (?:code|status):? ?|non-zero code: )[1-9]");

crate::static_regex!(zero_exit, r"(?i)exit(?:ed with)? (?:code|status):? ?0\b");

/// Whether a line with a failure marker of `kind` says something failed: an exit status it
/// gives must not be 0, and a bare exit-status line must give one.
fn is_failure(kind: &str, text: &str) -> bool {
    !zero_exit().is_match(text) && (kind != "exit" || nonzero_exit().is_match(text))
}

/// Keeps the last [`MAX_FAILURES`] failure lines, one per line.
pub(crate) fn note_failure(out: &mut Scanned, f: FailureLine) {
    if out.failures.back().is_some_and(|last| last.line == f.line) {
        return;
    }
    if out.failures.len() == MAX_FAILURES {
        out.failures.pop_front();
    }
    out.failures.push_back(f);
}

/// The markers that say a retry is coming.
const RETRY_MARKERS: &[&str] = &["retrying", "will retry"];

/// Keeps a retry line only where ranking can use it: within 10 lines after a stored hit (see
/// `facts::rank`). A log of nothing but retries keeps nothing.
fn note_retry(line: u64, out: &mut Scanned) {
    let near_hit = out.hits.last().is_some_and(|h| h.line + 10 >= line);
    if near_hit && out.retries.last() != Some(&line) {
        out.retries.push(line);
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Text kept with a hit or milestone: at most [`MAX_KEPT_TEXT`] bytes. Where the cut falls
/// inside a word, that word goes too: it may be a secret, and half a secret is not recognised
/// by redaction.
pub(crate) fn kept(s: &str) -> String {
    if s.len() <= MAX_KEPT_TEXT {
        return s.to_string();
    }
    let head = clip_at_char(s, MAX_KEPT_TEXT);
    let whole_words = head.rfind(char::is_whitespace).map_or("", |p| &head[..p]);
    format!("{whole_words} …")
}
