import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { InputName } from '../../src/inputs.js';
import { UserError, messageOf } from '../../src/errors.js';
import { alembicEngine, pendingUpTo, resolveTarget, type HelperState } from '../../src/engines/alembic.js';
import { EngineFailed, type EngineContext, type EngineRevision } from '../../src/engines/types.js';
import { freshDatabase, tableNames, type TestDatabase } from '../support/db.js';
import { engineConfig, engineContext } from '../support/engine-context.js';
import { recordWritten } from '../support/leaks.js';

const run = promisify(execFile);
const REPO = path.resolve('.');
/** Debian's Python has Alembic 1.8.1 and psycopg2; the python3 on PATH (pyenv's) has neither. */
const PYTHON = '/usr/bin/python3';
const EXAMPLE = 'migrations-example/alembic/alembic.ini';
const fixture = (name: string) => `test/fixtures/alembic/${name}/alembic.ini`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(): Promise<TestDatabase> {
  const db = await freshDatabase('alembic');
  cleanups.push(() => db.close());
  return db;
}

/** The engine and a real context on `url`, the way the frame sets them up. */
async function alembic(
  url: string,
  inputs: Partial<Record<InputName, string>> = {},
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; engineUrl?: string } = {},
) {
  const config = engineConfig({ 'database-url': url, engine: 'alembic', 'alembic-config': EXAMPLE, python: PYTHON, ...inputs }, REPO);
  const env = options.env ?? process.env;
  const built = await engineContext(config, { env, signal: options.signal });
  cleanups.push(built.close);
  const revisions: EngineRevision[] = [];
  const ctx: EngineContext = {
    ...built.ctx,
    revision: (revision) => void revisions.push(revision),
    ...(options.engineUrl === undefined ? {} : { engineUrl: () => options.engineUrl! }),
  };
  const engine = alembicEngine(config, { log: built.log, clock: systemClock, env, workspace: REPO, signal: options.signal });
  return { engine, ctx, config, log: built.log, applied: built.applied, revisions, applicationName: built.applicationName };
}

