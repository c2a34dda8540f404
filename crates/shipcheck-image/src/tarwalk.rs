//! A tar reader that walks the headers itself, so that nothing is allocated from a size an
//! archive declares. The `tar` crate reads a GNU long name or a PAX header whole into memory,
//! however large it says it is (a 6 GiB long name in a 198 KiB `.tar.zst` exhausts memory); here
//! such a header is refused before any of it is read, at Go's `archive/tar` limit
//! ([`limits::MAX_TAR_HEADER_BYTES`]), which is what every engine that loads images uses. PAX
//! records are checked with Go's rules too, so what Go refuses is reported, not passed.
//!
//! The header fields themselves (sizes in octal or base-256, ustar prefixes, checksums) are
//! parsed by the `tar` crate's [`tar::Header`]; only the walk is ours.

use std::io::{self, Read, Seek, SeekFrom};

use tar::{EntryType, Header};

use crate::limits;
use crate::scan::read_up_to;

const BLOCK: u64 = 512;

/// One member as an extracting tool sees it: long names and PAX records applied.
#[derive(Clone, Debug)]
pub struct Member {
    /// GNU long name, else PAX `path`, else the header's (ustar prefix joined) name.
    pub name: Vec<u8>,
    /// GNU long link, else PAX `linkpath`, else the header's link name.
    pub link: Vec<u8>,
    pub kind: EntryType,
    pub mode: u32,
    /// Bytes of data after the header (PAX `size` applied).
    pub size: u64,
    /// Where the data starts in the (decompressed) stream.
    pub offset: u64,
    /// A PAX header before this member broke Go's record rules; its records were ignored.
    pub pax_error: Option<String>,
}

/// Why walking stopped.
#[derive(Debug)]
pub enum TarError {
    /// Reading failed, or the archive ends inside a header or member (truncated).
    Io(io::Error),
    /// A header is not a tar header (checksum, numeric fields).
    Corrupt(String),
    /// A long name or PAX header declares more than [`limits::MAX_TAR_HEADER_BYTES`]; it was not read.
    TooLarge(String),
}

impl std::fmt::Display for TarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TarError::Io(e) => write!(f, "{e}"),
            TarError::Corrupt(s) | TarError::TooLarge(s) => f.write_str(s),
        }
    }
}

impl From<io::Error> for TarError {
    fn from(e: io::Error) -> Self {
        TarError::Io(e)
    }
}

impl From<TarError> for io::Error {
    fn from(e: TarError) -> Self {
        match e {
            TarError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
        }
    }
}

/// What GNU and PAX extension headers set for the next member.
#[derive(Default)]
struct Pending {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    pax_error: Option<String>,
    any: bool,
}

/// Walks a tar stream member by member; reading from it reads the current member's data.
pub struct TarWalker<R> {
    inner: R,
    /// Offset of the next byte `inner` gives.
    pos: u64,
    /// Data bytes of the current member not yet read, and the padding after them.
    left: u64,
    pad: u64,
    skip: fn(&mut R, u64, &mut Vec<u8>) -> io::Result<()>,
    scratch: Vec<u8>,
}

