//! What the engine's `init` installed in a work dir, kept across commands: a `plan` then an
//! `apply` of the same release in the same environment re-unpack the release (hash-verified)
//! but need not re-initialise. The release's own files are always rewritten from the verified
//! bundle; only `.terraform` (and the lock file `init` wrote, when the release has none) is
//! carried over, and only when it was initialised for the same environment and release.
//! `Engine::init_once` then decides, fail closed, whether `init` can be skipped.

use crate::context::App;
use std::path::{Path, PathBuf};

/// The files `init` writes into the root module directory.
const CARRIED: [&str; 2] = [".terraform", ".terraform.lock.hcl"];

pub(crate) fn init_key(env: &str, release: &ferry_core::ReleaseId) -> String {
    format!("{env} {release}")
}

impl App {
    /// Moves what `init` left in `module_dir` aside when it was made for `key`; the place it
    /// went, to [`App::restore_init`] after the unpack.
    pub(crate) fn set_init_aside(
        &self,
        work_name: &str,
        module_dir: &Path,
        key: &str,
    ) -> Option<PathBuf> {
        if ferry_engine::init_key(module_dir).as_deref() != Some(key) {
            return None;
        }
        let aside = self
            .project
            .data_dir
            .join("work")
            .join(format!(".{work_name}.init"));
        let _ = std::fs::remove_dir_all(&aside);
        ferry_store::artifacts::create_private_dir(&aside).ok()?;
        for name in CARRIED {
            let from = module_dir.join(name);
            if from.symlink_metadata().is_ok() && std::fs::rename(&from, aside.join(name)).is_err()
            {
                let _ = std::fs::remove_dir_all(&aside);
                return None;
            }
        }
        Some(aside)
    }

    /// Puts what [`App::set_init_aside`] kept back into the fresh `module_dir`, never over a
    /// file of the release, and removes the rest.
    pub(crate) fn restore_init(&self, aside: Option<PathBuf>, module_dir: &Path) {
        let Some(aside) = aside else {
            return;
        };
        if module_dir.is_dir() {
            for name in CARRIED {
                let from = aside.join(name);
                let to = module_dir.join(name);
                if from.symlink_metadata().is_ok() && to.symlink_metadata().is_err() {
                    let _ = std::fs::rename(&from, &to);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&aside);
    }
}
