-- The queries release r3 runs: legacy_flags is gone from the application.
SELECT id, email, display_name FROM accounts WHERE id = $1;
INSERT INTO accounts (email, display_name) VALUES ($1, $2);
