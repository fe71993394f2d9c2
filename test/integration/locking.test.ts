import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock.js';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

let db: TestDatabase;
afterEach(async () => db?.close());

function manyMigrations(count: number): string {
  const files: Record<string, string> = {};
  for (let i = 1; i <= count; i += 1) {
    files[`${i}_t${i}.sql`] = `CREATE TABLE t${i} (id int);${i % 4 === 0 ? '\nSELECT pg_sleep(0.02);' : ''}`;
  }
  return migrationsDir(files);
}

async function lockHolders(): Promise<number> {
  const rows = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((classid::int8 << 32) | objid::int8) = ${MIGRATION_LOCK_KEY}`,
  );
  return Number(rows[0]!.n);
}

describe('the migration lock', () => {
  it('lets two racing runs apply every migration exactly once, both reporting the final revision', async () => {
    db = await freshDatabase();
    const dir = manyMigrations(20);
    const a = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    const b = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await Promise.all([runOn(a), runOn(b)]);
    expect(a.failed).toBeUndefined();
    expect(b.failed).toBeUndefined();
    const applied = [...JSON.parse(a.outputs.applied!), ...JSON.parse(b.outputs.applied!)];
    expect(applied.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${i + 1}_t${i + 1}.sql`).sort());
    expect([a.outputs.status, b.outputs.status].sort()).toEqual(['applied', 'up-to-date']);
    expect(a.outputs.revision).toBe('20');
    expect(b.outputs.revision).toBe('20');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(await lockHolders()).toBe(0);
  });

  it('fails after lock-wait-timeout naming the holder, applies nothing, and still reports the revision', async () => {
    db = await freshDatabase();
    const holder = await db.client('stuck-app');
    await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': manyMigrations(2), 'lock-wait-timeout': '1' });
    const started = Date.now();
    await runOn(p);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(p.failed).toMatch(
      new RegExp(`Timed out after lock-wait-timeout \\(1 s\\) waiting for the migration lock, held by pid ${pid}, role "postgres", application_name "stuck-app", client 127\\.0\\.0\\.1:\\d+, connected since \\d{4}-`),
    );
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '0', 'previous-revision': '0', 'applied-count': '0' });
    expect(await tableNames(db)).toEqual([]);
  });

  it('fails at once with lock-wait-timeout 0 when the lock is held', async () => {
    db = await freshDatabase();
    const holder = await db.client('other-deploy');
    await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': manyMigrations(1), 'lock-wait-timeout': '0' });
    await runOn(p);
    expect(p.failed).toMatch(/Another run holds the migration lock \(pid \d+, role "postgres", application_name "other-deploy".*lock-wait-timeout is 0/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('starts as soon as the holder lets go', async () => {
    db = await freshDatabase();
    const holder = await db.client('previous-deploy');
    await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': manyMigrations(2), 'lock-wait-timeout': '30' });
    const running = runOn(p);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    await running;
    expect(p.outputs).toMatchObject({ status: 'applied', revision: '2' });
  });

  it('is released after a failed migration, and shows as application_name migrate-action while held', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_slow.sql': 'SELECT pg_sleep(1.5);', '2_bad.sql': 'SELECT 1/0;' });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    const running = runOn(p);
    let seen: { application_name: string }[] = [];
    for (let i = 0; i < 50 && seen.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await db.query(
        `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND ((l.classid::int8 << 32) | l.objid::int8) = ${MIGRATION_LOCK_KEY}`,
      );
    }
    await running;
    expect(seen).toEqual([{ application_name: 'migrate-action' }]);
    expect(p.failed).toMatch(/2_bad\.sql failed: 22012 division by zero/);
    expect(await lockHolders()).toBe(0);
  });
});
