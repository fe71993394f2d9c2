// The Node+pg floor of a no-op run: start Node, connect with pg, read the migrations table, exit.
// Anything a migration tool does on top of this is its own cost.
import pg from 'pg';

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT id, name, hash FROM migrations ORDER BY id');
await client.end();
