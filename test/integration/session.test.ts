import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

let db: TestDatabase;
afterEach(async () => db?.close());

/** The real clock, with every backoff sleep recorded (and kept short). */
function recordingClock(sleeps: number[]): Clock {
  return { now: systemClock.now, sleep: (ms) => (sleeps.push(ms), systemClock.sleep(Math.min(ms, 300))) };
}

/** A table `busy` held in ACCESS EXCLUSIVE mode by another session's open transaction. */
async function lockedTable() {
  await db.query('CREATE TABLE busy (id int)');
  const blocker = await db.client('long-transaction');
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
  return blocker;
}

describe('settings, timeouts and retries', () => {
  it('applies settings to the migrations session', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_s.sql': "CREATE TABLE s AS SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt;" });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'statement_timeout=123s\n# a comment\nlock_timeout = 4s\n' });
    await runOn(p);
    expect(p.failed).toBeUndefined();
    expect(await db.query('SELECT st, lt FROM s')).toEqual([{ st: '123s', lt: '4s' }]);
  });

  it('names a setting PostgreSQL rejects, and applies nothing', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'lock_timeout=banana' });
    await runOn(p);
    expect(p.failed).toMatch(/^Input settings: PostgreSQL rejected setting 1, lock_timeout: invalid value for parameter "lock_timeout"/);
    expect(await tableNames(db)).not.toContain('a');
    expect((await migrationRows(db)).filter((r) => r.id > 0)).toEqual([]);
  });

  it('cancels a statement past statement_timeout and rolls the migration back', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(5);' });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'statement_timeout=300ms' });
    await runOn(p);
    expect(p.failed).toMatch(/2_slow\.sql failed: 57014 canceling statement due to statement timeout\. It was rolled back/);
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '1' });
    expect(await tableNames(db)).toEqual(['a', 'migrations']);
  });

  it('retries a migration blocked by lock_timeout and succeeds once the blocker commits', async () => {
    db = await freshDatabase();
    const blocker = await lockedTable();
    const dir = migrationsDir({ '1_alter.sql': 'ALTER TABLE busy ADD COLUMN x int;' });
    const sleeps: number[] = [];
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'lock_timeout=200ms', 'lock-retries': '10' });
    const running = runOn(p, recordingClock(sleeps));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await blocker.query('COMMIT');
    await running;
    expect(p.failed).toBeUndefined();
    expect(p.outputs).toMatchObject({ status: 'applied', revision: '1' });
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps.slice(0, 3)).toEqual([1000, 2000, 4000].slice(0, Math.min(3, sleeps.length)));
    expect(p.log()).toMatch(/1_alter\.sql hit lock_timeout \(canceling statement due to lock timeout\); retry 1 of 10 in 1 s/);
    expect(await db.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'busy' ORDER BY 1")).toEqual([
      { column_name: 'id' },
      { column_name: 'x' },
    ]);
  });

  it('without retries fails on the lock timeout with the migration not applied', async () => {
    db = await freshDatabase();
    const blocker = await lockedTable();
    const dir = migrationsDir({ '1_alter.sql': 'ALTER TABLE busy ADD COLUMN x int;' });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, settings: 'lock_timeout=200ms' });
    await runOn(p);
    await blocker.query('ROLLBACK');
    expect(p.failed).toMatch(/1_alter\.sql failed: 55P03 canceling statement due to lock timeout/);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0]);
  });
});

describe('migration files and tables', () => {
  it('runs a disable-transaction file without a transaction and records it', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      '1_t.sql': 'CREATE TABLE t (id int);',
      '2_idx.sql': '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);',
    });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.failed).toBeUndefined();
    expect(await db.query("SELECT indexname FROM pg_indexes WHERE tablename = 't'")).toEqual([{ indexname: 't_id' }]);
    expect((await migrationRows(db)).map((r) => r.name)).toEqual(['create-migrations-table', 't', 'idx']);
  });

  it('turns the error position into the line of the file', async () => {
    db = await freshDatabase();
    const sql = '-- one\n-- two\nCREATE TABLE a (\n  id int,\n  v nosuchtype\n);\n';
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': migrationsDir({ '1_a.sql': sql }) });
    await runOn(p);
    expect(p.annotations).toEqual([expect.objectContaining({ location: expect.objectContaining({ line: 5, column: 5 }) })]);
    expect(p.failed).toMatch(/1_a\.sql failed at line 5, column 5: 42704 type "nosuchtype" does not exist/);
    expect(p.summary).toMatch(/1_a\.sql`, line 5, column 5\*\*/);
  });

  it('refuses a migrations table that belongs to another tool, and leaves it alone', async () => {
    db = await freshDatabase();
    await db.query('CREATE TABLE migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)');
    await db.query("INSERT INTO migrations (\"timestamp\", name) VALUES (1700000000000, 'Init1700000000000')");
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' }) });
    await runOn(p);
    expect(p.failed).toMatch(/The table "migrations" in this database has no id, name and hash columns: it belongs to another tool/);
    expect(await db.query('SELECT name FROM migrations')).toEqual([{ name: 'Init1700000000000' }]);
    expect(await tableNames(db)).toEqual(['migrations']);
  });

  it('leaves the database untouched on bad input or bad files', async () => {
    db = await freshDatabase();
    const cases: Record<string, string>[] = [
      { 'wait-timeout': 'soon' },
      { 'migrations-dir': 'no/such/dir' },
      { 'migrations-dir': migrationsDir({ '1_a.sql': 'CREATE TABLE a ();', '1_b.sql': 'CREATE TABLE b ();' }) },
      { 'migrations-dir': migrationsDir({ '1_a.sql': 'CREATE TABLE a ();', '3_c.sql': 'CREATE TABLE c ();' }) },
      { settings: 'no equals sign' },
    ];
    for (const inputs of cases) {
      const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations', ...inputs });
      await runOn(p);
      expect(p.outputs.status, JSON.stringify(inputs)).toBe('failed');
      expect(p.failed!.split('\n')).toHaveLength(1);
    }
    expect(await tableNames(db)).toEqual([]);
  });
});
