-- postgres-migrations disable-transaction
-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and only works as the file's only
-- statement (a multi-statement file is still one implicit transaction). It does not block writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at);
