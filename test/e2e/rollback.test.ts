import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDatabase, localPgDump, schemaDumper, serverMajor, type TestDatabase } from '../support/db.js';
import { DBMATE, ENGINE_IDS, FIVE_STEPS, NODE_PG_MIGRATE, engineProject, type EngineId, type EngineProject, type Step } from '../support/engines.js';
import { migrationsDir } from '../support/platform.js';
import { dumpPrefix, libpqEnv } from '../../src/migrations/backup.js';
import { ARTIFACTS, shippedSuite, startShipped, type ShippedRun } from '../support/shipped.js';

// command: rollback for every engine, through both shipped artifacts (dist/index.js as the runner runs
// it, and the packed CLI through npx), on a real PostgreSQL with the real tools.

const { database, run } = shippedSuite();

/** Backups are asked for explicitly where a test is about them; elsewhere off (the server may be newer than the local pg_dump). */
const NO_BACKUP = { backup: 'false' };

const go = (artifact: (typeof ARTIFACTS)[number], db: Pick<TestDatabase, 'url'>, project: EngineProject, inputs: Record<string, string> = {}) =>
  run(artifact, db, project.dir, { ...project.inputs, ...inputs });

const expectOk = (result: ShippedRun) => expect(result.code, result.log).toBe(0);
const errorOf = (result: ShippedRun) => (result.artifact === 'action' ? result.outputs.error! : result.log);

async function userTables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.t);
}

/** The engine's bookkeeping tables are the same in both databases; everything else is the user's schema. */
async function schemaOf(db: TestDatabase): Promise<string | undefined> {
  const dump = await schemaDumper();
  return dump?.(db);
}

/** A pg_dump for this server, or undefined (the backup tests then skip). */
async function usablePgDump(): Promise<string | undefined> {
  const dump = localPgDump();
  return dump && dump.major >= (await serverMajor()) ? dump.path : undefined;
}

