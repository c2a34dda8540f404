//! Every rule the registry code reports: one file a rule (`src/rules/<rule>.rs`, named after
//! the part of its ID after the `/`) holding its declaration, its user documentation (the doc
//! comment, shown by `shipcheck explain ID` and in docs/rules.md) and its check, which reads
//! only [`Facts`](crate::facts::Facts). The registry below is generated from the files by
//! build.rs, so adding a rule means adding its file (and its fixture in tests/fixtures/rules/).

include!(concat!(env!("OUT_DIR"), "/rules.rs"));
