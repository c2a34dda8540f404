//! Every rule of CI log diagnosis: one file a rule (`src/rules/<rule>.rs`) holding its
//! declaration, its user documentation (the doc comment), the signature classes it reports
//! (`CLASSES`) and its check, which reads only [`Facts`](crate::facts::Facts). The registry
//! below is generated from the files by build.rs, so adding a rule means adding its file (and
//! its fixture in tests/fixtures/rules/).

include!(concat!(env!("OUT_DIR"), "/rules.rs"));
