import { chmodSync, existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localPgDump, migrationRows, serverMajor, tableNames } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

/**
 * A pg_dump that does `before` (a shell line, with pg_dump's own libpq environment) and then dumps with
 * the machine's pg_dump: a backup as slow, or as eventful, as a test needs.
 */
function pgDumpWrapper(before: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-pgdump-'));
  const file = path.join(dir, 'pg_dump');
  const real = localPgDump()!.path;
  writeFileSync(file, `#!/bin/sh\nif [ "$1" != "--version" ]; then ${before}; fi\nexec ${real} "$@"\n`);
  chmodSync(file, 0o755);
  // The dump is checked with the pg_restore beside the pg_dump used.
  symlinkSync(path.join(path.dirname(real), 'pg_restore'), path.join(dir, 'pg_restore'));
  chmodSync(dir, 0o755);
  return file;
}

const FILES = { '1_users.sql': 'CREATE TABLE users (id int);\n', '2_orders.sql': 'CREATE TABLE orders (id int);\n' };
const dumpable = async () => {
  const dump = localPgDump();
  return dump !== undefined && dump.major >= (await serverMajor());
};

describe.each(ARTIFACTS)('the session that holds the lock, through the %s', (artifact) => {
  it('is not ended by idle_session_timeout while a long backup runs: the run completes', async (context) => {
    if (!(await dumpable()) || (await serverMajor()) < 14) return context.skip('needs a pg_dump for this server, and idle_session_timeout (PostgreSQL 14+)');
    const db = await database();
    await db.query(`ALTER DATABASE "${db.name}" SET idle_session_timeout = '2s'`);
    await db.query(`ALTER DATABASE "${db.name}" SET idle_in_transaction_session_timeout = '2s'`);
    const result = await run(artifact, db, migrationsDir(FILES), { backup: 'true', 'pg-dump-path': pgDumpWrapper('sleep 4') });
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: '2' });
    expect(existsSync(result.outputs['backup-path']!)).toBe(true);
    expect(result.log).not.toMatch(/Could not release the migration lock/);
  });

  it('is not ended by an idle_session_timeout in the settings input either', async (context) => {
    if (!(await dumpable()) || (await serverMajor()) < 14) return context.skip('needs a pg_dump for this server, and idle_session_timeout (PostgreSQL 14+)');
    const db = await database();
    const result = await run(artifact, db, migrationsDir(FILES), {
      backup: 'true',
      'pg-dump-path': pgDumpWrapper('sleep 4'),
      settings: 'idle_session_timeout=2s\nlock_timeout=5s',
    });
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: '2' });
  });

  it('when lost during the backup, stops the run before anything is applied and says why', async (context) => {
    if (!(await dumpable())) return context.skip('needs a pg_dump for this server');
    const db = await database();
    // What a DBA, a failover or a proxy does: the session that holds the lock ends mid-backup.
    const kill = `psql -Atqc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'migrate-action' AND datname = current_database()" >/dev/null`;
    const result = await run(artifact, db, migrationsDir(FILES), { backup: 'true', 'pg-dump-path': pgDumpWrapper(kill) });
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({ status: 'failed', revision: '0', 'applied-count': '0' });
    expect(result.log).toMatch(/Lost the database connection that holds the migration lock while the backup was taken \(.*\); the server freed the lock with it, so nothing more is applied/);
    // Not a file's fault, and no file of the user's (least of all the built-in table migration) is annotated.
    expect(result.log).not.toMatch(/0_create-migrations-table|Fix the file|Could not release the migration lock/);
    expect(await tableNames(db)).toEqual([]);
    expect(await migrationRows(db)).toEqual([]);
  });

  it('when lost during a migration, says the migration was rolled back and nothing more is applied', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_users.sql': 'CREATE TABLE users (id int);\n',
      '2_slow.sql': "CREATE TABLE slow (id int);\nSELECT pg_terminate_backend(pg_backend_pid());\n",
      '3_after.sql': 'CREATE TABLE after (id int);\n',
    });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Lost the database connection that holds the migration lock while applying \S*2_slow\.sql: (57P01 )?terminating connection due to administrator command.* was not committed, so the server rolled it back/);
    expect(result.log).not.toMatch(/Fix the file/);
    expect(await tableNames(db)).toEqual(['migrations', 'users']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });
});
