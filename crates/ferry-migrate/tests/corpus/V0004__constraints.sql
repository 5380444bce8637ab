ALTER TABLE accounts ADD CONSTRAINT accounts_email_present CHECK (email <> '');
ALTER TABLE accounts ADD CONSTRAINT accounts_plan_known CHECK (plan IN ('free', 'pro')) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_plan_known;
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE orders ADD CONSTRAINT orders_coupon_fk FOREIGN KEY (coupon_id) REFERENCES accounts (id) NOT VALID;
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key2 UNIQUE USING INDEX accounts_email_unique;
ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
ALTER TABLE orders RENAME CONSTRAINT orders_coupon_fk TO orders_coupon_account_fk;
