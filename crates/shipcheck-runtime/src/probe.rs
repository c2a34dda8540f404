//! Live probing: every command with a timeout and a cap on what it may print, all probes of all
//! runtimes in parallel. Only `--version`, `features` and commands ending in `--help` are run.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use shipcheck_report::InputError;

use crate::observe::{Observation, Outcome, SUBCOMMANDS};
use crate::{data, discover};

/// Most bytes kept of one stream of one command; the rest is read and dropped.
pub const OUTPUT_CAP: usize = 256 << 10;

/// Runs `bin args…` with stdin closed, capturing stdout and stderr up to [`OUTPUT_CAP`], and
/// kills it after `timeout`.
pub fn run(bin: &Path, args: &[&str], timeout: Duration) -> Outcome {
    let mut child = match Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C")
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome { error: Some(format!("cannot run {}: {e}", bin.display())), ..Default::default() },
    };
    let capture = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    };
    // Both are piped above, so both are there; were one missing, nothing could be captured.
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Outcome {
            error: Some(format!("cannot capture the output of {}", bin.display())),
            ..Default::default()
        };
    };
    let out = capture(Box::new(stdout));
    let err = capture(Box::new(stderr));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(_) => break None,
        }
    };
    // A killed child's grandchildren may hold the pipes open: never wait on them past the deadline.
    let join = |h: std::thread::JoinHandle<String>| {
        let until = Instant::now() + Duration::from_millis(200);
        while !h.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        if h.is_finished() {
            h.join().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let (stdout, stderr) = (join(out), join(err));
    match status {
        Some(s) => Outcome { stdout, stderr, exit: s.code().or(Some(128)), error: None },
        None => Outcome {
            stdout,
            stderr,
            exit: None,
            error: Some(format!("no answer within {} ms; killed", timeout.as_millis())),
        },
    }
}

/// What probing the runtimes on this machine gave: an observation of each runtime found, an
/// input error for each name that is not an executable, and, when none was named and none was
/// found, where it looked.
#[derive(Debug, Default)]
pub struct Live {
    pub observations: Vec<Observation>,
    pub errors: Vec<InputError>,
    pub looked: Vec<String>,
}

/// Probes the runtimes `names` names (file names looked up on `path_env`, or paths), or, when
/// `names` is empty, every runtime on `path_env` and in the engines' configuration files.
pub fn live(names: &[String], path_env: &OsStr, timeout: Duration) -> Live {
    let mut live = Live::default();
    let mut bins = Vec::new();
    if names.is_empty() {
        for c in discover::candidates(Path::new("/"), path_env) {
            bins.push((c.name, c.path));
        }
        if bins.is_empty() {
            live.looked.push(
                "PATH (runc, crun, youki, runsc, krun) and the Docker, containerd, Podman and CRI-O configs".into(),
            );
            return live;
        }
    }
    for name in names {
        match discover::which(name, path_env) {
            Some(path) => bins.push((name.rsplit('/').next().unwrap_or(name).to_string(), path)),
            None => live.errors.push(InputError {
                input: name.clone(),
                message: format!(
                    "`{name}` is not an executable on PATH or at that path: expected an OCI runtime binary"
                ),
            }),
        }
    }
    live.observations = observe(&bins, &data::probe_lines(), timeout);
    live
}

/// One command of a probe plan.
enum Slot {
    Version,
    Features,
    Help,
    Sub(String),
    Probe(String),
}

/// Probes every runtime in `bins` (name as the user knows it, path) with the flag probes
/// `probes` (argument lines ending in `--help`), all commands in parallel.
pub fn observe(bins: &[(String, PathBuf)], probes: &[Vec<String>], timeout: Duration) -> Vec<Observation> {
    let mut jobs: Vec<(usize, Slot, Vec<String>)> = Vec::new();
    for (i, _) in bins.iter().enumerate() {
        jobs.push((i, Slot::Version, vec!["--version".into()]));
        jobs.push((i, Slot::Features, vec!["features".into()]));
        jobs.push((i, Slot::Help, vec!["--help".into()]));
        for sub in SUBCOMMANDS {
            jobs.push((i, Slot::Sub(sub.to_string()), vec![sub.to_string(), "--help".into()]));
        }
        for p in probes {
            jobs.push((i, Slot::Probe(p.join(" ")), p.clone()));
        }
    }
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; jobs.len()]);
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Probes mostly wait on process start-up: more threads than cores pays off.
    let threads = 16.min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((i, _, args)) = jobs.get(k) else { break };
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = run(&bins[*i].1, &args, timeout);
                results.lock().unwrap_or_else(|p| p.into_inner())[k] = Some(out);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut obs: Vec<Observation> = bins
        .iter()
        .map(|(name, path)| Observation {
            name: name.clone(),
            path: Some(path.clone()),
            source: "live".into(),
            ..Default::default()
        })
        .collect();
    for ((i, slot, _), out) in jobs.into_iter().zip(results) {
        let out = out.unwrap_or_default();
        let o = &mut obs[i];
        match slot {
            Slot::Version => o.version = out,
            Slot::Features => o.features = out,
            Slot::Help => o.help = out,
            Slot::Sub(s) => {
                o.sub_help.insert(s, out);
            }
            Slot::Probe(p) => {
                o.probes.insert(p, out);
            }
        }
    }
    obs
}
