import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, migrationRows, type TestDatabase } from '../support/db.js';
import { packedCli, type PackedCli } from '../support/cli.js';
import { migrationsDir } from '../support/platform.js';

const ROOT = path.resolve('.');
const EXAMPLE = path.join(ROOT, 'migrations-example/postgres-migrations');
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
let packed: PackedCli;
let db: TestDatabase | undefined;

// The CLI as a user installs it: the packed package, run through npx.
beforeAll(() => {
  packed = packedCli();
}, 120_000);
afterAll(() => packed.remove());
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const cli = (args: string[], env: Record<string, string> = {}) => packed.run(args, env);
const dotenv = (file: string) => packed.dotenv(file);

describe('migrate-action CLI (npm pack + npx)', () => {
  it('applies with --database-url and writes the dotenv report', async () => {
    db = await freshDatabase();
    const file = path.join(packed.work, 'a.env');
    const run = await cli(['apply', '--database-url', db.url, '--migrations-dir', EXAMPLE, '--dotenv', file]);
    expect(run.code, run.all).toBe(0);
    expect(run.stdout).toContain('apply: applied; revision 0 -> 3, 3 applied, 0 pending.');
    expect(run.stdout).not.toContain("\u001b["); // no colours when not on a terminal
    expect(dotenv(file)).toEqual({
      MIGRATE_STATUS: 'applied',
      MIGRATE_REVISION: '3',
      MIGRATE_REVISION_NAME: 'add-users-last-login',
      MIGRATE_PREVIOUS_REVISION: '0',
      MIGRATE_APPLIED_COUNT: '3',
      MIGRATE_PENDING_COUNT: '0',
      MIGRATE_ROLLED_BACK_COUNT: '0',
      MIGRATE_FINDINGS_COUNT: '0',
      MIGRATE_BACKUP_PATH: '',
    });
  });

  it('reads DATABASE_URL when there is no flag', async () => {
    db = await freshDatabase();
    const run = await cli(['apply', '--migrations-dir', EXAMPLE], { DATABASE_URL: db.url });
    expect(run.code, run.all).toBe(0);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
  });

  it('falls back to the libpq PG* variables, with the password apart from the rest', async () => {
    db = await freshDatabase();
    const url = new URL(db.url);
    const run = await cli(['apply', '--migrations-dir', EXAMPLE, '--target-revision', '2'], {
      PGHOST: url.hostname,
      PGPORT: url.port,
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: db.name,
    });
    expect(run.code, run.all).toBe(0);
    expect(run.stdout).toContain('revision 0 -> 2');
  });

  it('exits 1 with the dotenv report written when a migration fails', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_ok.sql': 'CREATE TABLE ok (id int);', '2_bad.sql': 'CREATE TABLE bad (id int);\nSELEC 1;' });
    const file = path.join(packed.work, 'f.env');
    const run = await cli(['apply', '--database-url', db.url, '--migrations-dir', dir, '--dotenv', file]);
    expect(run.code).toBe(1);
    const line = run.stderr.split('\n').find((l) => l.startsWith('error: '))!;
    expect(line).toMatch(/^error: Migration .*2_bad\.sql failed at line 2, column 1: 42601 syntax error at or near "SELEC"/);
    expect(line.split('2_bad.sql')).toHaveLength(2); // the path once, not twice
    expect(run.all).not.toMatch(/^\s+at /m);
    expect(dotenv(file)).toMatchObject({ MIGRATE_STATUS: 'failed', MIGRATE_REVISION: '1', MIGRATE_APPLIED_COUNT: '1', MIGRATE_PENDING_COUNT: '1' });
  });

  it('check exits 1 while migrations are pending, 0 when up to date', async () => {
    db = await freshDatabase();
    expect((await cli(['check', '--database-url', db.url, '--migrations-dir', EXAMPLE])).code).toBe(1);
    expect((await cli(['apply', '--database-url', db.url, '--migrations-dir', EXAMPLE])).code).toBe(0);
    expect((await cli(['check', '--database-url', db.url, '--migrations-dir', EXAMPLE])).code).toBe(0);
  });

  it('exits 2 on bad usage, naming the flag or command', async () => {
    const cases: [string[], RegExp][] = [
      [['apply', '--no-such-flag', 'x'], /unknown flag "--no-such-flag"/],
      [['migrate'], /unknown command "migrate": use one of apply, plan, check, baseline/],
      [['apply', '--wait-timeout'], /flag "--wait-timeout" needs a value/],
      [[], /no command/],
      [['apply', 'plan'], /unexpected argument "plan"/],
      // A URL given in the wrong place is never printed back with its password.
      [['apply', 'postgres://app:Sup3r%40Secret@db.internal/shop'], /unexpected argument <a connection URL, not shown>/],
      [['postgres://app:Sup3r%40Secret@db.internal/shop'], /unknown command <a connection URL, not shown>/],
      [['apply', '--postgres://app:Sup3r%40Secret@db.internal/shop', 'x'], /unknown flag <a connection URL, not shown>/],
      [['apply', '--postgres://app:Sup3r%40Secret@db.internal/shop'], /flag <a connection URL, not shown> needs a value/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      // one line of ours (npm itself may add its own warnings)
      expect(run.stderr.trim().split('\n').filter((line) => !line.startsWith('npm '))).toHaveLength(1);
      expect(run.all).not.toMatch(/Sup3r/);
    }
  });

  it('exits 1 with a one-line message when no connection is given at all', async () => {
    const run = await cli(['apply', '--migrations-dir', EXAMPLE]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/database-url is empty: set --database-url, or DATABASE_URL, or the libpq variables/);
  });

  it('prints --help with every flag and its default, and --version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--database-url', '--migrations-dir', '--target-revision', '--backup', '--backup-dir', '--backup-format', '--pg-dump-path', '--lock-wait-timeout', '--wait-timeout', '--settings', '--lock-retries', '--summary', '--dotenv']) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toMatch(/--lock-wait-timeout .*\(default: 300\)/);
    expect(help.stdout).toMatch(/--migrations-dir .*\(default: migrations\)/);
    expect((await cli(['--version'])).stdout.trim()).toBe(VERSION);
  });
});
