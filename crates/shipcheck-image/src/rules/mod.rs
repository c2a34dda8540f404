//! Every rule the image verifier reports: one file a rule (`src/rules/<rule>.rs`) holding its
//! declaration, its user documentation (the doc comment: `shipcheck explain ID` prints it and
//! docs/rules.md is generated from it) and its check, which reads only
//! [`Facts`](crate::facts::Facts). The registry below is generated from the files by build.rs,
//! so adding a rule means adding its file (and its fixture in tests/fixtures/rules/).

include!(concat!(env!("OUT_DIR"), "/rules.rs"));
