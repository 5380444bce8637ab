//! The manifest is the first entry of every bundle: it says which commit the bytes came from and
//! whether they came from a dirty work tree, so a release can be traced back without trusting
//! anything outside the hashed bytes. It holds nothing that varies between machines or builds.

use serde::{Deserialize, Serialize};

/// Version of the bundle layout. Bumping it is the only way bundle bytes for a commit may change.
pub const FORMAT: u32 = 1;

/// Path of the manifest inside the bundle; reserved, so a project may not commit a file by this name.
pub const MANIFEST_NAME: &str = ".ferry-release.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Full hex object name of the commit (HEAD for a dirty release).
    pub commit: String,
    /// True when the bytes come from a work tree with uncommitted changes.
    pub dirty: bool,
    /// Subject line of the commit.
    pub subject: String,
    /// Author email of the commit.
    pub author: String,
    /// Bundle paths (relative to the project root), sorted bytewise, excluding the manifest itself.
    pub files: Vec<String>,
}

impl Manifest {
    /// Canonical JSON: serde keeps field order, and `files` is sorted by the builder, so the same
    /// manifest always serialises to the same bytes.
    pub(crate) fn to_canonical_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_through_json() -> Result<(), serde_json::Error> {
        let m = Manifest {
            format: FORMAT,
            commit: "a".repeat(40),
            dirty: true,
            subject: "Add \"prod\" inputs".into(),
            author: "dev@example.com".into(),
            files: vec!["ferry.toml".into(), "infra/main.tf".into()],
        };
        let json = m.to_canonical_json()?;
        let back: Manifest = serde_json::from_slice(&json)?;
        assert_eq!(back, m);
        assert_eq!(back.to_canonical_json()?, json, "serialisation is stable");
        Ok(())
    }
}
