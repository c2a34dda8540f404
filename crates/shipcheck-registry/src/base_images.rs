//! The registry client as the Dockerfile checks' base-image lookup (`shipcheck dockerfile
//! --online`): the platforms a base image's registry lists for it.

use shipcheck_core::platform::Platform;
use shipcheck_workflow::{BaseImages, LookupError};

use crate::client::Client;
use crate::reference::Reference;

impl BaseImages for Client {
    fn platforms(&self, image: &Reference) -> Result<Vec<Platform>, LookupError> {
        // The inherent method (the registry's own `os/arch[/variant]` strings), not this one.
        let listed = Client::platforms(self, image).map_err(LookupError::new)?;
        // What is not a platform by the one parser is left out, as the rule always did.
        Ok(listed.iter().filter_map(|p| Platform::parse(p).ok()).collect())
    }
}
