import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { UserError } from '../../src/errors.js';
import type { InputName } from '../../src/inputs.js';
import { compareFileNames, nodePgMigrateEngine, upSection } from '../../src/engines/node-pg-migrate.js';
import { EngineFailed } from '../../src/engines/types.js';
import { applyThenCancel, engineConfig, engineContext } from '../support/engine-context.js';
import { freshDatabase, roleOwning, tableNames, type TestDatabase } from '../support/db.js';

const run = promisify(execFile);
const WORKSPACE = path.resolve('.');
const EXAMPLE = 'migrations-example/node-pg-migrate';
const FAILING = 'test/fixtures/node-pg-migrate/failing';
const BIN = path.resolve('node_modules/.bin/node-pg-migrate');

let db: TestDatabase | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await db?.close();
  db = undefined;
});

/** The engine on a real context for `db`, with every spawn request and revision recorded. */
async function setUp(inputs: Partial<Record<InputName, string>>, workspace = WORKSPACE) {
  const config = engineConfig({ 'database-url': db!.url, engine: 'node-pg-migrate', 'migrations-dir': EXAMPLE, ...inputs }, workspace);
  const made = await engineContext(config);
  cleanups.push(made.close);
  const engine = nodePgMigrateEngine(config, { log: made.log, clock: systemClock, env: process.env, workspace: config.workspace });
  return { config, ctx: made.ctx, engine, log: made.log, applied: made.applied, requests: made.requests, revisions: made.revisions };
}

/** node-pg-migrate run by hand, as a user would, on the same database. */
async function byHand(url: string, dir: string, ...args: string[]) {
  return run(BIN, ['up', '--migrations-dir', path.resolve(dir), ...args], { cwd: WORKSPACE, env: { ...process.env, DATABASE_URL: url } });
}

