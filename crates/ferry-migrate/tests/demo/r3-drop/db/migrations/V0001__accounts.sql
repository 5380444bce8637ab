-- Release 2: the accounts table the demo app uses.
CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    legacy_flags text
);
