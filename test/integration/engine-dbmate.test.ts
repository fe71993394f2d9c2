import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { UserError } from '../../src/errors.js';
import type { InputName } from '../../src/inputs.js';
import { dbmateEngine, parseFailure, parseMigration } from '../../src/engines/dbmate.js';
import { EngineFailed } from '../../src/engines/types.js';
import { applyThenCancel, engineConfig, engineContext } from '../support/engine-context.js';
import { freshDatabase, roleOwning, tableNames, type TestDatabase } from '../support/db.js';

const run = promisify(execFile);
const WORKSPACE = path.resolve('.');
const EXAMPLE = 'migrations-example/dbmate';
const FAILING = 'test/fixtures/dbmate/failing';
const BIN_DIR = path.resolve('node_modules/.bin');
/** The job's environment with the npm-installed dbmate on PATH. */
const ENV = { ...process.env, PATH: `${BIN_DIR}${path.delimiter}${process.env.PATH ?? ''}` };

let db: TestDatabase | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await db?.close();
  db = undefined;
});

/** The engine on a real context for `db`, with every spawn request recorded. */
async function setUp(inputs: Partial<Record<InputName, string>>, env: NodeJS.ProcessEnv = ENV) {
  const config = engineConfig({ 'database-url': db!.url, engine: 'dbmate', 'migrations-dir': EXAMPLE, ...inputs }, WORKSPACE);
  const made = await engineContext(config, { env });
  cleanups.push(made.close);
  const engine = dbmateEngine(config, { log: made.log, clock: systemClock, env, workspace: config.workspace });
  return { config, ctx: made.ctx, engine, log: made.log, applied: made.applied, revisions: made.revisions, requests: made.requests };
}

/** dbmate run by hand, as a user would, on the same database. */
async function byHand(url: string, dir: string) {
  return run(path.join(BIN_DIR, 'dbmate'), ['--no-dump-schema', '--migrations-dir', path.resolve(dir), 'migrate'], {
    cwd: WORKSPACE,
    env: { ...process.env, DATABASE_URL: `${url}?sslmode=disable` },
  });
}

