import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { localPgDump, roleOwning, serverMajor, type TestDatabase } from '../support/db.js';
import { ENGINE_IDS, THREE_STEPS, engineProject, type EngineId, type EngineProject } from '../support/engines.js';
import { findLeaks } from '../support/leaks.js';
import { migrationsDir } from '../support/platform.js';
import { DOTENV_KEYS } from '../../src/cli.js';
import { ARTIFACTS, shippedSuite, startShipped, type ShippedRun } from '../support/shipped.js';

// The contract every engine keeps, through both shipped artifacts (dist/index.js as the runner runs it,
// and the packed CLI through npx), on a real PostgreSQL with the real tools: the same frame (wait, lock,
// backup, outputs, exit codes) whatever runs the migrations.

const { database, run, start } = shippedSuite();

const go = (artifact: (typeof ARTIFACTS)[number], db: Pick<TestDatabase, 'url'>, project: EngineProject, inputs: Record<string, string> = {}) =>
  run(artifact, db, project.dir, { ...project.inputs, ...inputs });

/** Tables in the public schema, without the engines' bookkeeping ones. */
async function userTables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.t);
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const expectOk = (result: ShippedRun) => expect(result.code, result.log).toBe(0);

/** The CLI's dotenv report has the scalar outputs only (lists and the error are in its log). */
const REPORTED_BY_CLI = new Set(DOTENV_KEYS.map(([, output]) => output as string));
function expectOutputs(result: ShippedRun, expected: Record<string, string>): void {
  const wanted = result.artifact === 'cli' ? Object.fromEntries(Object.entries(expected).filter(([name]) => REPORTED_BY_CLI.has(name))) : expected;
  expect(result.outputs, result.log).toMatchObject(wanted);
}
/** A list output: from the outputs (the Action) or from the log line that lists it (the CLI). */
function listOutput(result: ShippedRun, name: 'applied' | 'pending'): string[] | undefined {
  return result.artifact === 'action' ? (JSON.parse(result.outputs[name]!) as string[]) : undefined;
}
/** The error: the output (the Action) or the log (the CLI prints it on stderr). */
const errorOf = (result: ShippedRun) => (result.artifact === 'action' ? result.outputs.error! : result.log);