fn skip_by_reading<R: Read>(r: &mut R, mut n: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    if buf.is_empty() {
        buf.resize(limits::CHUNK, 0);
    }
    while n > 0 {
        let want = n.min(buf.len() as u64) as usize;
        match r.read(&mut buf[..want]) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside a member")),
            Ok(k) => n -= k as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl<R: Read> TarWalker<R> {
    /// A walker that reads past data it skips (a pipe or a decompressor).
    pub fn new(inner: R) -> Self {
        TarWalker { inner, pos: 0, left: 0, pad: 0, skip: skip_by_reading::<R>, scratch: Vec::new() }
    }

    /// Consumes the walker, returning the stream positioned after what was walked.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The next member, or `None` at the end-of-archive block (or a clean end of stream).
    pub fn next_member(&mut self) -> Result<Option<Member>, TarError> {
        let mut pending = Pending::default();
        loop {
            self.finish_member()?;
            let Some(block) = self.read_header()? else {
                if pending.any {
                    return Err(TarError::Corrupt("extension header without a member after it".into()));
                }
                return Ok(None);
            };
            let header = Header::from_byte_slice(&block);
            let kind = header.entry_type();
            let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
            let size = header.entry_size().map_err(|e| TarError::Corrupt(format!("tar header: {e}")))?;
            let extension =
                recognized && (kind.is_gnu_longname() || kind.is_gnu_longlink() || kind.is_pax_local_extensions());
            if extension || kind.is_pax_global_extensions() {
                let body = self.read_extension(kind, size)?;
                if extension {
                    pending.any = true;
                    apply_extension(kind, body, &mut pending);
                    continue;
                }
                // A global header is a member of its own (Go returns it too); its records are
                // checked, and its data has been read.
                let mut m = self.member(header, 0, Pending::default())?;
                m.pax_error = check_pax(&body).err().map(|e| e.to_string());
                self.pad = padding(size);
                return Ok(Some(m));
            }
            let size = pending.size.unwrap_or(size);
            if kind.is_gnu_sparse() && header.as_gnu().is_some_and(|g| g.is_extended()) {
                self.skip_sparse_extensions()?;
            }
            return self.member(header, size, pending).map(Some);
        }
    }

    fn member(&mut self, header: &Header, size: u64, pending: Pending) -> Result<Member, TarError> {
        let m = Member {
            name: pending.name.unwrap_or_else(|| header.path_bytes().into_owned()),
            link: pending.link.unwrap_or_else(|| header.link_name_bytes().map(|l| l.into_owned()).unwrap_or_default()),
            kind: header.entry_type(),
            mode: header.mode().unwrap_or(0),
            size,
            offset: self.pos,
            pax_error: pending.pax_error,
        };
        self.left = size;
        self.pad = padding(size);
        Ok(m)
    }

    /// Skips what is left of the current member's data and padding.
    fn finish_member(&mut self) -> io::Result<()> {
        let n = self.left.checked_add(self.pad).ok_or_else(overflow)?;
        if n > 0 {
            (self.skip)(&mut self.inner, n, &mut self.scratch)?;
            self.pos += n;
            self.left = 0;
            self.pad = 0;
        }
        Ok(())
    }

    /// The next header block; `None` at a zero block or a clean end of stream.
    fn read_header(&mut self) -> Result<Option<[u8; 512]>, TarError> {
        let mut block = [0u8; 512];
        let got = read_up_to(&mut self.inner, &mut block)?;
        self.pos += got as u64;
        if got == 0 {
            return Ok(None);
        }
        if got < block.len() {
            return Err(TarError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside a header")));
        }
        if block.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let header = Header::from_byte_slice(&block);
        let sum: u32 =
            block.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as u32 }).sum();
        match header.cksum() {
            Ok(stored) if stored == sum => Ok(Some(block)),
            _ => Err(TarError::Corrupt(format!("tar header at offset {} has a bad checksum", self.pos - BLOCK))),
        }
    }

    /// Reads a long-name or PAX body, refusing it before reading when it is over the limit.
    fn read_extension(&mut self, kind: EntryType, size: u64) -> Result<Vec<u8>, TarError> {
        if size > limits::MAX_TAR_HEADER_BYTES {
            return Err(TarError::TooLarge(format!(
                "{} header at offset {} declares {size} bytes, over the {} byte limit (archive/tar: header field too long)",
                extension_name(kind),
                self.pos - BLOCK,
                limits::MAX_TAR_HEADER_BYTES
            )));
        }
        let mut body = vec![0u8; size as usize];
        let got = read_up_to(&mut self.inner, &mut body)?;
        self.pos += got as u64;
        if got < body.len() {
            return Err(TarError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside a header")));
        }
        self.left = 0;
        self.pad = padding(size);
        Ok(body)
    }

    /// Old GNU sparse members carry more sparse maps in blocks between header and data.
    fn skip_sparse_extensions(&mut self) -> Result<(), TarError> {
        loop {
            let mut block = [0u8; 512];
            let got = read_up_to(&mut self.inner, &mut block)?;
            self.pos += got as u64;
            if got < block.len() {
                return Err(TarError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside a header")));
            }
            // `isextended` is byte 504 of a GNU sparse extension block.
            if block[504] == 0 {
                return Ok(());
            }
        }
    }
}

impl<R: Read + Seek> TarWalker<R> {
    /// A walker that seeks past data it skips (an uncompressed archive on disk).
    pub fn seekable(inner: R) -> Self {
        fn skip_by_seeking<R: Seek>(r: &mut R, n: u64, _: &mut Vec<u8>) -> io::Result<()> {
            let n = i64::try_from(n).map_err(|_| overflow())?;
            r.seek(SeekFrom::Current(n)).map(|_| ())
        }
        TarWalker { inner, pos: 0, left: 0, pad: 0, skip: skip_by_seeking::<R>, scratch: Vec::new() }
    }
}

impl<R: Read> Read for TarWalker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside a member"));
        }
        self.left -= n as u64;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A declared size past what a file can hold: the archive's defect, not the disk's.
fn overflow() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "member size overflows")
}

fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

fn extension_name(kind: EntryType) -> &'static str {
    if kind.is_gnu_longname() {
        "GNU long name"
    } else if kind.is_gnu_longlink() {
        "GNU long link"
    } else {
        "PAX"
    }
}

