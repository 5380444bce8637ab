-- A new schema: everything here is expand, including what would lock an existing table.
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    total_cents bigint NOT NULL
);

CREATE INDEX orders_account_id ON orders (account_id);
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total_cents >= 0);
ALTER TABLE accounts ADD COLUMN verified boolean NOT NULL;
CREATE SEQUENCE invoice_numbers;
CREATE TYPE order_state AS ENUM ('open', 'paid');
CREATE VIEW open_orders AS SELECT id, account_id FROM orders;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
COMMENT ON TABLE accounts IS 'customer accounts';
GRANT SELECT ON accounts TO PUBLIC;
