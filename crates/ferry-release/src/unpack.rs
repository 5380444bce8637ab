//! Writes verified entries into a directory. Entry paths and link targets were already checked
//! lexically by the decoder; this adds the on-disk guards: never create anything through a
//! symlink (one from the bundle or one already in `dest`), never follow a link at the final path.
//! An unpacked release is a work copy under the private data directory and may hold var files
//! with secrets, so everything is owner-only from creation (0700 directories, 0600 files, 0700
//! for executables): the executable bit is what the bundle records, not the others' bits.

use crate::error::ReleaseError;
use crate::tree::{EntryKind, TreeEntry};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub(crate) fn write_entries(entries: &[TreeEntry], dest: &Path) -> Result<(), ReleaseError> {
    fs::create_dir_all(dest).map_err(|e| ReleaseError::io(dest, e))?;
    for entry in entries {
        let target = prepare_parents(dest, &entry.path)?;
        remove_existing(&target, &entry.path)?;
        match &entry.kind {
            EntryKind::File { data, executable } => write_file(&target, data, *executable)?,
            EntryKind::Symlink { target: link } => make_symlink(link, &target, &entry.path)?,
        }
    }
    Ok(())
}

/// Creates the directories above `path` inside `dest`, refusing to descend through a symlink.
fn prepare_parents(dest: &Path, path: &str) -> Result<PathBuf, ReleaseError> {
    let mut current = dest.to_path_buf();
    let parts: Vec<&str> = path.split('/').collect();
    let (last, dirs) = parts.split_last().unwrap_or((&"", &[]));
    for dir in dirs {
        current.push(dir);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(ReleaseError::unsafe_entry(
                    path,
                    format!("would be written through the symlink {}", current.display()),
                ));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(ReleaseError::unsafe_entry(
                    path,
                    format!("{} exists and is not a directory", current.display()),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                private_dir(&current)?;
            }
            Err(e) => return Err(ReleaseError::io(&current, e)),
        }
    }
    current.push(last);
    Ok(current)
}

fn private_dir(path: &Path) -> Result<(), ReleaseError> {
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(path).map_err(|e| ReleaseError::io(path, e))
}

/// Replaces a file or link left from an earlier unpack; the new entry is then created exclusively
/// so that a link planted at the final path is never followed.
fn remove_existing(target: &Path, path: &str) -> Result<(), ReleaseError> {
    match fs::symlink_metadata(target) {
        Ok(meta) if meta.is_dir() => Err(ReleaseError::unsafe_entry(
            path,
            format!("{} exists and is a directory", target.display()),
        )),
        Ok(_) => fs::remove_file(target).map_err(|e| ReleaseError::io(target, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ReleaseError::io(target, e)),
    }
}

fn write_file(target: &Path, data: &[u8], executable: bool) -> Result<(), ReleaseError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(target)
        .map_err(|e| ReleaseError::io(target, e))?;
    file.write_all(data)
        .map_err(|e| ReleaseError::io(target, e))?;
    set_mode(&file, target, executable)
}

#[cfg(unix)]
fn set_mode(file: &fs::File, target: &Path, executable: bool) -> Result<(), ReleaseError> {
    use std::os::unix::fs::PermissionsExt;
    // Explicit, so the result does not depend on the caller's umask.
    let mode = if executable { 0o700 } else { 0o600 };
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| ReleaseError::io(target, e))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _target: &Path, _executable: bool) -> Result<(), ReleaseError> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(link: &str, target: &Path, _path: &str) -> Result<(), ReleaseError> {
    std::os::unix::fs::symlink(link, target).map_err(|e| ReleaseError::io(target, e))
}

#[cfg(not(unix))]
fn make_symlink(_link: &str, _target: &Path, path: &str) -> Result<(), ReleaseError> {
    Err(ReleaseError::unsafe_entry(
        path,
        "symlinks are only supported on Unix",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn refuses_to_write_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dest = dir.path().join("dest");
        fs::create_dir(&dest).unwrap();
        std::os::unix::fs::symlink(outside.path(), dest.join("mod")).unwrap();
        let entries = vec![TreeEntry {
            path: "mod/evil.tf".into(),
            kind: EntryKind::File {
                data: b"x".to_vec(),
                executable: false,
            },
        }];
        let err = write_entries(&entries, &dest).unwrap_err();
        assert!(matches!(err, ReleaseError::Unsafe { .. }), "{err}");
        assert!(!outside.path().join("evil.tf").exists());
    }

    #[test]
    fn replaces_a_planted_link_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("main.tf")).unwrap();
        let entries = vec![TreeEntry {
            path: "main.tf".into(),
            kind: EntryKind::File {
                data: b"new".to_vec(),
                executable: false,
            },
        }];
        write_entries(&entries, dir.path()).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(
            fs::read_to_string(dir.path().join("main.tf")).unwrap(),
            "new"
        );
    }
}