async function pgmigrations(): Promise<string[]> {
  const [found] = await db!.query<{ present: boolean }>("SELECT to_regclass('public.pgmigrations') IS NOT NULL AS present");
  if (!found?.present) return [];
  return (await db!.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on, id')).map((r) => r.name);
}

/** A migrations directory of its own, with `files`. */
function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npm-mig-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('node-pg-migrate engine: its rules', () => {
  it('cuts the Up section as node-pg-migrate does (a blank line before the marker belongs to it)', () => {
    const text = '-- header\n\n-- Up Migration\nCREATE TABLE a ();\n-- Down Migration\nDROP TABLE a;\n';
    expect(upSection(text)).toEqual({ start: 10, sql: '\n-- Up Migration\nCREATE TABLE a ();\n' });
    expect(upSection('CREATE TABLE a ();')).toEqual({ start: 0, sql: 'CREATE TABLE a ();' });
    expect(upSection('-- down migration\nDROP TABLE a;\n--- UP MIGRATION\nCREATE TABLE a ();').sql).toBe('--- UP MIGRATION\nCREATE TABLE a ();');
  });

  it('orders files by numeric prefix, 17 digits as a UTC timestamp', () => {
    const names = ['10_b.sql', '9_a.sql', '1_x.js', '20240101000000000_t.sql', '1700000000000_u.sql'];
    expect([...names].sort(compareFileNames)).toEqual(['1_x.js', '9_a.sql', '10_b.sql', '1700000000000_u.sql', '20240101000000000_t.sql']);
  });
});

describe('node-pg-migrate engine', () => {
  it('reads the state of an empty database without creating anything', async () => {
    db = await freshDatabase();
    const { engine, ctx } = await setUp({});
    expect(await engine.prepare()).toMatch(/^3 migration files in migrations-example\/node-pg-migrate \(2 SQL, 1 JavaScript\).*node-pg-migrate 9\.0\.0/);
    const state = await engine.readState(ctx, 'plan');
    expect(state.revision).toEqual({ id: '', name: '', none: true });
    expect(state.applied).toEqual([]);
    expect(state.pending.map((m) => [m.id, m.fileName, m.label, m.transaction])).toEqual([
      ['1_create-users', '1_create-users.sql', `${EXAMPLE}/1_create-users.sql`, true],
      ['2_add-users-email', '2_add-users-email.js', `${EXAMPLE}/2_add-users-email.js`, undefined],
      ['3_create-posts', '3_create-posts.sql', `${EXAMPLE}/3_create-posts.sql`, true],
    ]);
    expect(state.pending[0]!.sql).toMatch(/^\n-- Up Migration\nCREATE TABLE users/);
    expect(state.pending[0]!.sql).not.toMatch(/DROP TABLE/);
    expect(state.pending[1]!.sql).toBeUndefined();
    expect(state.pending[1]!.sqlNote).toBe('a JavaScript migration: its SQL is known only when it runs');
    expect(await tableNames(db)).toEqual([]);
  });

  it('applies everything, reports each file, and finds nothing pending on the next run; node-pg-migrate by hand agrees', async () => {
    db = await freshDatabase();
    const { engine, ctx, applied, requests, revisions } = await setUp({});
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toRun = engine.within(state, undefined);
    const after = await engine.apply(ctx, state, toRun);
    expect(applied.map((a) => [a.id, a.fileName, a.label])).toEqual([
      ['1_create-users', '1_create-users.sql', `${EXAMPLE}/1_create-users.sql`],
      ['2_add-users-email', '2_add-users-email.js', `${EXAMPLE}/2_add-users-email.js`],
      ['3_create-posts', '3_create-posts.sql', `${EXAMPLE}/3_create-posts.sql`],
    ]);
    expect(after.revision).toEqual({ id: '3_create-posts', name: '' });
    expect(revisions).toEqual([after.revision]);
    expect(after.pending).toEqual([]);
    expect(after.applied.every((a) => !Number.isNaN(Date.parse(a.appliedAt!)))).toBe(true);
    expect(await tableNames(db)).toEqual(['pgmigrations', 'posts', 'users']);
    expect((await db.query<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")).length).toBe(1);
    expect(requests.map((r) => r.args.slice(0, 2))).toEqual([['up', '3']]);

    const again = await setUp({});
    await again.engine.prepare();
    const next = await again.engine.readState(again.ctx, 'apply');
    expect(next.pending).toEqual([]);
    expect(again.engine.within(next, undefined)).toEqual([]);
    expect(next.applied.map((a) => a.fileName)).toEqual(['1_create-users.sql', '2_add-users-email.js', '3_create-posts.sql']);

    const hand = await byHand(db.url, EXAMPLE);
    expect(hand.stdout).toMatch(/No migrations to run!/);
  });

  it('finds nothing pending after node-pg-migrate ran by hand', async () => {
    db = await freshDatabase();
    await byHand(db.url, EXAMPLE);
    const { engine, ctx } = await setUp({});
    await engine.prepare();
    const state = await engine.readState(ctx, 'plan');
    expect(state.pending).toEqual([]);
    expect(state.revision).toEqual({ id: '3_create-posts', name: '' });
  });

  it('applies up to target-revision, refuses an unknown one, and does nothing for an applied one', async () => {
    db = await freshDatabase();
    const { engine, ctx, applied } = await setUp({ 'target-revision': '2_add-users-email' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toRun = engine.within(state, '2_add-users-email');
    expect(toRun.map((m) => m.id)).toEqual(['1_create-users', '2_add-users-email']);
    const after = await engine.apply(ctx, state, toRun);
    expect(applied.map((a) => a.id)).toEqual(['1_create-users', '2_add-users-email']);
    expect(after.revision.id).toBe('2_add-users-email');
    expect(after.pending.map((m) => m.id)).toEqual(['3_create-posts']);
    expect(await pgmigrations()).toEqual(['1_create-users', '2_add-users-email']);

    expect(engine.within(after, '1_create-users')).toEqual([]);
    expect(() => engine.within(after, '2_add-users-email.js')).toThrow(
      new UserError(`Input target-revision 2_add-users-email.js is not a migration in ${EXAMPLE}; use a file name without its extension, e.g. 2_add-users-email.`),
    );
    expect(() => engine.within(after, '9_nope')).toThrow(/^Input target-revision 9_nope is not a migration in migrations-example\/node-pg-migrate; use a file name without its extension, e\.g\. 3_create-posts\.$/);
  });

  it('a failing migration: names the file, the line in the file and the SQLSTATE; nothing of the run is applied', async () => {
    db = await freshDatabase();
    const { engine, ctx, applied, revisions } = await setUp({ 'migrations-dir': FAILING });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const error = await engine.apply(ctx, state, engine.within(state, undefined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineFailed);
    const failed = error as EngineFailed;
    expect(failed.message).toBe(
      `Migration ${FAILING}/3_bad.sql failed at line 5: relation "nope_table" does not exist (SQLSTATE 42P01); ` +
        'none of the 3 migration(s) of this run is applied; the database is at revision none (nothing applied) ' +
        '(node-pg-migrate ran them in one transaction, which it rolled back). Fix the migration, then run again.',
    );
    expect(failed.location).toEqual({ file: `${FAILING}/3_bad.sql`, line: 5 });
    expect(failed.code).toBe('42P01');
    expect(applied).toEqual([]);
    expect(revisions).toEqual([{ id: '', name: '', none: true }]);
    // node-pg-migrate created its table before the transaction; nothing else remains.
    expect(await tableNames(db)).toEqual(['pgmigrations']);
    expect(await pgmigrations()).toEqual([]);
    const after = await engine.readState(ctx, 'plan');
    expect(after.pending.map((m) => m.id)).toEqual(['1_create-users', '2_add-email', '3_bad']);
  });

  it('baseline records up to the target with --fake, without running anything', async () => {
    db = await freshDatabase();
    const { engine, ctx, applied, requests } = await setUp({ command: 'baseline', 'target-revision': '2_add-users-email' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const after = await engine.baseline!(ctx, state, engine.within(state, '2_add-users-email'));
    expect(requests[0]!.args).toContain('--fake');
    expect(applied).toEqual([]);
    expect(after.revision).toEqual({ id: '2_add-users-email', name: '' });
    expect(after.pending.map((m) => m.id)).toEqual(['3_create-posts']);
    expect(await pgmigrations()).toEqual(['1_create-users', '2_add-users-email']);
    expect(await tableNames(db)).toEqual(['pgmigrations']);
  });

  it('refuses a pending file that sorts before an applied one, as node-pg-migrate would', async () => {
    db = await freshDatabase();
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a ();', '3_c.sql': 'CREATE TABLE c ();' });
    const first = await setUp({ 'migrations-dir': dir });
    await first.engine.prepare();
    const state = await first.engine.readState(first.ctx, 'apply');
    await first.engine.apply(first.ctx, state, first.engine.within(state, undefined));
    writeFileSync(path.join(dir, '2_b.sql'), 'CREATE TABLE b ();');
    const second = await setUp({ 'migrations-dir': dir });
    await second.engine.prepare();
    await expect(second.engine.readState(second.ctx, 'apply')).rejects.toThrow(
      `Migration file ${dir}/2_b.sql is not applied but sorts before 3_c, which is: node-pg-migrate refuses to run ` +
        '("Not run migration 2_b is preceding already run migration 3_c"). Rename it so that it sorts after the last applied migration (a later number or timestamp).',
    );
  });

  it("says so when node-pg-migrate's own lock is held outside migrate-action; nothing is applied", async () => {
    db = await freshDatabase();
    const other = await db.client('other node-pg-migrate');
    await other.query('SELECT pg_advisory_lock(7241865325823964)');
    const { engine, ctx, applied } = await setUp({});
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const error = await engine.apply(ctx, state, state.pending).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^node-pg-migrate's own lock \(advisory lock 7241865325823964\) is held by another session.*none of the 3 migration\(s\) of this run is applied/);
    expect(applied).toEqual([]);
  });

  it('a missing program is a one-line error before anything else', async () => {
    db = await freshDatabase();
    const workspace = tempDir({});
    const { engine } = await setUp({ 'migrations-dir': path.resolve(EXAMPLE) }, workspace);
    await expect(engine.prepare()).rejects.toThrow(
      new UserError(
        'node-pg-migrate is not installed in the workspace (node_modules/.bin/node-pg-migrate): run npm install node-pg-migrate pg in the job before this step, or set input engine-path.',
      ),
    );
    const withPath = await setUp({ 'migrations-dir': path.resolve(EXAMPLE), 'engine-path': 'bin/nope' }, workspace);
    await expect(withPath.engine.prepare()).rejects.toThrow(/^Input engine-path ".*\/bin\/nope" is not a program that can be run/);
  });

  it('refuses a directory node-pg-migrate could not load: empty, missing, a stray file', async () => {
    db = await freshDatabase();
    const empty = await setUp({ 'migrations-dir': tempDir({ '.keep': '' }) });
    await expect(empty.engine.prepare()).rejects.toThrow(/^migrations-dir ".*" has no migration files/);
    const missing = await setUp({ 'migrations-dir': 'no/such/dir' });
    await expect(missing.engine.prepare()).rejects.toThrow(/^migrations-dir "no\/such\/dir" does not exist/);
    const stray = await setUp({ 'migrations-dir': tempDir({ '1_a.sql': 'SELECT 1;', 'README.md': '# notes' }) });
    await expect(stray.engine.prepare()).rejects.toThrow(/README\.md is not a migration .* node-pg-migrate loads every file of its directory/);
  });

  it('works with a password that needs percent-encoding, and the URL is never on the command line', async () => {
    db = await freshDatabase();
    const password = `p@ss:w/o%r#d ${randomBytes(3).toString('hex')}`;
    const { role, url, drop } = await roleOwning(db, password, 'npm');
    cleanups.push(drop);
    const { engine, ctx, applied, requests, log } = await setUp({ 'database-url': url });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    await engine.apply(ctx, state, state.pending);
    expect(applied).toHaveLength(3);
    const request = requests[0]!;
    for (const arg of request.args) {
      expect(arg).not.toContain(role);
      expect(arg).not.toContain(encodeURIComponent(password));
    }
    expect(request.env.DATABASE_URL).toContain(encodeURIComponent(password));
    expect(request.env.DATABASE_URL).toMatch(/[?&]sslmode=disable&uselibpqcompat=true$/);
    expect(request.env.DATABASE_URL).toMatch(/[?&]application_name=migrate-action-node-pg-migrate-[0-9a-f]{8}&/);
    for (const form of [password, encodeURIComponent(password)]) expect(log.lines.join('\n')).not.toContain(form);
  });
});

describe('node-pg-migrate engine: a stopped run', () => {
  it('says it was stopped, and what is applied', async () => {
    db = await freshDatabase();
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a ();', '2_slow.sql': 'SELECT pg_sleep(30);' });
    const controller = new AbortController();
    const config = engineConfig({ 'database-url': db.url, engine: 'node-pg-migrate', 'migrations-dir': dir }, WORKSPACE);
    const made = await engineContext(config, { signal: controller.signal });
    cleanups.push(made.close);
    const engine = nodePgMigrateEngine(config, { log: made.log, clock: systemClock, env: process.env, workspace: WORKSPACE, signal: controller.signal });
    await engine.prepare();
    const state = await engine.readState(made.ctx, 'apply');
    const error = await applyThenCancel(engine, made, db, controller, state);
    expect(error).toBeInstanceOf(EngineFailed);
    expect((error as Error).message).toBe(
      'node-pg-migrate was stopped (signal SIGTERM) while applying 2 migration(s): none of the 2 migration(s) of this run is applied; the database is at revision none (nothing applied).',
    );
    expect(made.applied).toEqual([]);
    expect(await tableNames(db)).toEqual(['pgmigrations']);
  });
});

describe('node-pg-migrate engine: the example directory', () => {
  it('is a copy-paste starting point: it also applies from another workspace with engine-path', async () => {
    db = await freshDatabase();
    const workspace = tempDir({ 'package.json': '{"type":"module"}' });
    cpSync(path.resolve(EXAMPLE), path.join(workspace, 'migrations'), { recursive: true });
    const { engine, ctx, applied } = await setUp({ 'migrations-dir': 'migrations', 'engine-path': BIN }, workspace);
    expect(await engine.prepare()).toMatch(/node-pg-migrate 9\.0\.0/);
    const state = await engine.readState(ctx, 'apply');
    await engine.apply(ctx, state, state.pending);
    expect(applied.map((a) => a.label)).toEqual(['migrations/1_create-users.sql', 'migrations/2_add-users-email.js', 'migrations/3_create-posts.sql']);
  });
});
