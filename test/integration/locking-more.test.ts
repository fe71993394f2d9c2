import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock.js';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

// The basic lock cases (two runs racing, timeout naming the holder, lock-wait-timeout 0, waking on release,
// release after a failure) are in locking.test.ts; these are the cases around them.

const databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((d) => d.close()));
});

async function fresh(): Promise<TestDatabase> {
  const db = await freshDatabase();
  databases.push(db);
  return db;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Files 1_t1.sql .. <count>_t<count>.sql, each creating its table; `slow` ids also sleep `slowSeconds`. */
function tables(count: number, slow: number[] = [], slowSeconds = 0.3): string {
  const files: Record<string, string> = {};
  for (let i = 1; i <= count; i += 1) {
    files[`${i}_t${i}.sql`] = `CREATE TABLE t${i} (id int);${slow.includes(i) ? `\nSELECT pg_sleep(${slowSeconds});` : ''}`;
  }
  return migrationsDir(files);
}

const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}_t${from + i}.sql`);

/** The sessions holding the migration lock on `db`'s database, seen from another session. */
async function lockHolders(db: TestDatabase): Promise<{ pid: number; application_name: string }[]> {
  return db.query(
    `SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::int8 << 32) | l.objid::int8) = ${MIGRATION_LOCK_KEY}`,
  );
}

/** Poll until a run of ours holds the lock (so that a second run is sure to start behind it). */
async function untilHeldByUs(db: TestDatabase): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if ((await lockHolders(db)).some((h) => h.application_name === 'migrate-action')) return;
    await sleep(20);
  }
  throw new Error('no run of migrate-action took the lock within 4 s');
}

/** Our sessions still connected to `db` (polled briefly: a backend exits just after the client closes). */
async function ourSessions(db: TestDatabase): Promise<number> {
  let n = 0;
  for (let i = 0; i < 50; i += 1) {
    const rows = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-action'",
    );
    n = Number(rows[0]!.n);
    if (n === 0) return 0;
    await sleep(40);
  }
  return n;
}

async function holdLock(db: TestDatabase, applicationName: string) {
  const holder = await db.client(applicationName);
  await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return { holder, pid };
}

describe('the migration lock, around the basic cases', () => {
  it('reads the state under the lock: a newer commit that waited applies only what the holder did not', async () => {
    const db = await fresh();
    const older = recordingPlatform({ 'database-url': db.url, 'migrations-dir': tables(10, [3, 6, 9]) });
    // The same files 1..10 in both commits (the slow ones too), the newer one with 10 more.
    const newer = recordingPlatform({ 'database-url': db.url, 'migrations-dir': tables(20, [3, 6, 9]), 'lock-wait-timeout': '30' });
    const first = runOn(older);
    await untilHeldByUs(db);
    await runOn(newer);
    await first;

    expect(older.failed).toBeUndefined();
    expect(newer.failed).toBeUndefined();
    expect(older.outputs).toMatchObject({ status: 'applied', 'previous-revision': '0', revision: '10', 'applied-count': '10', 'pending-count': '0' });
    expect(JSON.parse(older.outputs.applied!)).toEqual(names(1, 10));
    expect(newer.outputs).toMatchObject({ status: 'applied', 'previous-revision': '10', revision: '20', 'revision-name': 't20', 'applied-count': '10' });
    expect(JSON.parse(newer.outputs.applied!)).toEqual(names(11, 20));
    expect((await migrationRows(db)).map((r) => r.id)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(await tableNames(db)).toEqual(['migrations', ...Array.from({ length: 20 }, (_, i) => `t${i + 1}`)].sort());
    expect(await lockHolders(db)).toEqual([]);
  });

  it('an older commit that waited behind a newer one refuses to run and reports the revision really applied', async () => {
    const db = await fresh();
    const newer = recordingPlatform({ 'database-url': db.url, 'migrations-dir': tables(4, [2, 4]) });
    const older = recordingPlatform({ 'database-url': db.url, 'migrations-dir': tables(2, [2]), 'lock-wait-timeout': '30' });
    const first = runOn(newer);
    await untilHeldByUs(db);
    await runOn(older);
    await first;

    expect(newer.outputs).toMatchObject({ status: 'applied', revision: '4' });
    expect(older.failed).toMatch(/^The database has migration 3 "t3" applied, but \S+ has no file with id 3; restore the file/);
    expect(older.outputs).toMatchObject({ status: 'failed', 'previous-revision': '4', revision: '4', 'revision-name': 't4', 'applied-count': '0', applied: '[]' });
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
  });

  it('on lock-wait-timeout reports the revision and pending files of a database that already has migrations, and changes nothing', async () => {
    const db = await fresh();
    const files = {
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);',
    };
    const before = recordingPlatform({ 'database-url': db.url, 'migrations-dir': migrationsDir(files) });
    await runOn(before);
    expect(before.outputs).toMatchObject({ status: 'applied', revision: '2' });
    const rowsBefore = await migrationRows(db);

    const { pid } = await holdLock(db, 'stuck-app');
    const dir = migrationsDir({ ...files, '3_c.sql': 'CREATE TABLE c (id int);', '4_d.sql': 'CREATE TABLE d (id int);' });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir, 'lock-wait-timeout': '1' });
    const started = Date.now();
    await runOn(p);
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5_000);
    expect(p.failed).toMatch(
      new RegExp(`^Timed out after lock-wait-timeout \\(1 s\\) waiting for the migration lock, held by pid ${pid}, role "postgres", application_name "stuck-app",`),
    );
    expect(p.outputs).toMatchObject({
      status: 'failed',
      'previous-revision': '2',
      revision: '2',
      'revision-name': 'b',
      'applied-count': '0',
      applied: '[]',
      'pending-count': '2',
      pending: JSON.stringify(['3_c.sql', '4_d.sql']),
      error: p.failed,
    });
    expect(p.summary).toContain('| Revision | 2 (b) |');
    expect(p.summary).toMatch(/### Still pending\n\n- `3_c\.sql`\n- `4_d\.sql`/);
    expect(await migrationRows(db)).toEqual(rowsBefore);
    expect(await tableNames(db)).toEqual(['a', 'b', 'migrations']);
    expect(await ourSessions(db)).toBe(0);
  });

  it('is per database, as postgres-migrations\' lock is: a holder on another database does not block', async () => {
    const mine = await fresh();
    const other = await fresh();
    const { pid } = await holdLock(other, 'other-database-app');
    const dir = tables(1);

    const here = recordingPlatform({ 'database-url': mine.url, 'migrations-dir': dir, 'lock-wait-timeout': '0' });
    await runOn(here);
    expect(here.failed).toBeUndefined();
    expect(here.outputs).toMatchObject({ status: 'applied', revision: '1' });

    const there = recordingPlatform({ 'database-url': other.url, 'migrations-dir': dir, 'lock-wait-timeout': '0' });
    await runOn(there);
    expect(there.failed).toMatch(new RegExp(`^Another run holds the migration lock \\(pid ${pid}, role "postgres", application_name "other-database-app",.*lock-wait-timeout is 0`));
    expect(await tableNames(other)).toEqual([]);
  });

  it('a waiter starts when a stuck holder is ended with pg_terminate_backend, as the timeout message advises', async () => {
    const db = await fresh();
    const { holder, pid } = await holdLock(db, 'stuck-app');
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': tables(2), 'lock-wait-timeout': '30' });
    const running = runOn(p);
    await sleep(1_000);
    expect(await db.query('SELECT pg_terminate_backend($1) AS ended', [pid])).toEqual([{ ended: true }]);
    await running;
    expect(p.failed).toBeUndefined();
    expect(p.outputs).toMatchObject({ status: 'applied', revision: '2', 'applied-count': '2' });
    await expect(holder.query('SELECT 1')).rejects.toThrow();
  });

  it('uses one connection, with application_name migrate-action, and closes it after success and after failure', async () => {
    const db = await fresh();
    const dir = migrationsDir({ '1_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(1);', '2_bad.sql': 'SELECT 1/0;' });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    const running = runOn(p);
    let during: { application_name: string; query: string }[] = [];
    for (let i = 0; i < 100 && !during.some((s) => s.query.includes('pg_sleep')); i += 1) {
      await sleep(20);
      during = await db.query(
        "SELECT application_name, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
      );
    }
    await running;
    expect(during).toEqual([{ application_name: 'migrate-action', query: expect.stringContaining('pg_sleep(1)') }]);
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '1' });
    expect(await ourSessions(db)).toBe(0);
    expect(await lockHolders(db)).toEqual([]);

    const again = recordingPlatform({ 'database-url': db.url, 'migrations-dir': tables(1) });
    await runOn(again);
    expect(again.failed).toMatch(/changed after it was applied/);
    expect(await ourSessions(db)).toBe(0);
    expect(await lockHolders(db)).toEqual([]);
  });
});
