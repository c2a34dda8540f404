//! Reads one blob once: hashes it, sniffs what it is, keeps it if it is a small JSON document,
//! and if it is a layer, decompresses it, hashes the result (the diff_id) and walks its tar
//! entries, all in one streaming pass with bounded memory.

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher as _};
use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{Algorithm, Digest, Hasher};
use crate::elf::{self, ElfMachine};
use crate::limits;
use crate::tarwalk::{self, TarError, TarWalker};

/// What Go's `archive/tar` (every engine that loads images) says of a header it refuses.
pub const GO_INVALID_HEADER: &str = "archive/tar: invalid tar header";

/// Compression of a blob, from its magic bytes (never from its media type or name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
}

impl Compression {
    pub fn sniff(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Compression::Xz
        } else if prefix.starts_with(b"BZh") {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// Whether 512 bytes look like the first header of a tar stream (including an empty tar).
pub fn looks_like_tar(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    if block[..512].iter().all(|&b| b == 0) {
        return true;
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    // Old v7 headers have no magic: accept a valid header checksum.
    let stored = std::str::from_utf8(&block[148..156]).ok().map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '));
    let Some(stored) = stored.and_then(|s| u32::from_str_radix(s, 8).ok()) else { return false };
    let sum: u32 =
        block[..512].iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as u32 }).sum();
    sum == stored
}

/// What one pass over a blob learned.
#[derive(Clone, Debug, Default)]
pub struct BlobFacts {
    /// Bytes actually read (may be less than declared when the source is truncated).
    pub size: u64,
    /// Digest of the raw bytes; `None` when `--fast` skipped a layer's content.
    pub digest: Option<Digest>,
    /// The whole blob, when it looks like JSON and is at most [`limits::MAX_JSON_BYTES`].
    pub json: Option<Vec<u8>>,
    /// It looks like JSON but is over the cap, so it was not kept.
    pub json_too_large: bool,
    /// It was read as JSON but not kept: the source's documents together passed
    /// [`limits::MAX_JSON_TOTAL_BYTES`].
    pub json_over_budget: bool,
    /// Set when the blob is a tar stream, compressed or not.
    pub layer: Option<LayerFacts>,
    /// Compression seen by magic bytes, whether or not the content was a tar.
    pub compression: Option<Compression>,
    /// The source itself failed while reading (truncated archive, I/O error).
    pub read_error: Option<String>,
}

/// What walking a layer's tar entries found.
#[derive(Clone, Debug, Default)]
pub struct LayerFacts {
    pub compression: Option<Compression>,
    /// sha256 of the decompressed tar; `None` if decompression failed or was skipped.
    pub diff_id: Option<Digest>,
    pub uncompressed_size: u64,
    pub entries: u64,
    /// Entries whose path or hard-link target leaves the layer root: (path, why). First few only.
    pub escapes: Vec<(String, String)>,
    pub escape_count: u64,
    /// Paths that occur more than once in this layer. First few only.
    pub duplicates: Vec<String>,
    pub duplicate_count: u64,
    /// Executables by CPU: count and one example path.
    pub elf: BTreeMap<ElfMachine, (u64, String)>,
    /// Decompression or tar structure failed at this point.
    pub error: Option<String>,
    /// Decompressed size passed the expansion limit, in bytes; reading stopped there.
    pub bomb: Option<u64>,
}

const MAX_EXAMPLES: usize = 10;

/// Options for one pass.
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions {
    /// Skip the content of layers (anything that sniffs as compressed or tar).
    pub fast: bool,
    pub algorithm: Algorithm,
    /// The blob's declared or stored size, to bound decompression.
    pub size_hint: u64,
    /// A layer may expand to this many times its size ([`limits::expansion_allowance`]).
    pub expansion_ratio: u64,
}

/// Counts and hashes everything read through it.
struct Hashing<R> {
    inner: R,
    hasher: Option<Hasher>,
    count: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Stops with an error once more than `left` bytes have come through (a layer's expansion
/// allowance, or a wrapped archive's unpacked-size limit).
pub(crate) struct Bounded<R> {
    pub(crate) inner: R,
    pub(crate) left: u64,
    pub(crate) tripped: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.tripped = true;
            return Err(io::Error::new(io::ErrorKind::InvalidData, "decompressed size passed the expansion limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads `reader` to its end once and reports what it is.
pub fn scan_blob<R: Read>(reader: R, opts: ScanOptions) -> BlobFacts {
    let mut raw = Hashing { inner: reader, hasher: Some(Hasher::new(opts.algorithm)), count: 0 };
    let mut facts = BlobFacts::default();
    let mut prefix = [0u8; 512];
    let got = match read_up_to(&mut raw, &mut prefix) {
        Ok(n) => n,
        Err(e) => {
            facts.read_error = Some(e.to_string());
            facts.size = raw.count;
            return facts;
        }
    };
    let prefix = &prefix[..got];
    let compression = Compression::sniff(prefix);
    let is_tar = compression == Compression::None && looks_like_tar(prefix);
    let layer_like = compression != Compression::None || is_tar;
    if compression != Compression::None {
        facts.compression = Some(compression);
    }

    if opts.fast && layer_like {
        // Structure only: the size is what the container says; the content is not read.
        facts.size = opts.size_hint;
        facts.layer = Some(LayerFacts { compression: Some(compression), ..LayerFacts::default() });
        return facts;
    }

    let first = prefix.iter().copied().find(|b| !b.is_ascii_whitespace());
    let json_like = !layer_like && matches!(first, Some(b'{' | b'[' | b'n'));

    let result = {
        let mut stream = BufReader::with_capacity(limits::CHUNK, io::Cursor::new(prefix).chain(&mut raw));
        let r = if json_like && opts.size_hint <= limits::MAX_JSON_BYTES {
            let mut doc = Vec::with_capacity(opts.size_hint as usize);
            let r = (&mut stream).take(limits::MAX_JSON_BYTES + 1).read_to_end(&mut doc).map(|_| ());
            if doc.len() as u64 > limits::MAX_JSON_BYTES {
                facts.json_too_large = true;
            } else {
                facts.json = Some(doc);
            }
            r
        } else if layer_like {
            facts.json_too_large = json_like;
            facts.layer = Some(scan_layer(
                &mut stream,
                compression,
                limits::expansion_allowance(opts.size_hint, opts.expansion_ratio),
            ));
            Ok(())
        } else {
            facts.json_too_large = json_like;
            Ok(())
        };
        // Whatever was not consumed still has to pass through the hasher.
        r.and_then(|()| io::copy(&mut stream, &mut io::sink()).map(|_| ()))
    };
    if let Err(e) = result {
        facts.read_error = Some(e.to_string());
    }
    facts.size = raw.count;
    facts.digest = raw.hasher.take().map(Hasher::finish);
    facts
}

/// Fills `buf` as far as the stream allows (a short read is not the end of a stream).
pub(crate) fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The decoder for a stream in compression `c`, shared by every reader of archives and layers
/// (verify, convert, push) so that all of them read the same bytes. Concatenated streams are
/// all read, as xz(1), gzip(1) and zstd(1) do: a multi-stream `.tar.xz` is one tar.
pub fn decoder<'a, R: BufRead + 'a>(stream: R, c: Compression) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match c {
        Compression::None => Box::new(stream),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(stream)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(stream)?),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(stream)),
        Compression::Bzip2 => {
            return Err(io::Error::other("bzip2 is not supported by OCI or current engines"));
        }
    })
}

fn scan_layer<R: BufRead>(stream: &mut R, compression: Compression, allowance: u64) -> LayerFacts {
    let decoded = match decoder(stream, compression) {
        Ok(d) => d,
        Err(e) => {
            let prefix = if compression == Compression::Zstd { "zstd: " } else { "" };
            return LayerFacts {
                compression: Some(compression),
                error: Some(format!("{prefix}{e}")),
                ..Default::default()
            };
        }
    };
    let mut tar_stream = Hashing {
        inner: Bounded { inner: decoded, left: allowance, tripped: false },
        hasher: Some(Hasher::new(Algorithm::Sha256)),
        count: 0,
    };
    let mut facts = LayerFacts { compression: Some(compression), ..Default::default() };
    let walked = walk_tar(&mut tar_stream, &mut facts);
    // The diff_id covers every decompressed byte, including padding after the end blocks.
    let drained = walked.and_then(|()| io::copy(&mut tar_stream, &mut io::sink()).map(|_| ()));
    facts.uncompressed_size = tar_stream.count;
    facts.bomb = tar_stream.inner.tripped.then_some(allowance);
    match drained {
        Ok(()) => facts.diff_id = tar_stream.hasher.take().map(Hasher::finish),
        Err(e) if facts.error.is_none() => facts.error = Some(e.to_string()),
        Err(_) => {}
    }
    facts
}

fn walk_tar<R: Read>(stream: &mut R, facts: &mut LayerFacts) -> io::Result<()> {
    let mut walker = TarWalker::new(stream);
    let mut seen: HashSet<u64> = HashSet::new();
    loop {
        let member = walker.next_member().map_err(|e| match e {
            TarError::Io(e) => io::Error::new(e.kind(), format!("tar entry {}: {e}", facts.entries + 1)),
            other => io::Error::new(io::ErrorKind::InvalidData, format!("tar entry {}: {other}", facts.entries + 1)),
        })?;
        let Some(member) = member else { return Ok(()) };
        facts.entries += 1;
        if let (Some(why), None) = (&member.pax_error, &facts.error) {
            // Go's archive/tar stops here, so every engine fails to unpack this layer.
            facts.error = Some(format!("tar entry {}: {why} ({GO_INVALID_HEADER})", facts.entries));
        }
        let path_bytes = &member.name;
        let path = tarwalk::shown(path_bytes);
        let kind = member.kind;

        if let Some(why) = path_escape(path_bytes) {
            facts.escape_count += 1;
            if facts.escapes.len() < MAX_EXAMPLES {
                facts.escapes.push((path.clone(), why.to_string()));
            }
        }
        if kind.is_hard_link() {
            if let Some(why) = path_escape(&member.link) {
                facts.escape_count += 1;
                if facts.escapes.len() < MAX_EXAMPLES {
                    let target = tarwalk::shown(&member.link);
                    facts.escapes.push((path.clone(), format!("hard link target `{target}` {why}")));
                }
            }
        }

        let normalized = normalize(path_bytes);
        if !normalized.is_empty() && seen.len() < limits::MAX_LAYER_PATHS {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            normalized.hash(&mut h);
            if !seen.insert(h.finish()) {
                facts.duplicate_count += 1;
                if facts.duplicates.len() < MAX_EXAMPLES {
                    facts.duplicates.push(path.clone());
                }
            }
        }

        if (kind.is_file() || kind == tar::EntryType::Continuous)
            && member.mode & 0o111 != 0
            && member.size >= elf::ELF_PREFIX as u64
        {
            let mut head = [0u8; elf::ELF_PREFIX];
            if walker.read_exact(&mut head).is_ok() {
                if let Some(m) = elf::machine(&head) {
                    let slot = facts.elf.entry(m).or_insert((0, path.clone()));
                    slot.0 += 1;
                }
            }
        }
    }
}

/// Why a layer path or hard-link target leaves the root, if it does.
fn path_escape(path: &[u8]) -> Option<&'static str> {
    // Some writers (kaniko) emit the root directory itself as `/`: that names the root, not
    // a path outside it.
    if path.iter().all(|&b| b == b'/' || b == b'.') && !path.windows(2).any(|w| w == b"..") {
        return None;
    }
    if path.first() == Some(&b'/') {
        return Some("is absolute");
    }
    if path.split(|&b| b == b'/').any(|c| c == b"..") {
        return Some("contains `..`");
    }
    None
}

/// `./a//b/` → `a/b`: the form two entries naming the same file share.
fn normalize(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".") {
        if !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(comp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256;

    fn opts(size: u64) -> ScanOptions {
        ScanOptions {
            fast: false,
            algorithm: Algorithm::Sha256,
            size_hint: size,
            expansion_ratio: crate::limits::MAX_EXPANSION_RATIO,
        }
    }

    fn tar_of(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data, mode) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(*mode);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name so escapes can be tested.
            let name = &mut h.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn plain_tar_layer_has_diff_id_equal_to_digest() {
        let t = tar_of(&[("bin/sh", b"#!/bin/sh\n", 0o755)]);
        let f = scan_blob(&t[..], opts(t.len() as u64));
        let l = f.layer.unwrap();
        assert_eq!(f.digest, Some(sha256(&t)));
        assert_eq!(l.diff_id, Some(sha256(&t)));
        assert_eq!(l.entries, 1);
    }

    #[test]
    fn gzip_layer_diff_id_is_of_decompressed_bytes() {
        let t = tar_of(&[("a", b"hello", 0o644)]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &t).unwrap();
        let z = gz.finish().unwrap();
        let f = scan_blob(&z[..], opts(z.len() as u64));
        assert_eq!(f.digest, Some(sha256(&z)));
        assert_eq!(f.layer.as_ref().unwrap().diff_id, Some(sha256(&t)));
        assert_eq!(f.compression, Some(Compression::Gzip));
    }

    #[test]
    fn finds_escapes_duplicates_and_elf() {
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[18] = 62;
        let t = tar_of(&[
            ("../etc/passwd", b"x", 0o644),
            ("a/b", b"1", 0o644),
            ("./a/b", b"2", 0o644),
            ("usr/bin/x", &elf, 0o755),
        ]);
        let l = scan_blob(&t[..], opts(t.len() as u64)).layer.unwrap();
        assert_eq!(l.escape_count, 1);
        assert_eq!(l.duplicates, vec!["./a/b".to_string()]);
        assert_eq!(l.elf.keys().next().unwrap().oci_arch(), Some("amd64"));
    }

    #[test]
    fn keeps_small_json_and_flags_garbage_layers() {
        let doc = br#"{"schemaVersion":2}"#;
        let f = scan_blob(&doc[..], opts(doc.len() as u64));
        assert_eq!(f.json.as_deref(), Some(&doc[..]));
        let bad = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
        let f = scan_blob(&bad[..], opts(bad.len() as u64));
        assert!(f.layer.unwrap().error.is_some());
        assert_eq!(f.digest, Some(sha256(&bad)), "raw digest is still computed");
    }

    #[test]
    fn gzip_bomb_is_stopped() {
        // 64 MiB of zeros compresses to ~64 KiB; with a tiny allowance it must trip.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            std::io::Write::write_all(&mut gz, &zeros).unwrap();
        }
        let z = gz.finish().unwrap();
        let mut s = Bounded { inner: flate2::read::GzDecoder::new(&z[..]), left: 1 << 20, tripped: false };
        assert!(io::copy(&mut s, &mut io::sink()).is_err());
        assert!(s.tripped);
        // A layer scan records the allowance it stopped at (zeros are a tar's end blocks,
        // and the bytes after them still count).
        let layer = scan_layer(&mut &z[..], Compression::Gzip, 1 << 20);
        assert_eq!(layer.bomb, Some(1 << 20));
        assert_eq!(layer.diff_id, None);
    }

    #[test]
    fn fast_mode_skips_layer_content() {
        let t = tar_of(&[("a", b"x", 0o644)]);
        let f = scan_blob(&t[..], ScanOptions { fast: true, ..opts(t.len() as u64) });
        assert!(f.digest.is_none());
        assert!(f.layer.unwrap().diff_id.is_none());
    }
}