/// Records what a long name, long link or PAX header says about the next member.
fn apply_extension(kind: EntryType, body: Vec<u8>, pending: &mut Pending) {
    // Go's parseString: a GNU long name ends at its first NUL.
    let cut = |mut b: Vec<u8>| {
        if let Some(i) = b.iter().position(|&c| c == 0) {
            b.truncate(i);
        }
        b
    };
    if kind.is_gnu_longname() {
        pending.name = Some(cut(body));
    } else if kind.is_gnu_longlink() {
        pending.link = Some(cut(body));
    } else {
        match check_pax(&body) {
            Err(e) => pending.pax_error = Some(e.to_string()),
            Ok(records) => {
                for (k, v) in records {
                    match k {
                        b"path" => pending.name = Some(v.to_vec()),
                        b"linkpath" => pending.link = Some(v.to_vec()),
                        b"size" => {
                            pending.size = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
                            if pending.size.is_none() {
                                pending.pax_error = Some(format!("PAX size `{}` is not a number", shown(v)));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// One PAX record: key and value.
pub type PaxRecord<'a> = (&'a [u8], &'a [u8]);

/// A PAX extended header Go's `archive/tar` refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed PAX record at byte {at}: {why}")]
pub struct PaxError {
    /// Offset of the record in the header's body.
    pub at: usize,
    pub why: String,
}

/// Splits PAX records by Go's `archive/tar` rules (`parsePAXRecord`): each record is
/// `"%d %s=%s\n"` whose decimal length counts the whole record, the key is not empty and has
/// no `=`, and no NUL appears in a key (nor in a path, linkpath, uname or gname value). Go
/// refuses the whole archive otherwise (`archive/tar: invalid tar header`).
pub fn check_pax(body: &[u8]) -> Result<Vec<PaxRecord<'_>>, PaxError> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut at = 0usize;
    while !rest.is_empty() {
        let bad = |why: &str| PaxError { at, why: why.to_string() };
        let sp = rest.iter().position(|&b| b == b' ').ok_or_else(|| bad("no length"))?;
        let n: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("length is not a decimal number"))?;
        if n < 5 || n > rest.len() || sp + 1 >= n - 1 {
            return Err(bad(&format!("length {n} does not fit the record")));
        }
        if rest[n - 1] != b'\n' {
            return Err(bad("record does not end in a newline where its length says"));
        }
        let rec = &rest[sp + 1..n - 1];
        let eq = rec.iter().position(|&b| b == b'=').ok_or_else(|| bad("no `=`"))?;
        let (k, v) = (&rec[..eq], &rec[eq + 1..]);
        let value_nul = matches!(k, b"path" | b"linkpath" | b"uname" | b"gname") && v.contains(&0);
        if k.is_empty() || k.contains(&0) || value_nul {
            return Err(bad("empty key or a NUL byte"));
        }
        out.push((k, v));
        rest = &rest[n..];
        at += n;
    }
    Ok(out)
}

/// A name for messages: lossy UTF-8, cut at 200 bytes.
pub fn shown(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(200)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > cut.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_follow_go_rules() {
        assert_eq!(check_pax(b"11 path=ab\n").unwrap(), vec![(&b"path"[..], &b"ab"[..])]);
        assert!(check_pax(b"").unwrap().is_empty());
        for bad in [&b"12 path=ab\n"[..], b"10 path=ab\n", b"x path=ab\n", b"9 pathab\n", b"6 =ab\n", b"3 a\n"] {
            assert!(check_pax(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        // Go's parseInt takes no sign here (n < 5 rejects negatives; `+` is refused by us too).
        assert!(check_pax(b"+11 path=ab\n").is_err());
    }

    #[test]
    fn walks_long_names_and_refuses_huge_ones() {
        let mut b = tar::Builder::new(Vec::new());
        let long = "d/".repeat(100) + "file";
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        let t = b.into_inner().unwrap();
        let mut w = TarWalker::new(&t[..]);
        let m = w.next_member().unwrap().unwrap();
        assert_eq!(m.name, long.as_bytes());
        let mut data = Vec::new();
        w.read_to_end(&mut data).unwrap();
        assert_eq!(data, b"abc");
        assert!(w.next_member().unwrap().is_none());

        let mut h = tar::Header::new_gnu();
        h.set_entry_type(EntryType::GNULongName);
        h.set_size(6 << 30);
        h.set_cksum();
        let mut w = TarWalker::new(&h.as_bytes()[..]);
        assert!(matches!(w.next_member(), Err(TarError::TooLarge(_))));
    }
}
