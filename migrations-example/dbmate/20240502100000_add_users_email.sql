-- migrate:up
ALTER TABLE users ADD COLUMN email text;
CREATE UNIQUE INDEX users_email_idx ON users (email);

-- migrate:down
DROP INDEX users_email_idx;
ALTER TABLE users DROP COLUMN email;
