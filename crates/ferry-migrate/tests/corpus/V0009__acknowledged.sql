-- Release 2024.06 stopped reading accounts.legacy_ref; the rollback target is 2024.06 too.
-- ferry:contract no release in the rollback window reads legacy_ref
ALTER TABLE accounts DROP COLUMN legacy_ref;

-- ferry:contract
ALTER TABLE accounts DROP COLUMN old_flags;

-- ferry:contract destructive statements cannot be acknowledged
DROP TABLE old_accounts;

-- ferry:contract the app validates emails since 2024.05
-- (and the backfill in V0008 fixed the old rows)
ALTER TABLE accounts ADD CONSTRAINT accounts_email_at CHECK (email LIKE '%@%') NOT VALID;

-- ferry:contracts is not the marker
ALTER TABLE accounts DROP COLUMN tmp;
