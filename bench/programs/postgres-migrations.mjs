// postgres-migrations' own migrate() on a directory: the same file format and table as migrate-action.
import pg from 'pg';
import { migrate } from 'postgres-migrations';

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  await migrate({ client }, process.argv[2]);
} finally {
  await client.end();
}
