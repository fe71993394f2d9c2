-- Nullable, no default: adding the column is a catalog-only change and does not rewrite the table.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
