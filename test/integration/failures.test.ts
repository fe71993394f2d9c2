import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock.js';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

// Settings, statement_timeout, lock-retries with and without success, disable-transaction files, error
// lines and foreign migrations tables are in session.test.ts; a failing migration mid-batch in
// apply.test.ts; bad input in bad-input.test.ts. These are the failures around them.

let db: TestDatabase;
afterEach(async () => db?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real clock, with every backoff sleep recorded and cut to 100 ms. */
function shortSleeps(sleeps: number[]): Clock {
  return { now: systemClock.now, sleep: (ms) => (sleeps.push(ms), systemClock.sleep(Math.min(ms, 100))) };
}

describe('a failing migration', () => {
  it('that ends the transaction itself (COMMIT inside the file) is refused before anything runs', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);\nCOMMIT;\nSELECT nosuch FROM b;\n',
    });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.failed).toMatch(/^Migration \S+2_b\.sql ends the transaction it runs in: "COMMIT" at line 2\. .* Nothing was applied\.$/);
    expect(p.failed).not.toMatch(/rolled back/);
    expect(await migrationRows(db)).toEqual([]);
    expect(await tableNames(db)).toEqual([]);
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '0', pending: JSON.stringify(['1_a.sql', '2_b.sql']) });
  });

  it('in the middle of a batch: reports applied and pending files, and the file and line in the summary', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);\n\nINSERT INTO b VALUES (1);\nINSERT INTO b VALUES (\'x\');\n',
      '3_c.sql': 'CREATE TABLE c (id int);',
    });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    const result = await runOn(p);
    expect(p.outputs).toMatchObject({
      status: 'failed',
      'previous-revision': '0',
      revision: '1',
      'revision-name': 'a',
      'applied-count': '1',
      applied: JSON.stringify(['1_a.sql']),
      'pending-count': '2',
      pending: JSON.stringify(['2_b.sql', '3_c.sql']),
    });
    expect(p.failed).toMatch(/^Migration \S+2_b\.sql failed at line 4, column 23: 22P02 invalid input syntax for type integer: "x"\. It was rolled back; migrations before it stay applied/);
    expect(p.outputs.error).toBe(p.failed);
    expect(result.error?.pg).toMatchObject({ code: '22P02' });
    expect(p.annotations).toEqual([{ message: p.failed, location: { file: `${dir}/2_b.sql`, line: 4, column: 23 } }]);
    expect(p.summary).toContain('## ❌ Migration failed');
    expect(p.summary).toContain('| Revision | 0 (none) → 1 (a) |');
    expect(p.summary).toContain(`**\`${dir}/2_b.sql\`, line 4, column 23**`);
    expect(p.summary).toContain('PostgreSQL error code `22P02`.');
    expect(p.summary).toMatch(/### Still pending\n\n- `2_b\.sql`\n- `3_c\.sql`/);
    expect(await tableNames(db)).toEqual(['a', 'migrations']);
    expect((await migrationRows(db)).map((r) => r.name)).toEqual(['create-migrations-table', 'a']);
  });

  it('keeps PostgreSQL\'s detail and hint: a unique violation, and a RAISE with DETAIL and HINT', async () => {
    db = await freshDatabase();
    const dup = recordingPlatform({
      'database-url': db.url,
      'migrations-dir': migrationsDir({ '1_dup.sql': 'CREATE TABLE u (id int PRIMARY KEY);\nINSERT INTO u VALUES (1), (1);' }),
    });
    await runOn(dup);
    expect(dup.failed).toMatch(/1_dup\.sql failed: 23505 duplicate key value violates unique constraint "u_pkey"\. Detail: Key \(id\)=\(1\) already exists\. It was rolled back/);

    const raise = recordingPlatform({
      'database-url': db.url,
      'migrations-dir': migrationsDir({
        '1_check.sql':
          "DO $$\nBEGIN\n  RAISE EXCEPTION 'orders still has null totals' USING DETAIL = '3 rows', HINT = 'backfill them first', ERRCODE = 'P0001';\nEND\n$$;\n",
      }),
    });
    await runOn(raise);
    expect(raise.failed).toMatch(/1_check\.sql failed: P0001 orders still has null totals\. Detail: 3 rows\. Hint: backfill them first\. It was rolled back/);
    expect(raise.annotations).toEqual([{ message: raise.failed, location: expect.objectContaining({ file: expect.stringMatching(/1_check\.sql$/), line: undefined }) }]);
    expect(await tableNames(db)).toEqual(['migrations']);
  });

  it('maps the error position to the line and column in a file with CRLF line ends and non-ASCII text', async () => {
    db = await freshDatabase();
    const sql = '-- Größen für Ümläute ✓\r\n-- 日本語のコメント\r\nCREATE TABLE g (\r\n  name text, -- naïve café\r\n  v nosuchtype\r\n);\r\n';
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': migrationsDir({ '1_g.sql': sql }) });
    await runOn(p);
    expect(p.failed).toMatch(/1_g\.sql failed at line 5, column 5: 42704 type "nosuchtype" does not exist/);
    expect(p.annotations[0]?.location).toMatchObject({ line: 5, column: 5 });
  });

  it('without a transaction: says it may have taken effect, and records nothing (a failed CREATE INDEX CONCURRENTLY leaves an invalid index)', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      '1_t.sql': 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (1);',
      '2_idx.sql': '-- postgres-migrations disable-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id);\n',
    });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.failed).toMatch(
      /2_idx\.sql failed: 23505 could not create unique index "t_id"\. Detail: Key \(id\)=\(1\) is duplicated\. It ran without a transaction, so statements before the failing one may have taken effect; check the database/,
    );
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '1', pending: JSON.stringify(['2_idx.sql']) });
    expect(await db.query("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 't'::regclass")).toEqual([
      { relname: 't_id', indisvalid: false },
    ]);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });
});

