-- Contract: the running release (r2) still reads legacy_flags.
ALTER TABLE accounts DROP COLUMN legacy_flags;