describe.each(ENGINE_IDS)('engine %s', (engine: EngineId) => {
  const none = engine === 'postgres-migrations' ? '0' : '';

  describe.each(ARTIFACTS)('through the %s', (artifact) => {
    it('applies a fresh database, sets the outputs, then finds nothing to do', async () => {
      const db = await database();
      const project = engineProject(engine, THREE_STEPS);
      const first = await go(artifact, db, project);
      expectOk(first);
      expectOutputs(first, {
        status: 'applied',
        revision: project.id(2),
        'previous-revision': none,
        'applied-count': '3',
        'pending-count': '0',
        pending: '[]',
      });
      if (artifact === 'action') expect(listOutput(first, 'applied')).toEqual([0, 1, 2].map((i) => project.fileName(i)));
      expect(await userTables(db)).toEqual(expect.arrayContaining(['posts', 'users']));
      expect(await project.appliedCount(db)).toBe(3);

      const again = await go(artifact, db, project);
      expectOk(again);
      expectOutputs(again, { status: 'up-to-date', revision: project.id(2), 'previous-revision': project.id(2), 'applied-count': '0' });
    });

    it('plan changes nothing on a fresh database and lists the pending migrations; check gates; status exits 0', async () => {
      const db = await database();
      const project = engineProject(engine, THREE_STEPS);
      const plan = await go(artifact, db, project, { command: 'plan' });
      expectOk(plan);
      expectOutputs(plan, { status: 'pending', revision: none, 'pending-count': '3' });
      if (artifact === 'action') expect(listOutput(plan, 'pending')).toEqual([0, 1, 2].map((i) => project.fileName(i)));
      if (artifact === 'action') {
        // The SQL of each pending migration, where the engine can give it without running it.
        expect(plan.summary).toContain('CREATE TABLE posts');
      }
      expect(await userTables(db)).toEqual([]);

      const check = await go(artifact, db, project, { command: 'check' });
      expect(check.code).toBe(1);
      expectOutputs(check, { status: 'pending', 'pending-count': '3' });
      expect(errorOf(check)).toMatch(/3 migration\(s\) pending/);

      const status = await go(artifact, db, project, { command: 'status' });
      expectOk(status);
      expectOutputs(status, { status: 'pending', 'pending-count': '3', revision: none });
      expect(await userTables(db)).toEqual([]);

      if (engine === 'dbmate') {
        // dbmate applies every pending file: a target short of the last one is refused before anything runs.
        const refused = await go(artifact, db, project, { 'target-revision': project.id(0) });
        expect(refused.code).toBe(1);
        expect(errorOf(refused)).toMatch(/dbmate .*target-revision/);
        expect(await userTables(db)).toEqual([]);
      } else {
        expectOk(await go(artifact, db, project, { 'target-revision': project.id(0) }));
        const partial = await go(artifact, db, project, { command: 'status' });
        expectOk(partial);
        expectOutputs(partial, { status: 'pending', revision: project.id(0), 'pending-count': '2' });
        if (artifact === 'action') expect(partial.summary).toContain(project.fileName(0));
      }

      expectOk(await go(artifact, db, project));
      const clean = await go(artifact, db, project, { command: 'check' });
      expectOk(clean);
      expectOutputs(clean, { status: 'up-to-date', 'pending-count': '0', revision: project.id(2) });

      const done = await go(artifact, db, project, { command: 'status' });
      expectOk(done);
      expectOutputs(done, { status: 'up-to-date', 'pending-count': '0', revision: project.id(2) });
      if (artifact === 'action') {
        expect(done.summary).toContain('### Applied migrations');
        for (const i of [0, 1, 2]) expect(done.summary).toContain(project.fileName(i));
        // When each was applied, where the engine records it.
        if (engine === 'postgres-migrations' || engine === 'node-pg-migrate') expect(done.summary).toMatch(/\| 20\d\d-\d\d-\d\dT/);
        else expect(done.summary).toContain(`not recorded by the engine`);
      }
    });

    it('a failing migration exits 1 with outputs that tell the truth and an error naming the file', async () => {
      const db = await database();
      const project = engineProject(engine, [THREE_STEPS[0]!, THREE_STEPS[1]!, { name: 'broken', sql: 'CREATE TABLE fine (id int);\nSELECT *\n  FROM nope_table;' }]);
      const result = await go(artifact, db, project);
      expect(result.code).toBe(1);
      expect(result.outputs.status).toBe('failed');
      expect(errorOf(result)).toContain(project.fileName(2));
      expect(errorOf(result)).toMatch(/nope_table/);
      // An annotation on the file, at the line the failure is on: the line of `FROM nope_table` in a SQL
      // file (PostgreSQL's position), the line of the op.execute() call in an Alembic revision (the traceback).
      if (artifact === 'action') {
        const text = readFileSync(path.join(engine === 'alembic' ? path.join(project.dir, 'versions') : project.dir, project.fileName(2)), 'utf8');
        const line = text.split('\n').findIndex((l) => l.includes(engine === 'alembic' ? 'op.execute(' : 'FROM nope_table')) + 1;
        expect(result.log).toMatch(new RegExp(`::error [^:]*file=[^,]*${project.fileName(2).replace(/\./g, '\\.')},line=${line}\\b`));
      }
      // What the database really has: engines that run the whole upgrade in one transaction keep nothing.
      const really = await project.appliedCount(db);
      expect(result.outputs['applied-count']).toBe(String(really));
      expect(result.outputs.revision).toBe(really === 0 ? none : project.id(really - 1));
      expect(result.outputs['pending-count']).toBe(String(3 - really));
      expect(await userTables(db)).not.toContain('fine');
      expect(result.log).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
    });
  });

  it("settings reach the tool's connections; its sessions carry a name of their own; what it prints cannot command the runner", async () => {
    const db = await database();
    const project = engineProject(engine, [
      {
        name: 'seen',
        sql:
          "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('search_path') AS search_path, " +
          "current_setting('work_mem') AS work_mem, " +
          "current_setting('application_name') AS application_name;\n" +
          "DO $$ BEGIN RAISE NOTICE '::set-output name=status::hijacked'; END $$;",
      },
    ]);
    // The URL's own options (a provider's endpoint id, say) stay, and the settings still reach the tool.
    const result = await go('action', { url: `${db.url}?options=-c%20work_mem%3D5MB` }, project, { settings: 'lock_timeout=4s\nsearch_path=public, pg_catalog' });
    expectOk(result);
    expect(result.outputs.status).toBe('applied');
    const [seen] = await db.query<{ lock_timeout: string; search_path: string; work_mem: string; application_name: string }>('SELECT * FROM seen');
    expect(seen).toMatchObject({ lock_timeout: '4s', work_mem: '5MB' });
    // node-pg-migrate sets search_path itself (its schema option, public by default).
    expect(seen!.search_path).toBe(engine === 'node-pg-migrate' ? 'public' : 'public, pg_catalog');
    expect(seen!.application_name).toMatch(engine === 'postgres-migrations' ? /^migrate-action$/ : new RegExp(`^migrate-action-${engine}-[0-9a-f]{8}$`));
    expect(result.log).not.toMatch(/^::set-output name=status::hijacked/m);
  });

  it('6 concurrent runs (3 through each artifact) apply each migration exactly once', async () => {
    const db = await database();
    const project = engineProject(engine, [
      ...THREE_STEPS,
      { name: 'counter', sql: 'CREATE TABLE IF NOT EXISTS runs (n int);\nINSERT INTO runs VALUES (1);' },
    ]);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => go(ARTIFACTS[i % 2]!, db, project)));
    for (const result of results) expectOk(result);
    expect(results.filter((r) => r.outputs.status === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.outputs.status === 'up-to-date')).toHaveLength(5);
    expect(await db.query('SELECT count(*)::int AS n FROM runs')).toEqual([{ n: 1 }]);
    expect(await project.appliedCount(db)).toBe(4);
  });

  it('backs up only when something is pending', async (context) => {
    const dump = localPgDump();
    if (!dump || dump.major < (await serverMajor())) return context.skip('needs a pg_dump for this server');
    const db = await database();
    const project = engineProject(engine, THREE_STEPS);
    const backups = migrationsDir({});
    const inputs = { backup: 'true', 'backup-dir': backups, 'pg-dump-path': dump.path };
    const first = await go('action', db, project, inputs);
    expectOk(first);
    expect(first.outputs['backup-path']).toMatch(new RegExp(`^${backups}/.*-r${none || '0'}-\\d{8}T\\d{6}Z\\.dump$`));
    const second = await go('cli', db, project, inputs);
    expectOk(second);
    expect(second.outputs['backup-path']).toBe('');
    expect(readdirSync(backups)).toHaveLength(1);
  });

  it.each(ARTIFACTS)('a password with @, colon, slash, percent and hash is in no log, output, summary or dotenv, through the %s', async (artifact) => {
    const db = await database();
    const password = `p@ss:w/rd%23#x ${Math.random().toString(36).slice(2, 8)}`;
    const { url, drop } = await roleOwning(db, password);
    onTestFinished(drop);
    const project = engineProject(engine, THREE_STEPS);
    const result = await go(artifact, { url }, project);
    expectOk(result);
    const everything = [result.log, result.summary, JSON.stringify(result.outputs)].join('\n');
    expect(findLeaks(everything, password)).toEqual([]);
    // A failing run prints the server's and the tool's words: still nothing of the password.
    // A second database: a failing run must not meet the first one's applied versions.
    const other = await roleOwning(await database(), password);
    onTestFinished(other.drop);
    const bad = await go(artifact, { url: other.url }, engineProject(engine, [{ name: 'bad', sql: 'SELECT * FROM nope_table;' }]));
    expect(bad.code).toBe(1);
    expect(findLeaks([bad.log, bad.summary, JSON.stringify(bad.outputs)].join('\n'), password)).toEqual([]);
  });

  it('a password with an @ left unencoded connects the tool as it connects us, and no part of it shows', async () => {
    const db = await database();
    const tail = `Rt${Math.random().toString(36).slice(2, 8)}`;
    const { url } = await roleOwning(db, `Xk9@${tail}`);
    // As typed by hand: the @ in the password not percent-encoded (we split at the last @, as libpq does).
    const raw = url.replace('%40', '@');
    const result = await go('action', { url: raw }, engineProject(engine, THREE_STEPS));
    expectOk(result);
    const bad = await go('action', { url: raw.replace(/\/[^/?]+(\?|$)/, '/no_such_db$1') }, engineProject(engine, THREE_STEPS));
    expect(bad.code).toBe(1);
    for (const run of [result, bad]) {
      const shown = [run.log, run.summary, JSON.stringify(run.outputs)].join('\n').split('\n').filter((line) => !line.startsWith('::add-mask::'));
      expect(shown.filter((line) => line.includes(tail))).toEqual([]);
    }
  });

  it.each(ARTIFACTS)('on SIGTERM mid-migration: stops the engine and its server-side query, frees the lock, reports, through the %s', async (artifact) => {
    const db = await database();
    const project = engineProject(engine, [THREE_STEPS[0]!, { name: 'slow', sql: 'SELECT pg_sleep(60);' }, THREE_STEPS[2]!]);
    const started = start(artifact, db, project.dir, project.inputs);
    const sleeping = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid() AND state = 'active'"))[0]!.n;
    await until(async () => (await sleeping()) > 0, 'the slow migration to run');
    const sent = Date.now();
    started.child.kill('SIGTERM');
    const result = await started.done;
    expect(Date.now() - sent).toBeLessThan(20_000);
    expect(result.code).not.toBe(0);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toMatch(/cancelled|stopped/i);
    await until(async () => (await sleeping()) === 0, 'the engine\'s query to be cancelled', 10_000);
    expect(await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).toEqual([]);
    expect(await userTables(db)).not.toContain('posts');
    const really = await project.appliedCount(db);
    expect(really).toBeLessThan(2);
    expect(result.outputs['applied-count']).toBe(String(really));
  });
});

