-- Expand: a nullable column; the running release ignores it.
ALTER TABLE accounts ADD COLUMN display_name text;
