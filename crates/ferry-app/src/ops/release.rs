//! Releases: build one from a clean commit, list, show (re-verifying the artifact), abandon.

use crate::context::{App, Claim};
use crate::error::Result;
use crate::views::{ReleaseAbandoned, ReleaseCreated, ReleaseListed, ReleaseShown};
use ferry_store::{Abandonment, ReleaseRecord};

fn short_commit(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}

impl App {
    pub fn release_create(
        &self,
        who: &Claim,
        commit: Option<&str>,
        allow_dirty: bool,
    ) -> Result<ReleaseCreated> {
        if let Some(server) = &self.remote {
            return self.remote_release_create(server.as_ref(), commit, allow_dirty);
        }
        let built = self
            .releases
            .create(&self.project.root, commit, allow_dirty)?;
        let record = ReleaseRecord {
            id: built.id.clone(),
            commit: built.manifest.commit.clone(),
            dirty: built.manifest.dirty,
            subject: built.manifest.subject.clone(),
            author: built.manifest.author.clone(),
            created_by: who.as_str().to_string(),
            created_at: self.now(),
            abandoned: None,
        };
        // The release's own configuration must load: its gates are what will be enforced.
        self.release_config(&record.id)?;
        let ev = self.event(
            who.as_str(),
            None,
            "release.created",
            Some(&record.id),
            None,
            format!(
                "release of {} \"{}\"",
                short_commit(&record.commit),
                record.subject
            ),
        );
        let inserted = self.ledger.record_release(&record, &ev)?;
        let stored = self.ledger.release(&record.id)?.unwrap_or(record);
        Ok(ReleaseCreated {
            id: stored.id,
            commit: stored.commit,
            dirty: stored.dirty,
            subject: stored.subject,
            files: built.manifest.files.len(),
            size_compressed: built.size_compressed,
            size_uncompressed: built.size_uncompressed,
            already_existed: !inserted,
        })
    }

    pub fn release_list(&self) -> Result<Vec<ReleaseListed>> {
        if let Some(server) = &self.remote {
            return server.releases();
        }
        let envs: Vec<String> = self.chain().iter().map(|e| e.name().to_string()).collect();
        let mut out = Vec::new();
        for r in self.ledger.releases()? {
            let mut known_good_in = Vec::new();
            for e in &envs {
                if self.known_good(e, &r.id)?.is_some() {
                    known_good_in.push(e.clone());
                }
            }
            out.push(ReleaseListed {
                release: r,
                known_good_in,
            });
        }
        Ok(out)
    }

    pub fn release_show(&self, id: &str) -> Result<ReleaseShown> {
        let r = self.resolve_release(id)?;
        let manifest = self.releases.verify(&r.id)?;
        let deployments = self
            .ledger
            .deployments(None)?
            .into_iter()
            .filter(|d| d.release == r.id)
            .collect();
        Ok(ReleaseShown {
            release: r,
            files: manifest.files,
            verified: true,
            deployments,
        })
    }

    pub fn release_abandon(&self, who: &Claim, id: &str, reason: &str) -> Result<ReleaseAbandoned> {
        let r = self.resolve_release(id)?;
        let ev = self.event(
            who.as_str(),
            None,
            "release.abandoned",
            Some(&r.id),
            None,
            format!("abandoned: {reason}"),
        );
        let how = Abandonment {
            by: who.as_str().to_string(),
            at: self.now(),
            reason: reason.to_string(),
        };
        self.ledger.abandon_release(&r.id, &how, &ev)?;
        Ok(ReleaseAbandoned {
            id: r.id,
            abandoned: true,
            reason: reason.to_string(),
        })
    }
}