describe.each(ENGINE_IDS)('engine %s', (engine: EngineId) => {
  const none = engine === 'postgres-migrations' ? '0' : '';
  const base = engine === 'postgres-migrations' ? '0' : 'base';

  describe.each(ARTIFACTS)('through the %s', (artifact) => {
    it('apply 5, roll back to 3 (the schema of a database migrated to 3), apply again, -1, then back to nothing', async () => {
      const db = await database();
      const project = engineProject(engine, FIVE_STEPS);
      expectOk(await go(artifact, db, project, NO_BACKUP));
      expect(await project.appliedCount(db)).toBe(5);

      const back = await go(artifact, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': project.id(2) });
      expectOk(back);
      expect(back.outputs).toMatchObject({ status: 'rolled-back', revision: project.id(2), 'previous-revision': project.id(4), 'rolled-back-count': '2', 'pending-count': '2' });
      if (artifact === 'action') {
        expect(JSON.parse(back.outputs['rolled-back']!)).toEqual([project.fileName(4), project.fileName(3)]);
        expect(JSON.parse(back.outputs.pending!)).toEqual([project.fileName(3), project.fileName(4)]);
        expect(back.summary).toContain('### Rolled back');
      }
      expect(await project.appliedCount(db)).toBe(3);

      // The same schema as a database migrated to 3 directly.
      const direct = await freshDatabase();
      try {
        expectOk(await go(artifact, direct, engineProject(engine, FIVE_STEPS.slice(0, 3)), NO_BACKUP));
        const [rolled, straight] = [await schemaOf(db), await schemaOf(direct)];
        if (rolled !== undefined) expect(rolled.split(db.name).join('<db>')).toBe(straight!.split(direct.name).join('<db>'));
      } finally {
        await direct.close();
      }

      // A target at (or above) the applied revision does nothing, and says so.
      const same = await go(artifact, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': project.id(2) });
      expectOk(same);
      expect(same.outputs).toMatchObject({ status: 'up-to-date', revision: project.id(2), 'rolled-back-count': '0' });
      expect(same.log).toMatch(/Nothing to roll back/);
      const above = await go(artifact, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': project.id(4) });
      expectOk(above);
      expect(above.outputs).toMatchObject({ status: 'up-to-date', revision: project.id(2) });

      const again = await go(artifact, db, project, NO_BACKUP);
      expectOk(again);
      expect(again.outputs).toMatchObject({ status: 'applied', revision: project.id(4), 'applied-count': '2' });

      const one = await go(artifact, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': '-1' });
      expectOk(one);
      expect(one.outputs).toMatchObject({ status: 'rolled-back', revision: project.id(3), 'rolled-back-count': '1' });

      const all = await go(artifact, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': base });
      expectOk(all);
      expect(all.outputs).toMatchObject({ status: 'rolled-back', revision: none, 'rolled-back-count': '4', 'pending-count': '5' });
      expect(await project.appliedCount(db)).toBe(0);
      expect((await userTables(db)).filter((t) => !project.tables.includes(t))).toEqual([]);
      expect(await db.query("SELECT 1 FROM pg_type WHERE typname = 'mood'")).toEqual([]);

      // And forward again from nothing.
      expectOk(await go(artifact, db, project, NO_BACKUP));
      expect(await project.appliedCount(db)).toBe(5);
    });

    it('a migration without a way back refuses before anything changes, naming it', async () => {
      const db = await database();
      const steps: Step[] = FIVE_STEPS.map((step, i) => (i === 3 ? { ...step, down: undefined } : step));
      const project = engineProject(engine, steps);
      expectOk(await go(artifact, db, project, NO_BACKUP));
      const before = await schemaOf(db);
      const refused = await go(artifact, db, project, { command: 'rollback', 'target-revision': project.id(1) });
      expect(refused.code).toBe(1);
      expect(refused.outputs).toMatchObject({ status: 'failed', revision: project.id(4), 'rolled-back-count': '0' });
      expect(errorOf(refused)).toMatch(/no way back/);
      expect(errorOf(refused)).toContain(project.fileName(3));
      expect(errorOf(refused)).not.toContain(project.fileName(4) + ' (');
      expect(errorOf(refused)).toMatch(/Nothing was changed/);
      // Refused before the backup too: no dump was taken.
      expect(refused.outputs['backup-path'] ?? '').toBe('');
      expect(await project.appliedCount(db)).toBe(5);
      expect(await schemaOf(db)).toBe(before);
    });

    it('a failing down stops there: what was undone stays undone, and the outputs say where the database is', async () => {
      const db = await database();
      const steps: Step[] = FIVE_STEPS.map((step, i) => (i === 3 ? { ...step, down: 'DROP INDEX posts_user_id;\nSELECT * FROM nope_table;' } : step));
      const project = engineProject(engine, steps);
      expectOk(await go(artifact, db, project, NO_BACKUP));
      const result = await go(artifact, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': base });
      expect(result.code).toBe(1);
      expect(result.outputs).toMatchObject({ status: 'failed', revision: project.id(3), 'previous-revision': project.id(4), 'rolled-back-count': '1' });
      expect(errorOf(result)).toContain(project.fileName(3));
      expect(errorOf(result)).toMatch(/nope_table/);
      expect(result.log).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
      // 5 was undone in its own transaction; 4's was rolled back whole (its index is still there).
      expect(await project.appliedCount(db)).toBe(4);
      expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'posts_user_id'")).toHaveLength(1);
      expect(await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'posts' AND column_name = 'status'")).toEqual([]);
    });
  });

  it('dry-run lists what would be undone with its SQL and what it drops, takes no lock, changes nothing', async () => {
    const db = await database();
    const project = engineProject(engine, FIVE_STEPS);
    expectOk(await go('action', db, project, NO_BACKUP));
    const before = await schemaOf(db);
    // Another run holds the migration lock: a dry run does not wait for it.
    const holder = await db.client('another-run');
    await holder.query("SELECT pg_advisory_lock('-8525285245963000605'::int8)");
    for (const artifact of ARTIFACTS) {
      const dry = await go(artifact, db, project, { command: 'rollback', 'target-revision': project.id(2), 'dry-run': 'true', 'lock-wait-timeout': '0' });
      expectOk(dry);
      expect(dry.outputs).toMatchObject({ status: 'pending', revision: project.id(4), 'rolled-back-count': '0', 'backup-path': '' });
      expect(dry.log).toMatch(/Dry run: nothing was changed and no lock was taken/);
      expect(dry.log).toMatch(/drops type mood, column posts\.status/);
      if (artifact === 'action') {
        expect(dry.summary).toContain('### rollback would undo');
        expect(dry.summary).toContain('DROP INDEX posts_user_id');
        expect(dry.summary).toMatch(/drops index posts_user_id/);
      }
    }
    await holder.query("SELECT pg_advisory_unlock('-8525285245963000605'::int8)");
    expect(await project.appliedCount(db)).toBe(5);
    expect(await schemaOf(db)).toBe(before);
  });

  it('6 concurrent rollbacks (3 through each artifact) undo each migration once', async () => {
    const db = await database();
    const counted = (i: number): Step => ({ name: `counted-${i}`, sql: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i}; INSERT INTO undos VALUES (${i});` });
    const project = engineProject(engine, [{ name: 'undos', sql: 'CREATE TABLE undos (n int);', down: 'DROP TABLE undos;' }, counted(1), counted(2), counted(3)]);
    expectOk(await go('action', db, project, NO_BACKUP));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => go(ARTIFACTS[i % 2]!, db, project, { ...NO_BACKUP, command: 'rollback', 'target-revision': project.id(0) })),
    );
    for (const result of results) expectOk(result);
    expect(results.filter((r) => r.outputs.status === 'rolled-back')).toHaveLength(1);
    expect(results.filter((r) => r.outputs.status === 'up-to-date')).toHaveLength(5);
    expect(await db.query('SELECT n FROM undos ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await project.appliedCount(db)).toBe(1);
  });

  it('backs up by default before a rollback (auto), and the dump restores the state before it', async (context) => {
    const pgDump = await usablePgDump();
    if (!pgDump) return context.skip('needs a pg_dump for this server');
    const db = await database();
    const project = engineProject(engine, FIVE_STEPS);
    const backups = migrationsDir({});
    const inputs = { 'backup-dir': backups, 'pg-dump-path': pgDump };
    const applied = await go('action', db, project, inputs);
    expectOk(applied);
    // auto: apply takes none.
    expect(applied.outputs['backup-path']).toBe('');
    await db.query("INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com')");
    const before = await schemaOf(db);
    const back = await go('action', db, project, { ...inputs, command: 'rollback', 'target-revision': project.id(0) });
    expectOk(back);
    const file = back.outputs['backup-path']!;
    expect(path.dirname(file)).toBe(backups);
    expect(path.basename(file)).toMatch(new RegExp(`^${db.name}-[0-9a-f]{8}-r${project.id(4).replace(/-/g, '_')}-\\d{8}T\\d{6}Z\\.dump$`));
    // The restore command is next to what was undone.
    expect(back.summary.indexOf('### Backup')).toBeGreaterThan(back.summary.indexOf('### Rolled back'));
    expect(back.summary).toContain(`pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" '${file}'`);
    // Back to 1: the table stays, the column 2 added is gone (with its data: the dump has it).
    expect(await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")).toEqual([]);

    const restored = await freshDatabase();
    try {
      execFileSync(path.join(path.dirname(pgDump), 'pg_restore'), ['--no-owner', '--dbname', restored.name, file], { env: libpqEnv(restored.url) });
      expect((await schemaOf(restored))!.split(restored.name).join('<db>')).toBe(before!.split(db.name).join('<db>'));
      expect(await restored.query('SELECT name, email FROM users')).toEqual([{ name: 'ada', email: 'ada@example.com' }]);
      expect(await project.appliedCount(restored)).toBe(5);
    } finally {
      await restored.close();
    }
    expect(readdirSync(backups)).toHaveLength(1);
  });
});

describe('postgres-migrations down files', () => {
  const native = (files: Record<string, string>) => ({ dir: migrationsDir(files) });
  const goNative = (artifact: (typeof ARTIFACTS)[number], db: TestDatabase, dir: string, inputs: Record<string, string> = {}) =>
    run(artifact, db, dir, { ...NO_BACKUP, ...inputs });

  it.each(['3_add-email.down.sql', '3_add-email.undo.sql', '3_add-email.DOWN.SQL'])(
    'a down file beside the up files (%s) is refused with the reason, for apply and rollback, before anything runs',
    async (name) => {
      const db = await database();
      const { dir } = native({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);', '3_add-email.sql': 'ALTER TABLE a ADD COLUMN email text;', [name]: 'ALTER TABLE a DROP COLUMN email;' });
      for (const command of ['apply', 'rollback']) {
        const result = await goNative('action', db, dir, { command, 'target-revision': command === 'rollback' ? '1' : '' });
        expect(result.code).toBe(1);
        expect(result.outputs.error).toContain(`${name} looks like a down file`);
        expect(result.outputs.error).toContain('non-consecutive migration ID');
        expect(result.outputs.error).toContain(`${dir}/down/3_add-email.`);
        expect(result.log).toMatch(new RegExp(`::error [^:]*file=${dir.replace(/[/.]/g, '\\$&')}/${name.replace(/\./g, '\\.')}`));
      }
      expect(await userTables(db)).toEqual([]);
    },
  );

  it("postgres-migrations' own migrate() accepts a rolled-back database and applies the undone files again", async () => {
    const db = await database();
    const { dir } = native({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);',
      '3_c.sql': 'CREATE TABLE c (id int);',
      'down/2_b.sql': 'DROP TABLE b;',
      'down/3_c.sql': 'DROP TABLE c;',
    });
    expectOk(await goNative('cli', db, dir));
    expectOk(await goNative('cli', db, dir, { command: 'rollback', 'target-revision': '1' }));
    expect(await userTables(db)).toEqual(['a', 'migrations']);
    const { migrate } = await import('postgres-migrations');
    const client = await db.client();
    const ran = await migrate({ client }, dir);
    expect(ran.map((m) => m.fileName)).toEqual(['2_b.sql', '3_c.sql']);
    expect(await userTables(db)).toEqual(['a', 'b', 'c', 'migrations']);
    // And we agree with it afterwards: nothing to do.
    const after = await goNative('action', db, dir);
    expectOk(after);
    expect(after.outputs).toMatchObject({ status: 'up-to-date', revision: '3' });
  });

  it('a down file marked disable-transaction runs outside one (DROP INDEX CONCURRENTLY); a .js down file gives its SQL', async () => {
    const db = await database();
    const { dir } = native({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_index.sql': '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);',
      '3_seed.js': 'module.exports.generateSql = () => "INSERT INTO a VALUES (1);";\n',
      'package.json': '{ "type": "commonjs" }',
      'down/2_index.sql': '-- postgres-migrations disable-transaction\nDROP INDEX CONCURRENTLY a_id;',
      'down/3_seed.js': 'module.exports.generateSql = () => "DELETE FROM a WHERE id = 1;";\n',
    });
    expectOk(await goNative('action', db, dir));
    const back = await goNative('action', db, dir, { command: 'rollback', 'target-revision': '1' });
    expectOk(back);
    expect(back.outputs).toMatchObject({ status: 'rolled-back', revision: '1', 'rolled-back-count': '2' });
    expect(back.summary).toMatch(/\| 2 \| `[^`]*down\/2_index\.sql` \| no \(disable-transaction\) \|/);
    expect(await db.query('SELECT count(*)::int AS n FROM a')).toEqual([{ n: 0 }]);
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'a_id'")).toEqual([]);
  });

  it('a transactional down file that ends its transaction is refused before anything changes', async () => {
    const db = await database();
    const { dir } = native({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);',
      'down/1_a.sql': 'DROP TABLE a;',
      'down/2_b.sql': 'DROP TABLE b;\nCOMMIT;',
    });
    expectOk(await goNative('action', db, dir));
    const refused = await goNative('action', db, dir, { command: 'rollback', 'target-revision': '0' });
    expect(refused.code).toBe(1);
    expect(refused.outputs.error).toMatch(/Down file .*down\/2_b\.sql ends the transaction it runs in: "COMMIT" at line 2/);
    expect(refused.outputs.error).toMatch(/Nothing was changed/);
    expect(await userTables(db)).toEqual(['a', 'b', 'migrations']);
  });

  it('names what it cannot reach: -N beyond what is applied, an id with no file; an empty down file is no way back', async () => {
    const db = await database();
    const { dir } = native({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);', 'down/2_b.sql': '-- nothing here\n', 'down/1_a.sql': 'DROP TABLE a;' });
    expectOk(await goNative('action', db, dir));
    const far = await goNative('action', db, dir, { command: 'rollback', 'target-revision': '-3' });
    expect(far.outputs.error).toBe('Input target-revision -3 would undo 3 migration(s), but only 2 are applied; use base (or 0) to undo every applied migration.');
    const unknown = await goNative('action', db, dir, { command: 'rollback', 'target-revision': '7' });
    expect(unknown.outputs.error).toMatch(/^Input target-revision 7 is beyond the last migration file|^Input target-revision 7 is not a migration/);
    const empty = await goNative('action', db, dir, { command: 'rollback', 'target-revision': '1' });
    expect(empty.outputs.error).toMatch(/down\/2_b\.sql has no statement/);
    const missing = await goNative('cli', db, dir, { command: 'rollback' });
    expect(missing.code).toBe(1);
    expect(missing.log).toMatch(/Input target-revision is required for command rollback/);
    for (const result of [far, unknown, empty]) expect(result.code).toBe(1);
    expect(await userTables(db)).toEqual(['a', 'b', 'migrations']);
  });
});

describe('backup-retention', () => {
  it('removes older dumps of the same database that migrate-action named, and nothing else', async (context) => {
    const pgDump = await usablePgDump();
    if (!pgDump) return context.skip('needs a pg_dump for this server');
    const db = await database();
    const project = engineProject('postgres-migrations', FIVE_STEPS);
    const url = new URL(db.url);
    const ours = dumpPrefix({ host: url.hostname, port: Number(url.port || 5432), database: db.name });
    const elsewhere = dumpPrefix({ host: 'another-server', port: Number(url.port || 5432), database: db.name });
    const backups = migrationsDir({
      [`${ours}-r3-20200101T000000Z.dump`]: 'old',
      [`${ours}-r4-20200102T000000Z.sql`]: 'old',
      [`${ours}-r1-20200101T000000Z.dump.bak`]: 'not ours',
      [`${ours}-r1-other-20200101T000000Z.dump`]: 'another database',
      [`${elsewhere}-r1-20200101T000000Z.dump`]: 'the same database name on another server',
      [`${db.name}-r1-20200101T000000Z.dump`]: 'a name without the tag (of an older version)',
      'notes.txt': 'keep',
    });
    const untouched = [
      `${ours}-r1-20200101T000000Z.dump.bak`,
      `${ours}-r1-other-20200101T000000Z.dump`,
      `${elsewhere}-r1-20200101T000000Z.dump`,
      `${db.name}-r1-20200101T000000Z.dump`,
      'notes.txt',
    ];
    expectOk(await go('action', db, project, NO_BACKUP));
    const back = await go('action', db, project, { command: 'rollback', 'target-revision': '-1', 'backup-dir': backups, 'pg-dump-path': pgDump, 'backup-retention': '7d' });
    expectOk(back);
    const taken = path.basename(back.outputs['backup-path']!);
    expect(taken.startsWith(`${ours}-r`)).toBe(true);
    expect(readdirSync(backups).sort()).toEqual([taken, ...untouched].sort());
    expect(back.log).toMatch(/backup-retention 7d: removed 2 older dump\(s\)/);
    expect(back.summary).toContain('Older dumps removed (backup-retention)');
    // A count keeps the newest: the one just taken and the one before.
    const again = await go('cli', db, project, { command: 'rollback', 'target-revision': '-1', 'backup-dir': backups, 'pg-dump-path': pgDump, 'backup-retention': '2' });
    expectOk(again);
    const dumps = () => readdirSync(backups).filter((f) => f.startsWith(`${ours}-r`) && f.endsWith('.dump') && !f.includes('-other-'));
    expect(dumps()).toHaveLength(2);
    const third = await go('cli', db, project, { command: 'rollback', 'target-revision': '-1', 'backup-dir': backups, 'pg-dump-path': pgDump, 'backup-retention': '2' });
    expectOk(third);
    expect(dumps()).toHaveLength(2);
    expect(dumps()).not.toContain(taken);
    expect(readdirSync(backups)).toEqual(expect.arrayContaining(untouched));
  });
});

describe.each(ENGINE_IDS)('engine %s: a cancelled rollback', (engine) => {
  it('on SIGTERM mid-undo: stops it and its server-side query, keeps what was undone before, frees the lock, reports', async () => {
    const db = await database();
    const steps: Step[] = FIVE_STEPS.map((step, i) => (i === 3 ? { ...step, down: `SELECT pg_sleep(60);\n${step.down!}` } : step));
    const project = engineProject(engine, steps);
    expectOk(await go('action', db, project, NO_BACKUP));
    const started = startShipped('action', { 'database-url': db.url, 'migrations-dir': project.dir, ...project.inputs, ...NO_BACKUP, command: 'rollback', 'target-revision': 'base' });
    const sleeping = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid() AND state = 'active'"))[0]!.n;
    const deadline = Date.now() + 30_000;
    while ((await sleeping()) === 0) {
      if (Date.now() > deadline) throw new Error('the slow down migration never ran');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    started.child.kill('SIGTERM');
    const result = await started.done;
    expect(result.code).not.toBe(0);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toMatch(/cancelled|stopped/i);
    const ended = Date.now() + 10_000;
    while ((await sleeping()) > 0) {
      if (Date.now() > ended) throw new Error("the down migration's query was not cancelled");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // 5 was undone before; 4's undo was rolled back: the database is at 4, and says so.
    expect(await project.appliedCount(db)).toBe(4);
    expect(result.outputs).toMatchObject({ revision: project.id(3), 'rolled-back-count': '1' });
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'posts_user_id'")).toHaveLength(1);
    expect(await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).toEqual([]);
  });
});

describe('what each tool really does, found before anything changes', () => {
  it('dbmate: versions of different widths are undone in the order dbmate takes them (file names as text)', async () => {
    const db = await database();
    const dir = migrationsDir({
      '9_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
      '10_b.sql': '-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n',
    });
    const inputs = { engine: 'dbmate', 'engine-path': DBMATE, ...NO_BACKUP };
    expectOk(await run('action', db, dir, inputs));
    const dry = await run('action', db, dir, { ...inputs, command: 'rollback', 'target-revision': '-1', 'dry-run': 'true' });
    expect(dry.log).toMatch(/undoes 1 migration\(s\), the latest first: 9_a\.sql/);
    const back = await run('action', db, dir, { ...inputs, command: 'rollback', 'target-revision': '-1' });
    expectOk(back);
    expect(back.outputs).toMatchObject({ status: 'rolled-back', 'rolled-back': '["9_a.sql"]', revision: '10', 'pending-count': '1' });
    expect(await userTables(db)).toEqual(['b', 'schema_migrations']);
  });

  it('node-pg-migrate: a JavaScript migration it cannot undo is found by its own dry run, before anything is undone', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1000_a.js': 'export const up = (pgm) => { pgm.createTable("a", { id: "id" }); };\n',
      '1001_b.js': 'export const up = (pgm) => { pgm.sql("CREATE TABLE b (id int)"); };\n',
      '1002_c.sql': '-- Up Migration\nCREATE TABLE c (id int);\n-- Down Migration\nDROP TABLE c;\n',
      "1003_d.js": "export const up = (pgm) => { pgm.createTable('d', { id: 'id' }); };\nexport const down = (pgm) => { pgm.dropTable('d'); };\n",
    });
    const inputs = { engine: 'node-pg-migrate', 'engine-path': NODE_PG_MIGRATE, ...NO_BACKUP };
    expectOk(await run('action', db, dir, inputs));
    const refused = await run('action', db, dir, { ...inputs, command: 'rollback', 'target-revision': 'base' });
    expect(refused.code).toBe(1);
    // 1001_b's up is raw SQL, which node-pg-migrate cannot reverse; 1000_a's createTable it can.
    expect(refused.outputs.error).toMatch(/no way back: .*1001_b\.js \(node-pg-migrate cannot undo it: .+\)/);
    expect(refused.outputs.error).toMatch(/Nothing was changed/);
    expect(await userTables(db)).toEqual(['a', 'b', 'c', 'd', 'pgmigrations']);
    // Down to 1001_b, everything above it can be undone: the JavaScript down runs.
    const back = await run('action', db, dir, { ...inputs, command: 'rollback', 'target-revision': '1001_b' });
    expectOk(back);
    expect(back.outputs).toMatchObject({ status: 'rolled-back', 'rolled-back': '["1003_d.js","1002_c.sql"]', revision: '1001_b' });
    expect(await userTables(db)).toEqual(['a', 'b', 'pgmigrations']);
  });

  it('postgres-migrations: a down that is not a directory is named as such', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);', down: 'not a directory' });
    expectOk(await run('action', db, dir, NO_BACKUP));
    const refused = await run('cli', db, dir, { ...NO_BACKUP, command: 'rollback', 'target-revision': '0' });
    expect(refused.code).toBe(1);
    expect(refused.log).toMatch(/\/down is not a directory/);
    expect(refused.log).toMatch(/rollback: failed; revision 1 -> 1, 0 rolled back, 0 pending\./);
    expect(await userTables(db)).toEqual(['a', 'migrations']);
  });

  it('an invalid input of a rollback is reported as a rollback', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const result = await run('action', db, dir, { command: 'rollback' });
    expect(result.code).toBe(1);
    expect(result.log).toContain('rollback: failed before the database was read; nothing rolled back.');
    expect(result.summary).toContain('## ❌ Rollback failed');
  });
});
