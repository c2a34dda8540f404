#![no_main]
use std::sync::OnceLock;

use shipcheck_triage::kb::Kb;

static KB: OnceLock<Kb> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(|| Kb::load(&[]).expect("built-in signatures"));
    let _ = shipcheck_triage::input::diagnose_reader(kb, "fuzz.log", data);
});
