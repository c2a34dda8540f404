//! What probing a runtime saw, and the recording format that keeps it: the layout of the
//! captures in ../shared/corpus/runtimes, so those captures are recordings as they are.
//!
//! ```text
//! version.txt                 stdout of `<rt> --version`
//! features.json, .stderr, .exit   `<rt> features`
//! help.txt                    `<rt> --help`
//! <sub>-help.txt, .exit       `<rt> <sub> --help`
//! flag-probes.txt             `<args…> => exit N: <first stderr line>`, one probe a line
//! origin.txt                  (optional) the path and name the runtime was probed as
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The result of one command. `exit` is `None` when it did not finish (timeout) or could not
/// start; `error` then says which.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub exit: Option<i32>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.exit == Some(0)
    }
    /// First non-empty line of stderr, else of stdout.
    pub fn first_line(&self) -> String {
        self.stderr.lines().chain(self.stdout.lines()).find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// The name it was probed as (file name of the binary, or the recording's directory).
    pub name: String,
    pub path: Option<PathBuf>,
    pub version: Outcome,
    pub features: Outcome,
    pub help: Outcome,
    /// `<sub> --help`, by subcommand.
    pub sub_help: BTreeMap<String, Outcome>,
    /// Flag probes by their argument line (`run --keep --help`).
    pub probes: BTreeMap<String, Outcome>,
    /// Where it came from: `live` or the recording directory.
    pub source: String,
}

/// Subcommands whose help is captured.
pub const SUBCOMMANDS: &[&str] = &["run", "create", "exec", "restore", "checkpoint", "delete", "kill", "update"];

fn read_opt(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b[..b.len().min(crate::probe::OUTPUT_CAP)]).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_exit(path: &Path) -> io::Result<Option<i32>> {
    Ok(read_opt(path)?.and_then(|s| s.trim().parse().ok()))
}

/// Whether `dir` is one recording (it has version.txt).
pub fn is_recording(dir: &Path) -> bool {
    dir.join("version.txt").is_file()
}

/// Why a recording cannot be replayed; every form names the directory.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// A file of the recording cannot be read.
    #[error("cannot read recording {dir}: {error}")]
    Read { dir: PathBuf, error: io::Error },
    #[error("{dir} is not a runtime recording: expected version.txt (and features.json, help.txt, flag-probes.txt)")]
    NotARecording { dir: PathBuf },
    /// The directory of recordings cannot be listed.
    #[error("cannot read {dir}: {error}")]
    List { dir: PathBuf, error: io::Error },
    #[error("{dir} holds no runtime recording: expected version.txt in it or in its subdirectories")]
    Empty { dir: PathBuf },
}

/// Loads one recording directory.
pub fn load(dir: &Path) -> Result<Observation, RecordingError> {
    let err = |error: io::Error| RecordingError::Read { dir: dir.into(), error };
    let version = read_opt(&dir.join("version.txt"))
        .map_err(err)?
        .ok_or_else(|| RecordingError::NotARecording { dir: dir.into() })?;
    let mut o = Observation {
        name: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        source: dir.display().to_string(),
        version: Outcome { stdout: version, exit: Some(0), ..Default::default() },
        ..Default::default()
    };
    if let Some(origin) = read_opt(&dir.join("origin.txt")).map_err(err)? {
        for line in origin.lines() {
            if let Some(n) = line.strip_prefix("name: ") {
                o.name = n.trim().to_string();
            } else if let Some(p) = line.strip_prefix("path: ") {
                o.path = Some(PathBuf::from(p.trim()));
            }
        }
    }
    o.features = Outcome {
        stdout: read_opt(&dir.join("features.json")).map_err(err)?.unwrap_or_default(),
        stderr: read_opt(&dir.join("features.stderr")).map_err(err)?.unwrap_or_default(),
        exit: read_exit(&dir.join("features.exit")).map_err(err)?,
        error: None,
    };
    if let Some(h) = read_opt(&dir.join("help.txt")).map_err(err)? {
        o.help = Outcome { stdout: h, exit: Some(0), ..Default::default() };
    }
    for sub in SUBCOMMANDS {
        if let Some(text) = read_opt(&dir.join(format!("{sub}-help.txt"))).map_err(err)? {
            let exit = read_exit(&dir.join(format!("{sub}-help.exit"))).map_err(err)?;
            o.sub_help.insert(sub.to_string(), Outcome { stdout: text, exit, ..Default::default() });
        }
    }
    if let Some(text) = read_opt(&dir.join("flag-probes.txt")).map_err(err)? {
        for line in text.lines() {
            let Some((args, rest)) = line.split_once(" => ") else { continue };
            let (status, first) = rest.split_once(": ").unwrap_or((rest, ""));
            let exit = status.strip_prefix("exit ").and_then(|n| n.trim().parse().ok());
            let error = (status == "timeout").then(|| "timed out".to_string());
            o.probes.insert(
                args.trim().to_string(),
                Outcome { stderr: first.to_string(), exit, error, ..Default::default() },
            );
        }
    }
    Ok(o)
}

/// Loads `dir` as one recording, or every recording directly inside it.
pub fn load_all(dir: &Path) -> Result<Vec<Observation>, RecordingError> {
    if is_recording(dir) {
        return Ok(vec![load(dir)?]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| RecordingError::List { dir: dir.into(), error })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_recording(p))
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(RecordingError::Empty { dir: dir.into() });
    }
    dirs.iter().map(|d| load(d)).collect()
}

/// Writes a recording of `o` into `dir` (created), in the layout `load` reads.
pub fn save(o: &Observation, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text);
    let exit = |e: Option<i32>| e.map_or("none\n".to_string(), |c| format!("{c}\n"));
    w("version.txt", &o.version.stdout)?;
    w("features.json", &o.features.stdout)?;
    w("features.stderr", &o.features.stderr)?;
    w("features.exit", &exit(o.features.exit))?;
    w("help.txt", &o.help.stdout)?;
    for (sub, out) in &o.sub_help {
        w(&format!("{sub}-help.txt"), &format!("{}{}", out.stdout, out.stderr))?;
        w(&format!("{sub}-help.exit"), &exit(out.exit))?;
    }
    let mut probes = String::new();
    for (args, out) in &o.probes {
        let status = match (out.exit, &out.error) {
            (Some(c), _) => format!("exit {c}"),
            (None, _) => "timeout".to_string(),
        };
        // As in the corpus captures: the first line of stderr, the runtime's complaint if any.
        let first = out.stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        probes.push_str(&format!("{args} => {status}: {first}\n"));
    }
    w("flag-probes.txt", &probes)?;
    let path = o.path.as_ref().map(|p| format!("path: {}\n", p.display())).unwrap_or_default();
    w("origin.txt", &format!("name: {}\n{path}", o.name))
}