describe('lock-retries', () => {
  it('gives up after the last retry with 55P03, the backoff doubling, and the migration not applied', async () => {
    db = await freshDatabase();
    await db.query('CREATE TABLE busy (id int)');
    const blocker = await db.client('long-transaction');
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_alter.sql': 'ALTER TABLE busy ADD COLUMN x int;' });
    const sleeps: number[] = [];
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'lock_timeout=150ms', 'lock-retries': '2' });
    const started = Date.now();
    await runOn(p, shortSleeps(sleeps));
    expect(Date.now() - started).toBeLessThan(5_000);
    await blocker.query('ROLLBACK');

    expect(sleeps).toEqual([1000, 2000]);
    expect(p.log()).toMatch(/2_alter\.sql hit lock_timeout \(canceling statement due to lock timeout\); retry 1 of 2 in 1 s/);
    expect(p.log()).toMatch(/retry 2 of 2 in 2 s/);
    expect(p.failed).toMatch(/2_alter\.sql failed: 55P03 canceling statement due to lock timeout\. \(after 3 attempts\) It was rolled back/);
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '1', 'applied-count': '1', pending: JSON.stringify(['2_alter.sql']) });
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
    expect(await db.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'busy'")).toEqual([{ column_name: 'id' }]);
  });

  it('does not retry errors other than lock_not_available', async () => {
    db = await freshDatabase();
    const sleeps: number[] = [];
    const p = recordingPlatform({
      'database-url': db.url,
      'migrations-dir': migrationsDir({ '1_slow.sql': 'SELECT pg_sleep(2);' }),
      settings: 'statement_timeout=100ms',
      'lock-retries': '5',
    });
    await runOn(p, shortSleeps(sleeps));
    expect(sleeps).toEqual([]);
    expect(p.failed).toMatch(/1_slow\.sql failed: 57014 canceling statement due to statement timeout\. It was rolled back/);
  });
});

describe('settings', () => {
  it('do not bound the wait for the migration lock: lock-wait-timeout does', async () => {
    db = await freshDatabase();
    const holder = await db.client('previous-deploy');
    await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    const dir = migrationsDir({ '1_s.sql': "CREATE TABLE s AS SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt;" });
    const p = recordingPlatform({
      'database-url': db.url,
      'migrations-dir': dir,
      settings: 'statement_timeout=200ms\nlock_timeout=100ms',
      'lock-wait-timeout': '30',
    });
    const running = runOn(p);
    await sleep(1_000);
    await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    await running;
    expect(p.failed).toBeUndefined();
    expect(await db.query('SELECT st, lt FROM s')).toEqual([{ st: '200ms', lt: '100ms' }]);
  });

  it('a search_path setting is where the migrations and their history go, on every run', async () => {
    db = await freshDatabase();
    await db.query('CREATE SCHEMA app');
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const first = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'search_path=app' });
    await runOn(first);
    expect(first.failed).toBeUndefined();
    expect(first.outputs).toMatchObject({ status: 'applied', revision: '1' });

    const second = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'search_path=app' });
    await runOn(second);
    expect(second.failed).toBeUndefined();
    expect(second.outputs).toMatchObject({ status: 'up-to-date', 'previous-revision': '1', revision: '1' });
    const placed = await db.query("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('app', 'public') ORDER BY 1");
    expect(placed.map((r) => r.t)).toEqual(['app.a', 'app.migrations']);

    // check reads the same table; so does a run that cannot take the lock, to report the real revision.
    const check = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'search_path=app', command: 'check' });
    await runOn(check);
    expect(check.outputs).toMatchObject({ status: 'up-to-date', revision: '1' });
    const holder = await db.client('other-deploy');
    await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    const locked = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'search_path=app', 'lock-wait-timeout': '0' });
    await runOn(locked);
    expect(locked.failed).toMatch(/^Another run holds the migration lock/);
    expect(locked.outputs).toMatchObject({ status: 'failed', 'previous-revision': '1', revision: '1', 'revision-name': 'a', 'pending-count': '0' });
  });

  it('an invalid value fails before anything is read or created, and frees the lock', async () => {
    db = await freshDatabase();
    const p = recordingPlatform({
      'database-url': db.url,
      'migrations-dir': migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' }),
      settings: 'lock_timeout=5s\nstatement_timeout=soon',
    });
    await runOn(p);
    expect(p.failed).toMatch(/^Input settings: PostgreSQL rejected setting 2, statement_timeout: invalid value for parameter "statement_timeout"/);
    // Settings come before the migrations table is read (their search_path decides which one), so the revision is unknown.
    expect(p.outputs).toMatchObject({ status: 'failed', 'previous-revision': '', revision: '', 'applied-count': '0' });
    expect(await tableNames(db)).toEqual([]);
    const next = recordingPlatform({ 'database-url': db.url, 'migrations-dir': migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' }), 'lock-wait-timeout': '0' });
    await runOn(next);
    expect(next.outputs).toMatchObject({ status: 'applied', revision: '1' });
  });
});
