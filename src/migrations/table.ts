/** postgres-migrations 5.3.0 `dist/migrations/0_create-migrations-table.sql`, byte for byte (a unit test compares). */
export const CREATE_MIGRATIONS_TABLE_FILE = "0_create-migrations-table.sql";

export const CREATE_MIGRATIONS_TABLE_SQL = "CREATE TABLE IF NOT EXISTS migrations (\n  id integer PRIMARY KEY,\n  name varchar(100) UNIQUE NOT NULL,\n  hash varchar(40) NOT NULL, -- sha1 hex encoded hash of the file name and contents, to ensure it hasn't been altered since applying the migration\n  executed_at timestamp DEFAULT current_timestamp\n);\n";
