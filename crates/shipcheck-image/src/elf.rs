//! Just enough ELF to tell which CPU an executable is for.

/// The CPU an ELF file targets: `e_machine` plus class and byte order, which is what tells
/// ppc64 from ppc64le and arm from arm64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElfMachine {
    pub machine: u16,
    pub class64: bool,
    pub little_endian: bool,
}

/// Bytes needed to read the header fields used here.
pub const ELF_PREFIX: usize = 20;

/// Reads the ELF identification and `e_machine` from the first bytes of a file.
pub fn machine(prefix: &[u8]) -> Option<ElfMachine> {
    if prefix.len() < ELF_PREFIX || &prefix[..4] != b"\x7fELF" {
        return None;
    }
    let class64 = match prefix[4] {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little_endian = match prefix[5] {
        1 => true,
        2 => false,
        _ => return None,
    };
    let raw = [prefix[18], prefix[19]];
    let machine = if little_endian { u16::from_le_bytes(raw) } else { u16::from_be_bytes(raw) };
    Some(ElfMachine { machine, class64, little_endian })
}

impl ElfMachine {
    /// The GOARCH-style architecture name OCI platforms use, where one is known.
    pub fn oci_arch(self) -> Option<&'static str> {
        Some(match (self.machine, self.class64, self.little_endian) {
            (62, true, _) => "amd64",
            (3, false, _) => "386",
            (183, true, _) => "arm64",
            (40, false, _) => "arm",
            (21, true, true) => "ppc64le",
            (21, true, false) => "ppc64",
            (22, true, _) => "s390x",
            (243, true, _) => "riscv64",
            (8, true, true) => "mips64le",
            (8, true, false) => "mips64",
            (8, false, true) => "mipsle",
            (8, false, false) => "mips",
            (258, true, _) => "loong64",
            _ => return None,
        })
    }

    pub fn describe(self) -> String {
        match self.oci_arch() {
            Some(a) => a.to_string(),
            None => format!("e_machine {} ({}-bit)", self.machine, if self.class64 { 64 } else { 32 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(class: u8, data: u8, machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 20];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = class;
        h[5] = data;
        let m = if data == 1 { machine.to_le_bytes() } else { machine.to_be_bytes() };
        h[18..20].copy_from_slice(&m);
        h
    }

    #[test]
    fn reads_machines() {
        assert_eq!(machine(&header(2, 1, 62)).unwrap().oci_arch(), Some("amd64"));
        assert_eq!(machine(&header(2, 1, 183)).unwrap().oci_arch(), Some("arm64"));
        assert_eq!(machine(&header(2, 2, 21)).unwrap().oci_arch(), Some("ppc64"));
        assert_eq!(machine(&header(2, 2, 22)).unwrap().oci_arch(), Some("s390x"));
        assert_eq!(machine(&header(1, 1, 40)).unwrap().oci_arch(), Some("arm"));
        assert!(machine(b"#!/bin/sh\nexec true\n").is_none());
        assert!(machine(&header(9, 1, 62)).is_none());
        assert!(machine(b"\x7fELF").is_none());
    }
}