/** What a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    recordWritten('error message', messageOf(error));
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    recordWritten('error message', messageOf(error));
    return error as Error;
  }
  throw new Error('expected an error');
}

async function hasVersionTable(db: TestDatabase): Promise<boolean> {
  const [row] = await db.query<{ found: boolean }>("SELECT to_regclass('alembic_version') IS NOT NULL AS found");
  return row!.found;
}

async function versionRows(db: TestDatabase): Promise<string[]> {
  if (!(await hasVersionTable(db))) return [];
  return (await db.query<{ v: string }>('SELECT version_num AS v FROM alembic_version ORDER BY 1')).map((r) => r.v);
}

describe('alembic engine: state', () => {
  it('reads an empty database without creating anything, with each pending revision and its SQL for plan', async () => {
    const db = await database();
    const { engine, ctx, log } = await alembic(db.url, { command: 'plan' });
    expect(await engine.prepare()).toMatch(/Alembic project migrations-example\/alembic\/alembic\.ini/);
    const state = await engine.readState(ctx, 'plan');
    expect(state.revision).toEqual({ id: '', name: '', none: true });
    expect(state.applied).toEqual([]);
    expect(state.pending.map((m) => [m.id, m.name, m.fileName, m.label])).toEqual([
      ['0001', 'create users', '0001_create_users.py', 'migrations-example/alembic/migrations/versions/0001_create_users.py'],
      ['0002', 'add users email', '0002_add_users_email.py', 'migrations-example/alembic/migrations/versions/0002_add_users_email.py'],
      ['0003', 'create posts', '0003_create_posts.py', 'migrations-example/alembic/migrations/versions/0003_create_posts.py'],
    ]);
    expect(state.pending[0]!.sql).toMatch(/CREATE TABLE users/);
    expect(state.pending[1]!.sql).toMatch(/CREATE UNIQUE INDEX users_email_idx/);
    expect(log.lines.join('\n')).toMatch(/Alembic 1\.\d+\.\d+ \(SQLAlchemy [\d.]+, Python [\d.]+\); 3 revision\(s\) in migrations-example\/alembic\/migrations, head 0003/);
    expect(await hasVersionTable(db)).toBe(false);
    expect(await tableNames(db)).toEqual([]);
    expect(engine.within(state, undefined).map((m) => m.id)).toEqual(['0001', '0002', '0003']);
  });

  it('leaves the SQL out for apply and status', async () => {
    const db = await database();
    const { engine, ctx } = await alembic(db.url, { command: 'status' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'plan');
    expect(state.pending.every((m) => m.sql === undefined && m.sqlNote === undefined)).toBe(true);
  });

  it('says why a merge revision has no SQL', async () => {
    const db = await database();
    const { engine, ctx } = await alembic(db.url, { command: 'plan', 'alembic-config': fixture('branches') });
    await engine.prepare();
    const state = await engine.readState(ctx, 'plan');
    const merge = state.pending.find((m) => m.id === 'm4')!;
    expect(merge.sql).toBeUndefined();
    expect(merge.sqlNote).toMatch(/merge revision/);
    expect(state.pending.find((m) => m.id === 'e6')!.sql).toMatch(/CREATE TABLE t_e/);
  });
});

describe('alembic engine: apply', () => {
  it('applies every pending revision, reports each, and has nothing left on the next run', async () => {
    const db = await database();
    const { engine, ctx, applied, revisions, log } = await alembic(db.url);
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toRun = engine.within(state, undefined);
    const after = await engine.apply(ctx, state, toRun);
    expect(applied).toEqual([
      { id: '0001', fileName: '0001_create_users.py', label: 'migrations-example/alembic/migrations/versions/0001_create_users.py', transaction: undefined },
      { id: '0002', fileName: '0002_add_users_email.py', label: 'migrations-example/alembic/migrations/versions/0002_add_users_email.py', transaction: undefined },
      { id: '0003', fileName: '0003_create_posts.py', label: 'migrations-example/alembic/migrations/versions/0003_create_posts.py', transaction: undefined },
    ]);
    expect(after.revision).toEqual({ id: '0003', name: 'create posts' });
    expect(revisions).toEqual([{ id: '0003', name: 'create posts' }]);
    expect(after.applied.map((r) => [r.id, r.name, r.fileName, r.appliedAt])).toEqual([
      ['0001', 'create users', '0001_create_users.py', undefined],
      ['0002', 'add users email', '0002_add_users_email.py', undefined],
      ['0003', 'create posts', '0003_create_posts.py', undefined],
    ]);
    expect(after.pending).toEqual([]);
    expect(await tableNames(db)).toEqual(['alembic_version', 'posts', 'users']);
    expect(await versionRows(db)).toEqual(['0003']);
    // Alembic's own progress lines are in the log.
    expect(log.lines).toContainEqual(expect.stringMatching(/^info: alembic: INFO .*Running upgrade 0002 -> 0003, create posts/));

    const again = await engine.readState(ctx, 'apply');
    expect(again.pending).toEqual([]);
    expect(again.revision).toEqual({ id: '0003', name: 'create posts' });
    expect(engine.within(again, undefined)).toEqual([]);
  });

  it('stops at target-revision, and refuses an unknown or ambiguous one', async () => {
    const db = await database();
    const { engine, ctx, applied } = await alembic(db.url, { 'target-revision': '0002' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toRun = engine.within(state, '0002');
    expect(toRun.map((m) => m.id)).toEqual(['0001', '0002']);
    const after = await engine.apply(ctx, state, toRun);
    expect(applied.map((a) => a.id)).toEqual(['0001', '0002']);
    expect(after.pending.map((m) => m.id)).toEqual(['0003']);
    expect(await versionRows(db)).toEqual(['0002']);
    expect(await tableNames(db)).toEqual(['alembic_version', 'users']);

    expect(engine.within(after, '0001')).toEqual([]);
    expect(engine.within(after, 'head').map((m) => m.id)).toEqual(['0003']);
    const unknown = thrown(() => engine.within(after, 'ffff'));
    expect(unknown).toBeInstanceOf(UserError);
    expect(unknown.message).toBe(
      'Input target-revision ffff is not a revision in migrations-example/alembic/migrations; use a revision id from its files (the revision = "..." line), e.g. 0003.',
    );
    expect(thrown(() => engine.within(after, '000')).message).toMatch(/^Input target-revision 000 is the start of several revisions .*\(0001, 0002, 0003\); give more of the id\.$/);
  });

  it('resolves a target as Alembic does: an id, a unique prefix of an id longer than 3 characters, head, heads', () => {
    const revision = (id: string, needs: string[] = []) => ({ revision: id, doc: id, path: `/p/${id}.py`, down_revision: needs, needs });
    const state: HelperState = {
      script_dir: '/p',
      current: [],
      heads: ['ae1027a6acf', 'b2'],
      applied: [],
      pending: [revision('a1'), revision('ae1027a6acf', ['a1']), revision('ae1099', ['a1']), revision('b2', ['a1'])],
      version_table: 'alembic_version',
      version_table_schema: null,
    };
    expect(resolveTarget(state, 'b2')).toEqual({ ids: ['b2'] });
    expect(resolveTarget(state, 'ae102')).toEqual({ ids: ['ae1027a6acf'] });
    expect(resolveTarget(state, 'ae10')).toEqual({ problem: 'ambiguous', matches: ['ae1027a6acf', 'ae1099'] });
    // a1 and b2 are too short to be matched by a prefix.
    expect(resolveTarget(state, 'b')).toEqual({ problem: 'unknown', matches: [] });
    expect(resolveTarget(state, 'head')).toEqual({ problem: 'heads', matches: ['ae1027a6acf', 'b2'] });
    expect(resolveTarget(state, 'heads')).toEqual({ ids: ['ae1027a6acf', 'b2'] });
    expect(pendingUpTo(state, ['ae1027a6acf']).map((r) => r.revision)).toEqual(['a1', 'ae1027a6acf']);
  });

  it('applies branches and their merge, and a target on one branch runs only what it needs', async () => {
    const db = await database();
    const { engine, ctx, applied } = await alembic(db.url, { 'alembic-config': fixture('branches'), 'target-revision': 'b2' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toB2 = engine.within(state, 'b2');
    expect(toB2.map((m) => m.id)).toEqual(['a1', 'b2']);
    const atB2 = await engine.apply(ctx, state, toB2);
    expect(applied.map((a) => a.id)).toEqual(['a1', 'b2']);
    expect(atB2.revision).toEqual({ id: 'b2', name: 'left' });
    expect(atB2.pending.map((m) => m.id).sort()).toEqual(['c3', 'e6', 'm4']);
    expect(engine.within(atB2, 'm4').map((m) => m.id).sort()).toEqual(['c3', 'm4']);

    const { engine: all, ctx: ctx2, applied: applied2 } = await alembic(db.url, { 'alembic-config': fixture('branches') });
    await all.prepare();
    const fresh = await all.readState(ctx2, 'apply');
    const rest = all.within(fresh, undefined);
    expect(rest.map((m) => m.id).sort()).toEqual(['c3', 'e6', 'm4']);
    const done = await all.apply(ctx2, fresh, rest);
    expect(applied2.map((a) => a.id)).toEqual(rest.map((m) => m.id));
    expect(done.applied.map((r) => r.id).sort()).toEqual(['a1', 'b2', 'c3', 'e6', 'm4']);
    expect(done.revision).toEqual({ id: 'e6', name: 'top' });
    expect(await tableNames(db)).toEqual(['alembic_version', 't_a', 't_b', 't_c', 't_e']);
  });

  it('applies a1, b2, c3, m4 and e6 of a branched project in one run', async () => {
    const db = await database();
    const { engine, ctx, applied } = await alembic(db.url, { 'alembic-config': fixture('branches') });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    await engine.apply(ctx, state, engine.within(state, undefined));
    expect(applied.map((a) => a.id).sort()).toEqual(['a1', 'b2', 'c3', 'e6', 'm4']);
    expect(applied[0]!.id).toBe('a1');
    expect(applied.slice(-2).map((a) => a.id)).toEqual(['m4', 'e6']);
    expect(await versionRows(db)).toEqual(['e6']);
  });

  it('refuses two heads without target-revision, naming both and alembic merge heads', async () => {
    const db = await database();
    const { engine, ctx } = await alembic(db.url, { 'alembic-config': fixture('two-heads') });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const error = thrown(() => engine.within(state, undefined));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/have 2 heads \((b2 "left", c3 "right"|c3 "right", b2 "left")\)/);
    expect(error.message).toContain('alembic merge heads');
    expect(thrown(() => engine.within(state, 'head')).message).toMatch(/target-revision head is ambiguous/);
    // One head as the target is fine.
    expect(engine.within(state, 'b2').map((m) => m.id)).toEqual(['a1', 'b2']);
    expect(engine.within(state, 'heads').map((m) => m.id).sort()).toEqual(['a1', 'b2', 'c3']);
    expect(await hasVersionTable(db)).toBe(false);
  });

  it('only warns about two heads for status', async () => {
    const db = await database();
    const { engine, ctx, log } = await alembic(db.url, { 'alembic-config': fixture('two-heads'), command: 'status' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'plan');
    expect(engine.within(state, undefined)).toHaveLength(3);
    expect(log.lines).toContainEqual(expect.stringMatching(/^warning: .*2 heads/));
  });

  it('works with an env.py that reads DATABASE_URL itself', async () => {
    const db = await database();
    const { engine, ctx, applied } = await alembic(db.url, { 'alembic-config': fixture('env-reads-database-url') });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    expect(state.pending.map((m) => m.id)).toEqual(['0001', '0002']);
    await engine.apply(ctx, state, engine.within(state, undefined));
    expect(applied.map((a) => a.id)).toEqual(['0001', '0002']);
    expect(await tableNames(db)).toEqual(['alembic_version', 'items']);
  });

  it('names the revision file and line of a failure, with the SQLSTATE, and tells what is really applied', async () => {
    const db = await database();
    const { engine, ctx, applied, revisions } = await alembic(db.url, { 'alembic-config': fixture('failing') });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toRun = engine.within(state, undefined);
    const error = (await rejection(engine.apply(ctx, state, toRun))) as EngineFailed;
    expect(error).toBeInstanceOf(EngineFailed);
    expect(error.message).toBe(
      'Revision test/fixtures/alembic/failing/migrations/versions/0003_read_nope.py failed at line 16: relation "nope_table" does not exist (SQLSTATE 42P01); ' +
        'none of the 3 migration(s) of this run is applied; the database is at revision none (nothing applied) ' +
        '(Alembic ran them in one transaction, which was rolled back). Fix the revision, then run again.',
    );
    expect(error.code).toBe('42P01');
    expect(error.location).toEqual({ file: 'test/fixtures/alembic/failing/migrations/versions/0003_read_nope.py', line: 16 });
    // One transaction (Alembic's default): nothing of this run stays.
    expect(applied).toEqual([]);
    expect(revisions).toEqual([{ id: '', name: '', none: true }]);
    expect(await tableNames(db)).toEqual([]);
  });

  it('reports the revisions a failing run kept when each revision has its own transaction', async () => {
    const db = await database();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'alembic-per-migration-'));
    const fixtureDir = path.join(REPO, 'test/fixtures/alembic/failing');
    const envPy = readFileSync(path.join(fixtureDir, 'migrations/env.py'), 'utf8').replace(
      'connection=connection, target_metadata=target_metadata',
      'connection=connection, target_metadata=target_metadata, transaction_per_migration=True',
    );
    expect(envPy).toContain('transaction_per_migration=True');
    mkdirSync(path.join(dir, 'migrations/versions'), { recursive: true });
    writeFileSync(path.join(dir, 'alembic.ini'), readFileSync(path.join(fixtureDir, 'alembic.ini'), 'utf8'));
    writeFileSync(path.join(dir, 'migrations/env.py'), envPy);
    for (const file of ['0001_create_users.py', '0002_create_posts.py', '0003_read_nope.py']) {
      writeFileSync(path.join(dir, 'migrations/versions', file), readFileSync(path.join(fixtureDir, 'migrations/versions', file), 'utf8'));
    }
    const { engine, ctx, applied } = await alembic(db.url, { 'alembic-config': path.join(dir, 'alembic.ini') });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const error = await rejection(engine.apply(ctx, state, engine.within(state, undefined)));
    expect(error.message).toMatch(/0003_read_nope\.py failed at line 16: .*; 2 of the 3 migration\(s\) of this run are applied \(0001_create_users\.py, 0002_create_posts\.py\); the database is at revision 0002 \(create posts\)\. Fix/);
    expect(applied.map((a) => a.id)).toEqual(['0001', '0002']);
    expect(await versionRows(db)).toEqual(['0002']);
  });

  it('connects with a password that has @ : / % # in it, and alembic run by hand afterwards has nothing to do', async () => {
    const db = await database();
    const role = `alembic_pw_${Math.random().toString(16).slice(2, 8)}`;
    const password = 'p@ss:w/rd%2F#1';
    const admin = new pg.Client({ connectionString: inject('adminUrl') });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await admin.query(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
    } finally {
      await admin.end();
    }
    await db.query(`ALTER SCHEMA public OWNER TO ${role}`);
    const url = new URL(db.url);
    const roleUrl = `postgres://${role}:${encodeURIComponent(password)}@${url.host}${url.pathname}`;
    const { engine, ctx, applied } = await alembic(roleUrl);
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    await engine.apply(ctx, state, engine.within(state, undefined));
    expect(applied).toHaveLength(3);

    // Plain alembic reads sqlalchemy.url from its ini: a copy with the real URL (configparser needs %%).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'alembic-by-hand-'));
    const ini = path.join(dir, 'alembic.ini');
    const sqlalchemyUrl = roleUrl.replace(/^postgres:/, 'postgresql:').replace(/%/g, '%%');
    const example = readFileSync(path.join(REPO, EXAMPLE), 'utf8');
    writeFileSync(
      ini,
      example
        .replace(/^script_location = .*$/m, `script_location = ${path.join(REPO, 'migrations-example/alembic/migrations')}`)
        .replace(/^sqlalchemy\.url = .*$/m, () => `sqlalchemy.url = ${sqlalchemyUrl}`),
    );
    const upgrade = await run(PYTHON, ['-m', 'alembic', '-c', ini, 'upgrade', 'head'], { cwd: dir });
    expect(upgrade.stdout + upgrade.stderr).not.toMatch(/Running upgrade/);
    const current = await run(PYTHON, ['-m', 'alembic', '-c', ini, 'current'], { cwd: dir });
    expect(current.stdout).toMatch(/^0003 \(head\)/m);
  });

  it('says what failed to connect without the URL or the password', async () => {
    const db = await database();
    const url = new URL(db.url);
    const wrong = `postgres://postgres:${encodeURIComponent('wr@ng:pa/ss%')}@${url.host}${url.pathname}`;
    // Our own connection is fine; only Alembic's gets the wrong password.
    const { engine, ctx } = await alembic(db.url, {}, { engineUrl: wrong });
    await engine.prepare();
    const error = await rejection(engine.readState(ctx, 'apply'));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/^Alembic could not read the database's revision: .*password authentication failed/);
    expect(error.message).not.toContain('wr@ng');
    expect(error.message).not.toContain(encodeURIComponent('wr@ng:pa/ss%'));
  });
});

describe('alembic engine: baseline', () => {
  it('stamps up to target-revision without running anything, and never stamps backwards', async () => {
    const db = await database();
    const { engine, ctx, applied, revisions } = await alembic(db.url, { command: 'baseline', 'target-revision': '0002' });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    const toRecord = engine.within(state, '0002');
    expect(toRecord.map((m) => m.id)).toEqual(['0001', '0002']);
    const after = await engine.baseline!(ctx, state, toRecord);
    expect(after.revision).toEqual({ id: '0002', name: 'add users email' });
    expect(after.applied.map((r) => r.id)).toEqual(['0001', '0002']);
    expect(after.pending.map((m) => m.id)).toEqual(['0003']);
    expect(applied).toEqual([]);
    expect(revisions).toEqual([{ id: '0002', name: 'add users email' }]);
    expect(await versionRows(db)).toEqual(['0002']);
    expect(await tableNames(db)).toEqual(['alembic_version']);

    const { engine: back, ctx: ctx2 } = await alembic(db.url, { command: 'baseline', 'target-revision': '0001' });
    await back.prepare();
    const now = await back.readState(ctx2, 'apply');
    const none = back.within(now, '0001');
    expect(none).toEqual([]);
    expect(await back.baseline!(ctx2, now, none)).toBe(now);
    expect(await versionRows(db)).toEqual(['0002']);
  });
});

describe('alembic engine: what cannot run', () => {
  it('refuses a python that does not exist, before anything runs', async () => {
    const db = await database();
    const { engine } = await alembic(db.url, { python: 'venv/bin/python-missing' });
    const error = await rejection(engine.prepare());
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'Input python venv/bin/python-missing is not a program that can be run (missing, a directory, or not executable); set it to the interpreter that has Alembic installed, e.g. .venv/bin/python (create the virtualenv in an earlier step).',
    );
    const { engine: bare } = await alembic(db.url, { python: 'python-nowhere-3' });
    expect((await rejection(bare.prepare())).message).toMatch(/^Input python "python-nowhere-3" is not on PATH; install Python 3 with Alembic/);
  });

  it('refuses a missing alembic.ini, naming the input', async () => {
    const db = await database();
    const { engine } = await alembic(db.url, { 'alembic-config': 'nope/alembic.ini' });
    const error = await rejection(engine.prepare());
    expect(error.message).toBe(
      'Input alembic-config nope/alembic.ini: file not found in the workspace; set alembic-config to your alembic.ini, relative to the workspace (and check out the repository first).',
    );
  });

  it('says how to install alembic when the python lacks it', async () => {
    const db = await database();
    // pyenv's python3 on this machine has no Alembic.
    const { engine, ctx } = await alembic(db.url, { python: 'python3' });
    await engine.prepare();
    const error = await rejection(engine.readState(ctx, 'apply'));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /^alembic is not installed for python3 \(No module named 'alembic'\): pip install alembic psycopg2-binary in that environment, or set input python to the interpreter of your virtualenv/,
    );
    expect(await hasVersionTable(db)).toBe(false);
  });

  it('refuses an alembic older than 1.7', async () => {
    const db = await database();
    const fake = mkdtempSync(path.join(os.tmpdir(), 'old-alembic-'));
    mkdirSync(path.join(fake, 'alembic'));
    writeFileSync(path.join(fake, 'alembic', '__init__.py'), '__version__ = "1.6.5"\n');
    const { engine, ctx } = await alembic(db.url, {}, { env: { ...process.env, PYTHONPATH: fake } });
    await engine.prepare();
    const error = await rejection(engine.readState(ctx, 'apply'));
    expect(error.message).toBe('alembic 1.6.5 (for /usr/bin/python3) is too old; migrate-action needs 1.7 or newer: pip install --upgrade alembic in that environment.');
  });

  it('points at env.py when it fails', async () => {
    const db = await database();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'alembic-bad-env-'));
    mkdirSync(path.join(dir, 'migrations', 'versions'), { recursive: true });
    writeFileSync(path.join(dir, 'alembic.ini'), '[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = driver://u:p@h/d\n');
    writeFileSync(path.join(dir, 'migrations', 'env.py'), '"""env"""\nimport os\nimport myapp.models_that_are_not_there\n');
    const { engine, ctx } = await alembic(db.url, { 'alembic-config': path.join(dir, 'alembic.ini') });
    await engine.prepare();
    const error = (await rejection(engine.readState(ctx, 'apply'))) as UserError;
    expect(error.message).toMatch(/^Alembic could not read the database's revision: ModuleNotFoundError: No module named 'myapp' \(.*\/migrations\/env\.py:3\); check alembic-config/);
    expect(error.location).toEqual({ file: path.join(dir, 'migrations', 'env.py'), line: 3 });
  });

  it('points at a revision file that does not load', async () => {
    const db = await database();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'alembic-bad-revision-'));
    const source = path.join(REPO, 'test/fixtures/alembic/failing');
    mkdirSync(path.join(dir, 'migrations/versions'), { recursive: true });
    writeFileSync(path.join(dir, 'alembic.ini'), readFileSync(path.join(source, 'alembic.ini'), 'utf8'));
    writeFileSync(path.join(dir, 'migrations/env.py'), readFileSync(path.join(source, 'migrations/env.py'), 'utf8'));
    writeFileSync(path.join(dir, 'migrations/versions/0001_broken.py'), '"""broken"""\nrevision = "0001"\ndown_revision = None\n\ndef upgrade(:\n    pass\n');
    const { engine, ctx } = await alembic(db.url, { 'alembic-config': path.join(dir, 'alembic.ini') });
    await engine.prepare();
    const error = (await rejection(engine.readState(ctx, 'apply'))) as UserError;
    expect(error.message).toMatch(/^Alembic could not read the database's revision: SyntaxError: .*\(.*\/0001_broken\.py:5\); fix that file\. Nothing was applied\.$/);
    expect(error.location).toEqual({ file: path.join(dir, 'migrations/versions/0001_broken.py'), line: 5 });
  });

  it('refuses a database at a revision the scripts do not have', async () => {
    const db = await database();
    await db.query("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('9f9f9f9f')");
    const { engine, ctx } = await alembic(db.url);
    await engine.prepare();
    const error = await rejection(engine.readState(ctx, 'apply'));
    expect(error.message).toMatch(/^Alembic: the database is at revision 9f9f9f9f, which the scripts do not have .*this checkout is older than the database/);
  });
});

describe('alembic engine: cancelled', () => {
  /** Abort once Alembic logs that it started `line`; like the frame, also cancel the engine's queries when asked. */
  function abortWhen(log: { lines: string[] }, controller: AbortController, line: RegExp, cancelQueries?: () => Promise<void>) {
    const timer = setInterval(() => {
      if (!log.lines.some((l) => line.test(l))) return;
      clearInterval(timer);
      controller.abort('SIGTERM');
      void cancelQueries?.();
    }, 50);
    cleanups.push(async () => clearInterval(timer));
  }

  it('stops Alembic, which rolls back and says what is applied', async () => {
    const db = await database();
    const controller = new AbortController();
    const { engine, ctx, applied, log, applicationName } = await alembic(db.url, { 'alembic-config': fixture('slow') }, { signal: controller.signal });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    abortWhen(log, controller, /Running upgrade 0001 -> 0002/, async () => {
      await db.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    });
    const started = Date.now();
    const error = await rejection(engine.apply(ctx, state, engine.within(state, undefined)));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(EngineFailed);
    expect(error.message).toBe(
      'Alembic was stopped (stopped by SIGTERM) while it applied 2 revision(s): none of the 2 migration(s) of this run is applied; the database is at revision none (nothing applied).',
    );
    expect(applied).toEqual([]);
    expect(await tableNames(db)).toEqual([]);
  });

  it('reads the version table itself when Alembic had to be killed', async () => {
    const db = await database();
    const controller = new AbortController();
    const { engine, ctx, applied, log } = await alembic(db.url, { 'alembic-config': fixture('slow') }, { signal: controller.signal });
    await engine.prepare();
    const state = await engine.readState(ctx, 'apply');
    // Nobody cancels the server's pg_sleep: Python cannot act on SIGTERM before it returns, and gets SIGKILL.
    abortWhen(log, controller, /Running upgrade 0001 -> 0002/);
    const error = await rejection(engine.apply(ctx, state, engine.within(state, undefined)));
    expect(error.message).toBe(
      'Alembic was stopped (signal SIGKILL) while it applied 2 revision(s): none of the 2 migration(s) of this run is applied; the database is at revision none (nothing applied).',
    );
    expect(applied).toEqual([]);
    expect(await tableNames(db)).toEqual([]);
  }, 60_000);
});
