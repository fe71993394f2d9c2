import pg from 'pg';
import { migrate } from 'postgres-migrations';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createDatabase, startLocalPostgres } from '../../scripts/local-postgres.mjs';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock.js';
import { startBundle } from '../support/action.js';
import { freshDatabase, migrationRows, serverMajor, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';

/**
 * Faults that real pipelines meet, on a real server, through the built bundle run as the runner runs it:
 * what happens, what the database holds afterwards, and that a rerun recovers.
 */
let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const MAJOR = await serverMajor();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function numbered(count: number, body: (i: number) => string = (i) => `CREATE TABLE t${i} (id int PRIMARY KEY, v text);\nINSERT INTO t${i} VALUES (${i}, 'x');`): string {
  const files: Record<string, string> = {};
  for (let i = 1; i <= count; i += 1) files[`${i}_t${i}.sql`] = body(i);
  return migrationsDir(files);
}

async function lockHeld(target: TestDatabase): Promise<boolean> {
  const rows = await target.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((classid::int8 << 32) | objid::int8) = ${MIGRATION_LOCK_KEY}`,
  );
  return Number(rows[0]!.n) > 0;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

describe('faults and load', () => {
  it('12 runners started at once on 50 pending migrations: all succeed, each migration applied once', async () => {
    db = await freshDatabase('load');
    const dir = numbered(50);
    const runs = await Promise.all(Array.from({ length: 12 }, () => startBundle({ 'database-url': db!.url, 'migrations-dir': dir }).done));
    for (const run of runs) {
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.revision).toBe('50');
      expect(run.outputs['pending-count']).toBe('0');
    }
    const applied = runs.flatMap((r) => JSON.parse(r.outputs.applied!) as string[]);
    expect(applied).toHaveLength(50);
    expect(new Set(applied).size).toBe(50);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual(Array.from({ length: 51 }, (_, i) => i));
  }, 120_000);

  it('an application running postgres-migrations migrate() at the same moment: both succeed, nothing twice', async () => {
    db = await freshDatabase('app');
    const dir = numbered(30, (i) => `CREATE TABLE t${i} (id int);${i % 5 === 0 ? '\nSELECT pg_sleep(0.05);' : ''}`);
    const ours = startBundle({ 'database-url': db.url, 'migrations-dir': dir });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const [theirs, run] = await Promise.all([migrate({ client }, dir), ours.done]);
      expect(run.code, run.stdout).toBe(0);
      const ourApplied = JSON.parse(run.outputs.applied!) as string[];
      const theirApplied = theirs.filter((m) => m.id > 0).map((m) => m.fileName);
      expect([...ourApplied, ...theirApplied].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `${i + 1}_t${i + 1}.sql`).sort());
    } finally {
      await client.end();
    }
    expect((await migrationRows(db)).map((r) => r.id)).toEqual(Array.from({ length: 31 }, (_, i) => i));
  }, 60_000);

  it('the runner killed with SIGKILL mid-migration: no trace of it, the lock free within seconds, a rerun applies it once', async () => {
    db = await freshDatabase('kill');
    // Migration 2 blocks on a table another session holds, so the runner is surely in the middle of it.
    await db.query('CREATE TABLE gate (id int)');
    const blocker = await db.client('blocker');
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE gate IN ACCESS EXCLUSIVE MODE');
    const dir = migrationsDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_gated.sql': 'CREATE TABLE gated (id int);\nINSERT INTO gated VALUES (1);\nLOCK TABLE gate IN SHARE MODE;',
    });
    const { child, done } = startBundle({ 'database-url': db.url, 'migrations-dir': dir });
    await until(
      async () => (await db!.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-action' AND wait_event_type = 'Lock'")).length > 0,
      20_000,
    );
    child.kill('SIGKILL');
    await done;
    if (MAJOR >= 14) {
      // the server notices the dead client (client_connection_check_interval) while the blocker still holds on
      const freedAfter = await until(async () => !(await lockHeld(db!)), 10_000);
      expect(freedAfter).toBeLessThan(5_000);
      await blocker.query('COMMIT');
    } else {
      // PostgreSQL 13 has no such check: the session ends when its statement does, here when the blocker lets go
      await blocker.query('COMMIT');
      await until(async () => !(await lockHeld(db!)), 10_000);
    }
    expect(await tableNames(db)).toEqual(['a', 'gate', 'migrations']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);

    const rerun = await startBundle({ 'database-url': db.url, 'migrations-dir': dir }).done;
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.outputs).toMatchObject({ status: 'applied', 'previous-revision': '1', revision: '2', applied: '["2_gated.sql"]' });
    expect(await db.query('SELECT id FROM gated')).toEqual([{ id: 1 }]);
  }, 90_000);

  it('the server restarted mid-migration: the run fails promptly and clearly, outputs say what is applied, a rerun finishes', async () => {
    const server = await startLocalPostgres({ password: inject('testPassword'), major: MAJOR });
    try {
      const url = await createDatabase(server.url, 'restart');
      const dir = migrationsDir({
        '1_a.sql': 'CREATE TABLE a (id int);',
        '2_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(3);',
      });
      const watcher = new pg.Client({ connectionString: url });
      await watcher.connect();
      const { done } = startBundle({ 'database-url': url, 'migrations-dir': dir, 'wait-timeout': '30' });
      try {
        for (let i = 0; i < 400; i += 1) {
          const { rows } = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-action' AND query LIKE '%pg_sleep(3)%'");
          if (rows.length > 0) break;
          await sleep(50);
        }
      } finally {
        await watcher.end().catch(() => undefined);
      }
      const restarted = Date.now();
      await server.restart();
      const run = await done;
      expect(Date.now() - restarted).toBeLessThan(10_000);
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ status: 'failed', revision: '1', 'applied-count': '1' });
      expect(run.outputs.error).toMatch(
        /^Lost the database connection that holds the migration lock while applying \S*2_slow\.sql: (57P01 terminating connection due to administrator command|.*Connection terminated).* was not committed, so the server rolled it back\. .*nothing more is applied/,
      );
      // Not the file's fault: no annotation on it, no "fix the file".
      expect(run.stdout).not.toMatch(/::error [^:]*file=/);
      expect(run.outputs.error).not.toMatch(/Fix the file/);

      const rerun = await startBundle({ 'database-url': url, 'migrations-dir': dir }).done;
      expect(rerun.code, rerun.stdout).toBe(0);
      expect(rerun.outputs).toMatchObject({ status: 'applied', 'previous-revision': '1', revision: '2' });
    } finally {
      await server.stop();
    }
  }, 90_000);
});