describe('lock-key', () => {
  it('shares an application\'s own key: held by the application, the run waits for it; the default key is another', async () => {
    const db = await database();
    const holder = await db.client('the-app');
    await holder.query('SELECT pg_advisory_lock(123456)');
    const project = engineProject('alembic', THREE_STEPS);
    const blocked = await go('action', db, project, { 'lock-key': '123456', 'lock-wait-timeout': '0' });
    expect(blocked.code).toBe(1);
    expect(blocked.outputs.error).toMatch(/^Another run holds the migration lock \(pid \d+, role "[^"]+", application_name "the-app"/);
    expect(await userTables(db)).toEqual([]);
    // The default key is postgres-migrations' own, not the application's: the run goes ahead.
    const free = await go('cli', db, project, { 'lock-wait-timeout': '0' });
    expectOk(free);
    await holder.query('SELECT pg_advisory_unlock(123456)');
  });

  it('is the key the run holds while the engine runs', async () => {
    const db = await database();
    const project = engineProject('dbmate', [{ name: 'slow', sql: 'SELECT pg_sleep(2);' }]);
    const started = start('action', db, project.dir, { ...project.inputs, 'lock-key': '-42' });
    let seen: { key: string; pid: number }[] = [];
    await until(async () => {
      seen = await db.query<{ key: string; pid: number }>(
        "SELECT ((classid::int8 << 32) | objid::int8)::text AS key, pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
      return seen.length > 0;
    }, 'the lock to be taken');
    expect(seen.map((l) => l.key)).toEqual(['-42']);
    expectOk(await started.done);
  });
});

describe('what an engine cannot do', () => {
  it.each(ARTIFACTS)('dbmate baseline is refused with its reason before the database is touched, through the %s', async (artifact) => {
    const db = await database();
    const project = engineProject('dbmate', THREE_STEPS);
    const result = await go(artifact, db, project, { command: 'baseline', 'target-revision': project.id(1) });
    expect(result.code).toBe(1);
    expect(errorOf(result)).toMatch(/^.*Command baseline is not available for engine dbmate: dbmate has no command that records migrations without running them/m);
    expect(result.log).not.toMatch(/Wait for the database/);
    expect(await project.appliedCount(db)).toBe(0);
  });
});

describe.each(ENGINE_IDS.filter((engine) => engine !== 'postgres-migrations'))('engine %s when our process is killed outright', (engine) => {
  it('the tool ends with us instead of migrating on without the lock, and nothing it had open commits', async () => {
    const db = await database();
    const project = engineProject(engine, [{ name: 'first-then-slow', sql: 'CREATE TABLE first_table (id int);\nSELECT pg_sleep(3);' }]);
    const started = startShipped('action', { 'database-url': db.url, 'migrations-dir': project.dir, ...project.inputs });
    const sleeping = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()"))[0]!.n;
    await until(async () => (await sleeping()) > 0, 'the slow migration to run');
    // Out of memory, or killed by a supervisor: no handler of ours runs, and the lock ends with our connection.
    started.child.kill('SIGKILL');
    await started.done;
    // The tool's own process (its command line names the project) is gone at once.
    const tools = () => spawnSync('pgrep', ['-f', engine === 'alembic' ? project.inputs['alembic-config']! : project.dir], { encoding: 'utf8' }).stdout.trim();
    await until(() => tools() === '', 'the tool to end', 5_000);
    // The server finishes the sleep, finds its client gone, and rolls the transaction back.
    await until(async () => (await sleeping()) === 0, 'the sleep to end', 10_000);
    expect(await db.query("SELECT to_regclass('first_table') AS t")).toEqual([{ t: null }]);
    expect(await project.appliedCount(db)).toBe(0);
  });
});

describe('the lock connection lost while a tool runs', () => {
  it('stops the tool: nothing more is applied without the lock, and the outputs say what is', async () => {
    const db = await database();
    const project = engineProject('dbmate', [
      { name: 'slow', sql: 'SELECT pg_sleep(2);' },
      { name: 'after-loss', sql: 'CREATE TABLE after_loss (id int);' },
    ]);
    const started = startShipped('action', { 'database-url': db.url, 'migrations-dir': project.dir, ...project.inputs });
    await until(
      async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()")).length > 0,
      'the slow migration to run',
    );
    // The session that holds our lock ends (a failover, a network device, an administrator).
    await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-action'");
    const result = await started.done;
    expect(result.code).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await db.query("SELECT to_regclass('after_loss') AS t")).toEqual([{ t: null }]);
    expect(result.outputs.error).toMatch(/lock/);
    expect(result.outputs['applied-count']).toBe(String(await project.appliedCount(db)));
  });
});

