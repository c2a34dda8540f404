#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = shipcheck_package::packit::check_text(text, ".packit.yaml");
        let release = shipcheck_package::spec_check::Release { tag: Some("v1.0"), template: "v{version}" };
        let _ = shipcheck_package::spec_check::check_text(text, "x.spec", &release, (2026, 1, 1));
        let _ = shipcheck_package::history::check_release_reset(text, &[("c1".into(), text.replace("Version", "Version: 0\n#"))], "x.spec");
        let tags: Vec<String> = text.lines().take(16).map(String::from).collect();
        let rules = shipcheck_package::history::TagRules { template: "v{version}", include: tags.first().map(String::as_str), exclude: None };
        let _ = shipcheck_package::history::check_tags(&tags, &rules, shipcheck_report::Subject::whole(".packit.yaml"));
        for line in text.lines().take(4) {
            let _ = shipcheck_package::evr::Evr::parse(line);
            let _ = shipcheck_package::evr::split_nvr(line);
            if let Some((a, b)) = line.split_once(' ') {
                let _ = shipcheck_package::evr::rpmvercmp(a, b);
            }
        }
    }
});
