//! What a user at a terminal sees: `diagnose` with no LOG says it reads standard input instead
//! of waiting silently. A pseudo-terminal is made with Python's `pty` module (Python is on every
//! machine the suite runs on).

use std::process::Command;

#[test]
fn diagnose_at_a_terminal_says_it_reads_stdin() {
    let bin = assert_cmd::cargo::cargo_bin("shipcheck");
    let script = r#"
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "diagnose"])
out = b""
deadline = time.time() + 20
while b"standard input" not in out and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
os.write(fd, b"\x04")
time.sleep(0.2)
os.write(fd, b"\x04")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(&bin).output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("reading a log from standard input"), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
}
