-- The queries release r2 runs.
SELECT id, email, legacy_flags FROM accounts WHERE id = $1;
INSERT INTO accounts (email, legacy_flags) VALUES ($1, $2);
