//! Colour in human output follows NO_COLOR, CLICOLOR and CLICOLOR_FORCE as their specs say
//! (no-color.org, bixense.com/clicolors). Tests run with stdout piped, so `auto` alone is off.

fn human(env: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine\nRUN wget https://example.com/tool-linux-amd64.tar.gz\n",
    )
    .unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("shipcheck").unwrap();
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).current_dir(dir.path()).arg("dockerfile").args(args);
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

fn coloured(text: &str) -> bool {
    text.contains('\u{1b}')
}

#[test]
fn colour_follows_the_environment_conventions() {
    assert!(!coloured(&human(&[], &[])), "not a terminal");
    assert!(coloured(&human(&[("CLICOLOR_FORCE", "1")], &[])));
    assert!(!coloured(&human(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[])), "NO_COLOR wins");
    assert!(coloured(&human(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")], &[])), "an empty NO_COLOR is unset");
    assert!(!coloured(&human(&[("CLICOLOR_FORCE", "1")], &["--color", "never"])), "the flag wins");
    assert!(coloured(&human(&[("NO_COLOR", "1")], &["--color", "always"])));
}
