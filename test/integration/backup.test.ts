import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOn } from '../../src/main.js';
import { libpqEnv } from '../../src/migrations/backup.js';
import { freshDatabase, localPgDump, migrationRows, serverMajor, tableNames, type TestDatabase } from '../support/db.js';
import { recordWritten } from '../support/leaks.js';
import { recordingPlatform } from '../support/platform.js';

const EXAMPLE = path.resolve('migrations-example/postgres-migrations');
let db: TestDatabase;
afterEach(async () => db?.close());

// pg_dump comes from the PostgreSQL client package (.ci/run installs it when missing). It refuses newer
// servers, so the tests that dump for real run only where it can dump the test server.
const dump = localPgDump();
const realPgDump = dump?.path ?? 'pg_dump';
const canDump = dump !== undefined && dump.major >= (await serverMajor());
const dumping = it.skipIf(!canDump);

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'migrate-action-backup-'));
}

/** A stand-in pg_dump: a shell script with the given body, answering --version like pg_dump <version>. */
function fakePgDump(version: string, body: string): string {
  const dir = tempDir();
  const file = path.join(dir, 'pg_dump');
  writeFileSync(file, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${version}"; exit 0; fi\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** The schema and data of a database as pg_dump prints it, without the per-dump random lines. */
function dumpText(url: string): string {
  const text = execFileSync(realPgDump, ['--no-owner'], { env: libpqEnv(url), encoding: 'utf8' });
  return text
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line))
    .join('\n');
}

async function run(inputs: Record<string, string>) {
  const platform = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE, backup: 'true', ...inputs });
  await runOn(platform);
  return platform;
}

describe('backup', () => {
  dumping('dumps before the first migration; restoring the dump gives back the pre-migration database', async () => {
    db = await freshDatabase();
    await run({ 'target-revision': '1', backup: 'false' });
    await db.query("INSERT INTO users (email, display_name) VALUES ('ada@example.com', 'Ada')");
    const before = dumpText(db.url);
    const dir = path.join(tempDir(), 'nested', 'backups');

    const p = await run({ 'backup-dir': dir });
    expect(p.failed).toBeUndefined();
    expect(p.outputs).toMatchObject({ status: 'applied', 'previous-revision': '1', revision: '3' });
    const file = p.outputs['backup-path']!;
    expect(path.dirname(file)).toBe(dir);
    // The database's name and a tag of server and database (see dumpPrefix), then the revision it holds.
    expect(path.basename(file)).toMatch(new RegExp(`^${db.name}-[0-9a-f]{8}-r1-\\d{8}T\\d{6}Z\\.dump$`));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(p.summary).toContain('### Backup');
    expect(p.summary).toContain(`pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" '${file}'`);
    // the backup group ran before the apply group
    const log = p.log();
    expect(log.indexOf('::group::Back up the database')).toBeLessThan(log.indexOf('::group::Apply'));

    const restored = await freshDatabase('restored');
    try {
      execFileSync(path.join(path.dirname(realPgDump), 'pg_restore'), ['--no-owner', '--dbname', restored.name, file], {
        env: libpqEnv(restored.url),
      });
      expect(dumpText(restored.url)).toBe(before);
    } finally {
      await restored.close();
    }
  });

  dumping('writes a plain SQL dump when backup-format is plain', async () => {
    db = await freshDatabase();
    const p = await run({ 'backup-dir': tempDir(), 'backup-format': 'plain' });
    expect(p.outputs['backup-path']).toMatch(/-r0-\d{8}T\d{6}Z\.sql$/);
    expect(readFileSync(p.outputs['backup-path']!, 'utf8')).toContain('PostgreSQL database dump complete');
  });

  it('takes no backup when nothing is pending', async () => {
    db = await freshDatabase();
    await run({ backup: 'false' });
    const dir = tempDir();
    const p = await run({ 'backup-dir': dir });
    expect(p.outputs).toMatchObject({ status: 'up-to-date', 'backup-path': '' });
    expect(readdirSync(dir)).toEqual([]);
  });

  dumping('gives pg_dump the password through the environment, never in its arguments', async () => {
    db = await freshDatabase();
    const argvFile = path.join(tempDir(), 'argv');
    const wrapper = fakePgDump('15.18', `printf '%s\\n' "$@" > '${argvFile}'\n[ -n "$PGPASSWORD" ] || exit 3\nexec '${realPgDump}' "$@"`);
    // pg_restore --list must sit beside the chosen pg_dump
    execFileSync('ln', ['-s', path.join(path.dirname(realPgDump), 'pg_restore'), path.join(path.dirname(wrapper), 'pg_restore')]);
    const p = await run({ 'backup-dir': tempDir(), 'pg-dump-path': wrapper });
    expect(p.failed).toBeUndefined();
    const argv = readFileSync(argvFile, 'utf8');
    recordWritten('pg_dump argv', argv);
    expect(argv).toContain('--format=custom');
    expect(argv).not.toContain('postgres://');
  });

  it('fails before migrating, naming the versions found and the fix, when pg_dump is older than the server', async () => {
    db = await freshDatabase();
    const old = fakePgDump('9.6.24', 'exit 0');
    const p = await run({ 'backup-dir': tempDir(), 'pg-dump-path': old });
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '0', 'applied-count': '0', 'backup-path': '' });
    expect(p.failed).toMatch(/Backup needs pg_dump 1\d or newer .*found .*pg_dump 9\.6.*point pg-dump-path at a pg_dump 1\d or newer.*Nothing was applied/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('fails before migrating when pg_dump is missing', async () => {
    db = await freshDatabase();
    const p = await run({ 'backup-dir': tempDir(), 'pg-dump-path': path.join(tempDir(), 'no-such-pg_dump') });
    expect(p.failed).toMatch(/not runnable/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('stops the run with nothing applied when pg_dump fails, and removes the partial file', async () => {
    db = await freshDatabase();
    const dir = tempDir();
    const failing = fakePgDump('99.0', 'echo "pg_dump: error: connection lost" >&2\nexit 1');
    const p = await run({ 'backup-dir': dir, 'pg-dump-path': failing });
    expect(p.failed).toMatch(/Backup with .* failed: pg_dump exited with 1: pg_dump: error: connection lost; nothing was applied/);
    expect(readdirSync(dir)).toEqual([]);
    expect(await tableNames(db)).toEqual([]);
    expect(await migrationRows(db)).toEqual([]);
  });

  it('stops the run when the dump is empty', async () => {
    db = await freshDatabase();
    const dir = tempDir();
    const empty = fakePgDump('99.0', 'exit 0');
    const p = await run({ 'backup-dir': dir, 'pg-dump-path': empty });
    expect(p.failed).toMatch(/the dump file is empty; nothing was applied/);
    expect(existsSync(dir) && readdirSync(dir)).toEqual([]);
    expect(await tableNames(db)).toEqual([]);
  });
});
