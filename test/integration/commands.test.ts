import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

const EXAMPLE = path.resolve('migrations-example/postgres-migrations');
let db: TestDatabase;
afterEach(async () => db?.close());

async function run(inputs: Record<string, string>) {
  const platform = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE, ...inputs });
  await runOn(platform);
  return platform;
}

describe('plan', () => {
  it('lists what apply would run, with each file SQL in the summary, and changes nothing', async () => {
    db = await freshDatabase();
    const p = await run({ command: 'plan' });
    expect(p.failed).toBeUndefined();
    expect(p.outputs).toMatchObject({ status: 'pending', revision: '0', 'previous-revision': '0', 'applied-count': '0', 'pending-count': '3' });
    expect(JSON.parse(p.outputs.pending!)).toEqual(['1_create-users.sql', '2_index-users-created-at.sql', '3_add-users-last-login.sql']);
    expect(p.summary).toContain('CREATE TABLE users');
    expect(p.summary).toMatch(/2_index-users-created-at\.sql<\/code>, \*\*without a transaction\*\*/);
    expect(p.summary).toMatch(/1_create-users\.sql<\/code>, in a transaction/);
    // read-only: no table created, no lock taken
    expect(await tableNames(db)).toEqual([]);
    expect(p.log()).not.toContain('Take the migration lock');
  });

  it('runs in a read-only transaction, so it works while another run holds the migration lock', async () => {
    db = await freshDatabase();
    const holder = await db.client('other-run');
    await holder.query('SELECT pg_advisory_lock(-8525285245963000605)');
    const p = await run({ command: 'plan', 'lock-wait-timeout': '0' });
    expect(p.outputs.status).toBe('pending');
    await holder.query('SELECT pg_advisory_unlock(-8525285245963000605)');
  });

  it('says up-to-date after apply, and respects target-revision', async () => {
    db = await freshDatabase();
    await run({ 'target-revision': '1' });
    const p = await run({ command: 'plan', 'target-revision': '2' });
    expect(p.outputs).toMatchObject({ status: 'pending', revision: '1', 'pending-count': '2' });
    expect(p.summary).toContain('2_index-users-created-at.sql');
    expect(p.summary).not.toContain('ADD COLUMN last_login_at');
    await run({});
    expect((await run({ command: 'plan' })).outputs).toMatchObject({ status: 'up-to-date', revision: '3', 'pending-count': '0' });
  });

  it('fails on drift exactly as apply would, without changing anything', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await run({ 'migrations-dir': dir });
    const changed = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id bigint);' });
    const p = await run({ command: 'plan', 'migrations-dir': changed });
    expect(p.outputs.status).toBe('failed');
    expect(p.failed).toMatch(/1_a\.sql changed after it was applied/);
  });
});

describe('check', () => {
  it('fails (exit 1) when something is pending, naming it, and passes when up to date', async () => {
    db = await freshDatabase();
    const pending = await run({ command: 'check' });
    expect(pending.outputs.status).toBe('pending');
    expect(pending.failed).toMatch(/3 migration\(s\) pending \(1_create-users\.sql, 2_index-users-created-at\.sql, 3_add-users-last-login\.sql\).*run apply before deploying/);
    expect(pending.outputs.error).toBe(pending.failed);
    expect(await tableNames(db)).toEqual([]);
    await run({});
    const ok = await run({ command: 'check' });
    expect(ok.failed).toBeUndefined();
    expect(ok.outputs).toMatchObject({ status: 'up-to-date', revision: '3', error: '' });
  });
});

describe('target-revision with apply', () => {
  it('applies up to and including the target; the rest stays pending', async () => {
    db = await freshDatabase();
    const p = await run({ 'target-revision': '2' });
    expect(p.outputs).toMatchObject({ status: 'applied', revision: '2', 'applied-count': '2', 'pending-count': '1' });
    expect(JSON.parse(p.outputs.pending!)).toEqual(['3_add-users-last-login.sql']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2]);
  });

  it('refuses a target beyond the last file before touching the database', async () => {
    db = await freshDatabase();
    const p = await run({ 'target-revision': '9' });
    expect(p.failed).toMatch(/target-revision 9 is beyond the last migration file, .*3_add-users-last-login\.sql \(id 3\)/);
    expect(await tableNames(db)).toEqual([]);
  });
});

describe('baseline', () => {
  it('records ids 1..N as applied without running them, with the hashes apply would write', async () => {
    db = await freshDatabase();
    // The schema already exists, made by hand: baseline adopts it.
    await db.query('CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, display_name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
    const p = await run({ command: 'baseline', 'target-revision': '1' });
    expect(p.failed).toBeUndefined();
    expect(p.outputs).toMatchObject({ status: 'baselined', revision: '1', 'revision-name': 'create-users', 'previous-revision': '0', 'applied-count': '0', 'pending-count': '2' });
    expect(p.summary).toContain('Recorded as applied (not run)');
    const baselined = await migrationRows(db);
    expect(baselined.map((r) => r.id)).toEqual([0, 1]);
    // not run: the unique index of migration 1 does not exist
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'users_email_key'")).toEqual([]);

    // the same rows as a database where apply ran them
    const other = await freshDatabase();
    try {
      await runOn(recordingPlatform({ 'database-url': other.url, 'migrations-dir': EXAMPLE, 'target-revision': '1' }));
      expect(await migrationRows(other)).toEqual(baselined);
    } finally {
      await other.close();
    }

    // apply continues from the baseline
    const next = await run({});
    expect(next.outputs).toMatchObject({ status: 'applied', 'previous-revision': '1', revision: '3', 'applied-count': '2' });
  });

  it('requires target-revision', async () => {
    db = await freshDatabase();
    const p = await run({ command: 'baseline' });
    expect(p.failed).toMatch(/Input target-revision is required for command baseline/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('refuses a target beyond the last file', async () => {
    db = await freshDatabase();
    const p = await run({ command: 'baseline', 'target-revision': '4' });
    expect(p.failed).toMatch(/target-revision 4 is beyond the last migration file/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('refuses when the table already has rows beyond the target, and leaves them alone', async () => {
    db = await freshDatabase();
    await run({});
    const before = await migrationRows(db);
    const p = await run({ command: 'baseline', 'target-revision': '2' });
    expect(p.outputs.status).toBe('failed');
    expect(p.failed).toMatch(/already has 3 "add-users-last-login" beyond it/);
    expect(await migrationRows(db)).toEqual(before);
  });

  it('is idempotent at the same target', async () => {
    db = await freshDatabase();
    await run({ command: 'baseline', 'target-revision': '2' });
    const again = await run({ command: 'baseline', 'target-revision': '2' });
    expect(again.outputs).toMatchObject({ status: 'baselined', revision: '2' });
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2]);
  });
});
