//! Platforms: the one type every shipcheck domain shares, from `shipcheck-core` (every
//! spelling real tools write, normalised as containerd and BuildKit read them).

pub use shipcheck_core::platform::{Platform, PlatformError};
