import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localPgDump, migrationRows, serverMajor, type TestDatabase } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

// GitHub and GitLab stop a cancelled or timed-out job with SIGINT or SIGTERM and kill it seconds
// later; a Kubernetes Job's pod gets SIGTERM. The run must still report, and stop what it started.

const { database, start } = shippedSuite();

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sessions of ours still at work on the server: the migration's or pg_dump's. */
const busy = (db: TestDatabase) =>
  db.query<{ application_name: string; query: string }>(
    "SELECT application_name, query FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrate-action%' AND state <> 'idle'",
  );

describe.each(ARTIFACTS)('a cancelled run, through the %s', (artifact) => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s mid-migration: rolls it back, frees the lock, still reports, exits 1', async (signal) => {
    const db = await database();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n' });
    const run = start(artifact, db, dir);
    await until(async () => (await busy(db)).some((s) => s.query.includes('pg_sleep')), 'the slow migration to run');
    const sent = Date.now();
    // SIGINT as a terminal sends it (Ctrl-C: the whole process group); SIGTERM as a supervisor sends it
    // (to the process it started: for the CLI that is npx, which does not pass it on).
    if (signal === 'SIGINT' && artifact === 'cli') process.kill(-run.child.pid!, signal);
    else run.child.kill(signal);
    const result = await run.done;
    expect(Date.now() - sent).toBeLessThan(15_000); // well before the runner's SIGKILL; the sleep was 60 s
    // npx itself ends on the signal with a code of its own; the CLI under it notices and reports.
    if (artifact === 'action') expect(result.code).toBe(1);
    else expect(result.code).not.toBe(0);
    expect(result.outputs).toMatchObject({ status: 'failed', revision: '1', 'applied-count': '1', 'pending-count': '1' });
    expect(result.log).toMatch(new RegExp(`The run was cancelled \\((${signal}|its parent process ended)\\) while \\S*2_slow\\.sql was being applied: it was rolled back\\. Migrations before it stay applied`));
    if (artifact === 'action') {
      expect(result.outputs.error).toMatch(/^The run was cancelled/);
      expect(result.summary).toContain('The run was cancelled');
    }
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
    expect(await db.query("SELECT to_regclass('slow') AS t")).toEqual([{ t: null }]);
    expect(await busy(db)).toEqual([]);
    expect(await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).toEqual([]);
  });

  it('on SIGTERM while waiting for the lock: stops waiting, applies nothing, reports', async () => {
    const db = await database();
    const holder = await db.client('holder');
    await holder.query('SELECT pg_advisory_lock(-8525285245963000605)');
    const run = start(artifact, db, migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), { 'lock-wait-timeout': '120' });
    await until(async () => (await busy(db)).some((s) => s.query.includes('pg_advisory_lock')), 'the run to wait for the lock');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).not.toBe(0);
    // The revision really applied, read after the wait was cancelled: none, and the file pending.
    expect(result.outputs).toMatchObject({ status: 'failed', revision: '0', 'pending-count': '1' });
    expect(result.log).toMatch(/The run was cancelled \((SIGTERM|its parent process ended)\).*Nothing was applied\./);
    expect(await busy(db)).toEqual([]);
    expect(await migrationRows(db)).toEqual([]);
  });

  it('on SIGTERM during the backup: stops pg_dump and its query, removes the partial file, applies nothing', async (context) => {
    const dump = localPgDump();
    if (!dump || dump.major < (await serverMajor())) return context.skip('needs a pg_dump for this server');
    const db = await database();
    await db.query('CREATE TABLE big (id int)');
    // pg_dump waits for its lock on `big` behind this transaction: a backup that is under way and slow.
    const blocker = await db.client('blocker');
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE big IN ACCESS EXCLUSIVE MODE');
    const backups = migrationsDir({});
    const run = start(artifact, db, migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), { backup: 'true', 'backup-dir': backups });
    await until(async () => (await busy(db)).some((s) => s.application_name.startsWith('migrate-action-backup')), 'pg_dump to wait for its lock');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).not.toBe(0);
    expect(result.log).toMatch(/The run was cancelled \((SIGTERM|its parent process ended)\): the backup was stopped and its partial file \S+ removed; nothing was applied/);
    expect(result.outputs['backup-path'] ?? '').toBe('');
    expect(existsSync(backups) ? readdirSync(backups) : []).toEqual([]);
    await until(async () => (await busy(db)).length === 0, "pg_dump's session to end", 10_000);
    await blocker.query('ROLLBACK');
    expect(await migrationRows(db)).toEqual([]);
  });
});
