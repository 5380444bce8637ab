CREATE INDEX accounts_email ON accounts (email);
CREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);
CREATE UNIQUE INDEX CONCURRENTLY accounts_email_unique ON accounts (lower(email));
DROP INDEX accounts_plan;
DROP INDEX CONCURRENTLY accounts_email;
REINDEX INDEX accounts_email_unique;
REINDEX INDEX CONCURRENTLY accounts_email_unique;
CREATE INDEX IF NOT EXISTS orders_created ON orders (id) WHERE total_cents > 0;
