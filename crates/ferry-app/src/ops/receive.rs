//! `release receive`: the server's half of `release create` in remote mode. A client built the
//! bundle from its commit and uploaded the bytes; the server checks that they hash to the id the
//! client named (nothing is stored otherwise), that the release's own ferry.toml loads (its gates
//! are what will be enforced), and records it as `release create` does, by the caller.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::views::ReleaseCreated;
use ferry_core::ReleaseId;
use ferry_store::ReleaseRecord;

impl App {
    pub fn release_receive(
        &self,
        who: &Claim,
        id: &ReleaseId,
        compressed: &[u8],
    ) -> Result<ReleaseCreated> {
        let manifest = self.releases.import(id, compressed)?;
        let record = ReleaseRecord {
            id: id.clone(),
            commit: manifest.commit.clone(),
            dirty: manifest.dirty,
            subject: manifest.subject.clone(),
            author: manifest.author.clone(),
            created_by: who.as_str().to_string(),
            created_at: self.now(),
            abandoned: None,
        };
        self.release_config(&record.id)
            .map_err(|e| e.context(format!("release {} was not recorded", id.short())))?;
        let ev = self.event(
            who.as_str(),
            None,
            "release.created",
            Some(&record.id),
            None,
            format!(
                "release of {} \"{}\" (uploaded via {})",
                record.commit.get(..12).unwrap_or(&record.commit),
                record.subject,
                who.origin
            ),
        );
        let inserted = self.ledger.record_release(&record, &ev)?;
        let stored = self
            .ledger
            .release(&record.id)?
            .ok_or_else(|| AppError::NotFound(format!("release {id} vanished from the ledger")))?;
        Ok(ReleaseCreated {
            id: stored.id,
            commit: stored.commit,
            dirty: stored.dirty,
            subject: stored.subject,
            files: manifest.files.len(),
            size_compressed: compressed.len() as u64,
            // `ReleaseStore::import` does not say the tar's size (it decodes it to check the id).
            size_uncompressed: 0,
            already_existed: !inserted,
        })
    }
}
