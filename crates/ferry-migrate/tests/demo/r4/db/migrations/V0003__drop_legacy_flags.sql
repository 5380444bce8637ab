-- Contract, acknowledged: release r3 stopped reading legacy_flags and is the rollback target.
-- ferry:contract r3 no longer reads or writes legacy_flags
ALTER TABLE accounts DROP COLUMN legacy_flags;
