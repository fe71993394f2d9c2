import { afterEach, describe, expect, it } from 'vitest';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

// The built-in engine's rollback on the real server (also on PostgreSQL 13 to 18: npm run test:versions),
// through the same runOn() the action uses. Every engine through the shipped artifacts: e2e/rollback.

let db: TestDatabase;
afterEach(async () => db?.close());

async function run(dir: string, inputs: Record<string, string> = {}) {
  const platform = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, backup: 'false', ...inputs });
  await runOn(platform);
  return platform;
}

const FILES = {
  '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);',
  '2_email.sql': 'ALTER TABLE users ADD COLUMN email text;',
  '3_index.sql': '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);',
  '4_posts.sql': 'CREATE TABLE posts (id int, user_id int REFERENCES users);',
  'down/1_users.sql': 'DROP TABLE users;',
  'down/2_email.sql': 'ALTER TABLE users DROP COLUMN email;',
  'down/3_index.sql': '-- postgres-migrations disable-transaction\nDROP INDEX CONCURRENTLY users_email;',
  'down/4_posts.sql': 'DROP TABLE posts;',
};

describe('rollback (postgres-migrations)', () => {
  it('undoes down to the target, removing each row with its undo, and apply brings it back', async () => {
    db = await freshDatabase();
    const dir = migrationsDir(FILES);
    expect((await run(dir)).outputs.status).toBe('applied');
    const back = await run(dir, { command: 'rollback', 'target-revision': '1' });
    expect(back.failed).toBeUndefined();
    expect(back.outputs).toMatchObject({ status: 'rolled-back', revision: '1', 'previous-revision': '4', 'rolled-back-count': '3' });
    expect(JSON.parse(back.outputs['rolled-back']!)).toEqual(['4_posts.sql', '3_index.sql', '2_email.sql']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
    expect(await tableNames(db)).toEqual(['migrations', 'users']);
    expect(back.log()).toContain('Undoing 3_index.sql with');
    expect(back.log()).toMatch(/down\/3_index\.sql \(without a transaction\)/);
    const again = await run(dir);
    expect(again.outputs).toMatchObject({ status: 'applied', revision: '4', 'applied-count': '3' });
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'users_email'")).toHaveLength(1);
  });

  it('a failing down file is rolled back with its row; the ones undone before stay undone', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ ...FILES, 'down/2_email.sql': 'ALTER TABLE users DROP COLUMN email;\nSELECT * FROM nope_table;' });
    await run(dir);
    const back = await run(dir, { command: 'rollback', 'target-revision': '0' });
    expect(back.outputs).toMatchObject({ status: 'failed', revision: '2', 'rolled-back-count': '2' });
    expect(back.failed).toMatch(/^Down file .*down\/2_email\.sql failed at line 2, column 15: 42P01 relation "nope_table" does not exist; it was rolled back; 2 migration\(s\) undone before it stay undone; the database is at revision 2\./);
    expect(back.annotations.map((a) => a.location)).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/down\/2_email\.sql$/), line: 2 }));
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2]);
    expect(await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")).toHaveLength(1);
  });

  it('refuses a standby or read-only session before anything changes', async () => {
    db = await freshDatabase();
    const dir = migrationsDir(FILES);
    await run(dir);
    const back = await run(dir, { command: 'rollback', 'target-revision': '-1', settings: 'default_transaction_read_only=on' });
    expect(back.failed).toMatch(/is read-only .* Nothing was rolled back\.$/);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a search_path in settings decides which migrations table loses its rows', async () => {
    db = await freshDatabase();
    await db.query('CREATE SCHEMA app');
    const dir = migrationsDir(FILES);
    await run(dir, { settings: 'search_path=app' });
    const back = await run(dir, { command: 'rollback', 'target-revision': '2', settings: 'search_path=app' });
    expect(back.outputs).toMatchObject({ status: 'rolled-back', revision: '2' });
    expect(await db.query('SELECT id FROM app.migrations ORDER BY id')).toEqual([{ id: 0 }, { id: 1 }, { id: 2 }]);
    expect(await db.query("SELECT to_regclass('public.migrations') AS t")).toEqual([{ t: null }]);
  });
});