async function versions(): Promise<string[]> {
  const [found] = await db!.query<{ present: boolean }>("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present");
  if (!found?.present) return [];
  return (await db!.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
}

/** A migrations directory of its own, with `files`. */
function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbmate-mig-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('dbmate engine: its rules', () => {
  it('parses files as dbmate does', () => {
    expect(parseMigration('-- note\n\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- migrate:down\nDROP INDEX i;\n')).toEqual([
      {
        up: '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n',
        upStart: 9,
        transaction: false,
        down: '-- migrate:down\nDROP INDEX i;\n',
        downStart: 79,
        downTransaction: true,
      },
    ]);
    expect(parseMigration('CREATE TABLE t ();\n')).toBe("dbmate requires each migration to define an up block with '-- migrate:up'");
    expect(parseMigration('-- migrate:up\nCREATE TABLE t ();\n')).toBe("dbmate requires each migration to define a down block with '-- migrate:down'");
    expect(parseMigration('SELECT 1;\n-- migrate:up\nSELECT 2;\n-- migrate:down\n')).toBe("dbmate does not support statements preceding the '-- migrate:up' block");
    // `-- migrate:upgrade` is not a directive.
    expect(parseMigration('-- migrate:upgrade\n')).toBe("dbmate requires each migration to define an up block with '-- migrate:up'");
  });

  it("reads dbmate's error line", () => {
    expect(parseFailure('Error: line: 4, column: 15, position: 56: pq: relation "nope_table" does not exist at position 4:15 (42P01)\n')).toEqual({
      message: 'relation "nope_table" does not exist',
      line: 4,
      column: 15,
      code: '42P01',
    });
    expect(parseFailure('Error: pq: duplicate key value violates unique constraint "s_pkey" (23505)\n')).toEqual({
      message: 'duplicate key value violates unique constraint "s_pkey"',
      line: undefined,
      column: undefined,
      code: '23505',
    });
  });
});

describe('dbmate engine', () => {
  it('reads the state of an empty database without creating anything', async () => {
    db = await freshDatabase();
    const { engine, ctx } = await setUp({});
    // For apply, the version is known before the database is touched: npm's dbmate says it in its package.
    expect(await engine.prepare()).toMatch(
      /^3 migration files in migrations-example\/dbmate, versions 20240501100000 to 20240503100000; dbmate 2\.\d+\.\d+ \(.*\/@dbmate\/[^/]+\/bin\/dbmate, from .*\/dbmate\)\.$/,
    );
    const state = await engine.readState(ctx, 'plan');
    expect(state.revision).toEqual({ id: '', name: '', none: true });
    expect(state.applied).toEqual([]);
    expect(state.pending.map((m) => [m.id, m.name, m.fileName, m.label, m.transaction])).toEqual([
      ['20240501100000', 'create_users', '20240501100000_create_users.sql', `${EXAMPLE}/20240501100000_create_users.sql`, true],
      ['20240502100000', 'add_users_email', '20240502100000_add_users_email.sql', `${EXAMPLE}/20240502100000_add_users_email.sql`, true],
      ['20240503100000', 'create_posts', '20240503100000_create_posts.sql', `${EXAMPLE}/20240503100000_create_posts.sql`, true],
    ]);
    expect(state.pending[1]!.sql).toBe('-- migrate:up\nALTER TABLE users ADD COLUMN email text;\nCREATE UNIQUE INDEX users_email_idx ON users (email);\n\n');
    expect(await tableNames(db)).toEqual([]);
  });

  it('applies everything, reports each file, and finds nothing pending on the next run; dbmate by hand agrees', async () => {
    db = await freshDatabase();
    const { engine, ctx, applied, revisions, requests } = await setUp({});
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const after = await engine.apply(ctx, state, engine.within(state, undefined));
    expect(applied.map((a) => [a.id, a.fileName, a.label, a.transaction])).toEqual([
      ['20240501100000', '20240501100000_create_users.sql', `${EXAMPLE}/20240501100000_create_users.sql`, true],
      ['20240502100000', '20240502100000_add_users_email.sql', `${EXAMPLE}/20240502100000_add_users_email.sql`, true],
      ['20240503100000', '20240503100000_create_posts.sql', `${EXAMPLE}/20240503100000_create_posts.sql`, true],
    ]);
    expect(after.revision).toEqual({ id: '20240503100000', name: 'create_posts' });
    expect(revisions).toEqual([after.revision]);
    expect(after.pending).toEqual([]);
    expect(after.applied.every((a) => a.appliedAt === undefined)).toBe(true);
    expect(await tableNames(db)).toEqual(['posts', 'schema_migrations', 'users']);
    // npm's wrapper is skipped: its platform binary runs, and its package says the version.
    expect(requests.map((r) => [path.basename(r.program), ...r.args])).toEqual([
      ['dbmate', '--no-dump-schema', '--wait=false', '--migrations-dir', path.resolve(EXAMPLE), '--migrations-table', 'schema_migrations', 'migrate'],
    ]);
    expect(requests[0]!.program).toMatch(/node_modules\/@dbmate\/[a-z0-9]+-[a-z0-9]+\/bin\/dbmate$/);

    const again = await setUp({});
    await again.engine.prepare();
    const next = await again.engine.readState(again.ctx, 'apply');
    expect(next.pending).toEqual([]);
    expect(again.engine.within(next, undefined)).toEqual([]);

    const hand = await byHand(db.url, EXAMPLE);
    expect(hand.stdout).not.toMatch(/Applying/);
    expect(await versions()).toEqual(['20240501100000', '20240502100000', '20240503100000']);
  });

  it('finds nothing pending after dbmate ran by hand', async () => {
    db = await freshDatabase();
    await byHand(db.url, EXAMPLE);
    const { engine, ctx } = await setUp({});
    await engine.prepare();
    const state = await engine.readState(ctx, 'plan');
    expect(state.pending).toEqual([]);
    expect(state.revision).toEqual({ id: '20240503100000', name: 'create_posts' });
  });

  it('target-revision: the last pending one works, an earlier one is refused (dbmate has no target), unknown and applied ones', async () => {
    db = await freshDatabase();
    const { engine, ctx } = await setUp({});
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    expect(engine.within(state, '20240503100000').map((m) => m.id)).toEqual(['20240501100000', '20240502100000', '20240503100000']);
    expect(() => engine.within(state, '20240501100000')).toThrow(
      new UserError(
        'dbmate applies every pending migration and has no target version; remove input target-revision (or the later files: 20240502100000_add_users_email.sql, 20240503100000_create_posts.sql).',
      ),
    );
    expect(() => engine.within(state, '20240502100000_add_users_email')).toThrow(
      new UserError(`Input target-revision 20240502100000_add_users_email is not a migration version in ${EXAMPLE}; use the digits at the start of a file name, e.g. 20240502100000.`),
    );
    const after = await engine.apply(ctx, state, engine.within(state, '20240503100000'));
    expect(engine.within(after, '20240501100000')).toEqual([]);
  });

  it('a failing migration: names the file, its line in the file and the SQLSTATE; the two before it stay applied', async () => {
    db = await freshDatabase();
    const { engine, ctx, applied, revisions } = await setUp({ 'migrations-dir': FAILING });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const error = await engine.apply(ctx, state, engine.within(state, undefined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineFailed);
    const failed = error as EngineFailed;
    expect(failed.message).toBe(
      `Migration ${FAILING}/20240101000003_bad.sql failed at line 5: relation "nope_table" does not exist (SQLSTATE 42P01); ` +
        '2 of the 3 migration(s) of this run are applied (20240101000001_create_users.sql, 20240101000002_add_email.sql); ' +
        'the database is at revision 20240101000002 (add_email). Fix the migration, then run again.',
    );
    expect(failed.location).toEqual({ file: `${FAILING}/20240101000003_bad.sql`, line: 5, column: 15 });
    expect(failed.code).toBe('42P01');
    expect(applied.map((a) => a.fileName)).toEqual(['20240101000001_create_users.sql', '20240101000002_add_email.sql']);
    expect(revisions).toEqual([{ id: '20240101000002', name: 'add_email' }]);
    expect(await tableNames(db)).toEqual(['schema_migrations', 'users']);
    const after = await engine.readState(ctx, 'plan');
    expect(after.pending.map((m) => m.id)).toEqual(['20240101000003']);
  });

  it('has no baseline', async () => {
    db = await freshDatabase();
    const { engine } = await setUp({});
    expect(engine.unsupported.baseline).toMatch(/^dbmate has no command that records migrations without running them/);
    expect(engine.baseline).toBeUndefined();
  });

  it('a missing program is a one-line error before anything else', async () => {
    db = await freshDatabase();
    const { engine } = await setUp({}, { ...process.env, PATH: '/usr/bin:/bin' });
    await expect(engine.prepare()).rejects.toThrow(
      new UserError(
        'dbmate is not on PATH: install it (npm install dbmate, then node_modules/.bin on PATH, or the binary from its releases) or set input engine-path.',
      ),
    );
    const withPath = await setUp({ 'engine-path': 'no/such/dbmate' });
    await expect(withPath.engine.prepare()).rejects.toThrow(/^Input engine-path ".*\/no\/such\/dbmate" is not a program that can be run/);
    // engine-path as given to the run: the program is used even when PATH does not have it.
    const given = await setUp({ 'engine-path': path.join(BIN_DIR, 'dbmate') }, { ...process.env, PATH: '/usr/bin:/bin' });
    expect(await given.engine.prepare()).toMatch(/from .*node_modules\/\.bin\/dbmate\)\.$/);
  });

  it('asks a dbmate installed otherwise for its version before connecting, and refuses one older than 2', async () => {
    db = await freshDatabase();
    const goBinary = path.resolve('node_modules/@dbmate', `${process.platform}-${process.arch}`, 'bin/dbmate');
    const direct = await setUp({ 'engine-path': goBinary });
    expect(await direct.engine.prepare()).toMatch(/; dbmate 2\.\d+\.\d+ \(.*bin\/dbmate\)\.$/);
    const state = await direct.engine.readState(direct.ctx, 'apply');
    await direct.engine.apply(direct.ctx, state, direct.engine.within(state, undefined));
    expect(direct.requests.map((r) => r.args[0])).toEqual(['--no-dump-schema']);

    const old = path.join(tempDir({}), 'dbmate');
    writeFileSync(old, '#!/bin/sh\necho "dbmate version 1.16.2"\n', { mode: 0o755 });
    const tooOld = await setUp({ 'engine-path': old });
    await expect(tooOld.engine.prepare()).rejects.toThrow(/^dbmate 1\.16\.2 \(.*\/dbmate\) is too old: migrate-action needs 2\.0 or later/);
    const notDbmate = await setUp({ 'engine-path': '/bin/true' });
    await expect(notDbmate.engine.prepare()).rejects.toThrow(/^\/bin\/true --version did not print a dbmate version/);
    // plan, check and status never run dbmate: nothing is asked of it.
    const plan = await setUp({ 'engine-path': old, command: 'plan' });
    expect(await plan.engine.prepare()).toMatch(/; dbmate at .*\/dbmate\.$/);
  });

  it('refuses files dbmate would fail on: no down section, two sections, a shared version, none at all', async () => {
    db = await freshDatabase();
    const noDown = await setUp({ 'migrations-dir': tempDir({ '1_a.sql': '-- migrate:up\nCREATE TABLE a ();\n' }) });
    await expect(noDown.engine.prepare()).rejects.toThrow(/^Migration file .*\/1_a\.sql cannot be applied by dbmate: "dbmate requires each migration to define a down block/);
    const two = await setUp({
      'migrations-dir': tempDir({ '1_a.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:up\nSELECT 2;\n-- migrate:down\n' }),
    });
    await expect(two.engine.prepare()).rejects.toThrow(/1_a\.sql has 2 -- migrate:up sections/);
    const shared = await setUp({
      'migrations-dir': tempDir({ '1_a.sql': '-- migrate:up\n-- migrate:down\n', '1_b.sql': '-- migrate:up\n-- migrate:down\n' }),
    });
    await expect(shared.engine.prepare()).rejects.toThrow(/^Migration files 1_a\.sql and 1_b\.sql in .* share version 1/);
    const none = await setUp({ 'migrations-dir': tempDir({ 'README.md': '# notes' }) });
    await expect(none.engine.prepare()).rejects.toThrow(/^migrations-dir ".*" has no dbmate migration files/);
  });

  it('warns when versions differ in width: dbmate runs files in file-name order, which the pending list follows', async () => {
    db = await freshDatabase();
    const { engine, ctx, log } = await setUp({
      'migrations-dir': tempDir({ '9_a.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n', '10_b.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n' }),
    });
    await engine.prepare();
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(/have different numbers of digits; dbmate applies files in file-name order, which is not numeric order here: 10_b\.sql, 9_a\.sql\./),
    ]);
    const state = await engine.readState(ctx, 'plan');
    expect(state.pending.map((m) => m.id)).toEqual(['10', '9']);
  });

  it('works with a password that needs percent-encoding, and the URL is never on the command line', async () => {
    db = await freshDatabase();
    const password = `p@ss:w/o%r#d ${randomBytes(3).toString('hex')}`;
    const { role, url, drop } = await roleOwning(db, password, 'dbm');
    cleanups.push(drop);
    const { engine, ctx, applied, requests, log } = await setUp({ 'database-url': url });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    await engine.apply(ctx, state, state.pending);
    expect(applied).toHaveLength(3);
    for (const request of requests) {
      for (const arg of request.args) {
        expect(arg).not.toContain(role);
        expect(arg).not.toContain(encodeURIComponent(password));
      }
    }
    const migrate = requests.find((r) => r.args.includes('migrate'))!;
    expect(migrate.env.DATABASE_URL).toContain(encodeURIComponent(password));
    // dbmate's driver would default to sslmode=require: the run's own mode is given instead.
    expect(migrate.env.DATABASE_URL).toMatch(/[?&]sslmode=disable$/);
    for (const form of [password, encodeURIComponent(password)]) expect(log.lines.join('\n')).not.toContain(form);
  });

  it('a stopped dbmate: says so, and what is applied', async () => {
    db = await freshDatabase();
    const dir = tempDir({
      '1_a.sql': '-- migrate:up\nCREATE TABLE a ();\n-- migrate:down\n',
      '2_slow.sql': '-- migrate:up\nSELECT pg_sleep(30);\n-- migrate:down\n',
    });
    const controller = new AbortController();
    const config = engineConfig({ 'database-url': db.url, engine: 'dbmate', 'migrations-dir': dir }, WORKSPACE);
    const made = await engineContext(config, { env: ENV, signal: controller.signal });
    cleanups.push(made.close);
    const engine = dbmateEngine(config, { log: made.log, clock: systemClock, env: ENV, workspace: WORKSPACE, signal: controller.signal });
    await engine.prepare();
    const state = await engine.readState(made.ctx, 'apply');
    const error = await applyThenCancel(engine, made, db, controller, state);
    expect(error).toBeInstanceOf(EngineFailed);
    expect((error as Error).message).toBe(
      'dbmate was stopped (signal SIGTERM) while applying migrations: 1 of the 2 migration(s) of this run are applied (1_a.sql); the database is at revision 1 (a).',
    );
    expect(made.applied.map((a) => a.fileName)).toEqual(['1_a.sql']);
  });
});
