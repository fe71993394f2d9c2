import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/action.js';
import { schemaDumper, serverMajor, type TestDatabase } from '../support/db.js';
import { DBMATE, NODE_PG_MIGRATE, PYTHON } from '../support/engines.js';
import { ARTIFACTS, shippedSuite, type ShippedRun } from '../support/shipped.js';

/**
 * Real migration directories of the other engines (test/corpus/<engine>-<set>/migrations, see
 * test/corpus/README.md), each applied through both shipped artifacts and by the tool alone: the run applies
 * every migration, the tool then finds nothing to do, and the tool alone builds the same schema. An Alembic
 * set is <set>/alembic.ini with script_location <set>/migrations (our env.py, the repository's versions/).
 */
const CORPUS = path.join(ROOT, 'test', 'corpus');

type Engine = 'dbmate' | 'node-pg-migrate' | 'alembic';
const ENGINES: readonly Engine[] = ['dbmate', 'node-pg-migrate', 'alembic'];

const SETS = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(CORPUS, entry.name, 'migrations')))
  .map((entry) => ({ name: entry.name, engine: ENGINES.find((engine) => entry.name.startsWith(`${engine}-`)) }))
  .filter((set): set is { name: string; engine: Engine } => set.engine !== undefined)
  .sort((a, b) => a.name.localeCompare(b.name));

/** An Alembic revision file's own id and the ids it revises (down_revision: none, one, or a tuple for a merge). */
function alembicRevision(file: string): { id: string; down: string[] } {
  const text = readFileSync(file, 'utf8');
  const id = /^revision\s*=\s*['"]([^'"]+)['"]/m.exec(text)?.[1];
  const down = /^down_revision\s*=\s*(.+)$/m.exec(text)?.[1];
  if (!id || down === undefined) throw new Error(`${file}: no revision / down_revision`);
  return { id, down: [...down.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]!) };
}

/**
 * An Alembic set's revision files in the order Alembic applies them (base first; the name order of the files
 * says nothing about it): the revisions of versions/ in dependency order, ties by file name.
 */
function alembicOrder(versions: string): string[] {
  const revisions = readdirSync(versions)
    .filter((file) => file.endsWith('.py'))
    .sort()
    .map((file) => ({ file, ...alembicRevision(path.join(versions, file)) }));
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < revisions.length) {
    const next = revisions.find((r) => !placed.has(r.id) && r.down.every((id) => placed.has(id)));
    if (!next) throw new Error(`${versions}: a revision revises one that is not there`);
    placed.add(next.id);
    order.push(next.file);
  }
  return order;
}

/** The migration files of a set as its engine counts them, in the order it applies them. */
function migrationFiles(engine: Engine, dir: string): string[] {
  if (engine === 'alembic') return alembicOrder(path.join(dir, 'versions'));
  const pattern = engine === 'dbmate' ? /^\d+.*\.sql$/ : /^\d+.*\.(sql|js|cjs|mjs)$/;
  return readdirSync(dir)
    .filter((file) => pattern.test(file))
    .sort();
}

/** An Alembic set's alembic.ini, beside its migrations/ directory. */
const alembicIni = (dir: string) => path.join(path.dirname(dir), 'alembic.ini');

/** The inputs that point a run at a set. */
function inputsFor(engine: Engine, dir: string): Record<string, string> {
  if (engine === 'alembic') return { engine, 'alembic-config': alembicIni(dir), python: PYTHON };
  return { engine, 'migrations-dir': dir, 'engine-path': engine === 'dbmate' ? DBMATE : NODE_PG_MIGRATE };
}

/** A URL with one more query parameter. */
function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

/**
 * The tool alone, as its users run it: exit code and everything it printed. `down` undoes one migration. The
 * Alembic sets' env.py takes the database from DATABASE_URL.
 */
function tool(engine: Engine, db: Pick<TestDatabase, 'url'>, dir: string, direction: 'up' | 'down' = 'up'): { code: number | null; log: string } {
  const [file, args, url] =
    engine === 'dbmate'
      ? [DBMATE, ['--no-dump-schema', '--migrations-dir', dir, direction === 'up' ? 'migrate' : 'rollback'], withParam(db.url, 'sslmode', 'disable')]
      : engine === 'alembic'
        ? [PYTHON, ['-m', 'alembic', '-c', alembicIni(dir), ...(direction === 'up' ? ['upgrade', 'head'] : ['downgrade', '-1'])], db.url]
        : [NODE_PG_MIGRATE, [direction, '--migrations-dir', dir], db.url];
  const result = spawnSync(file, args, { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, log: `${result.stdout}\n${result.stderr}` };
}

/** The table the engine keeps its record in. */
const ENGINE_TABLE: Record<Engine, string> = { dbmate: 'schema_migrations', 'node-pg-migrate': 'pgmigrations', alembic: 'alembic_version' };

/**
 * How many migrations the engine's own table records. Alembic's alembic_version holds only the heads: the
 * applied revisions are those heads and everything they revise, counted in the set's revision files.
 */
async function recorded(engine: Engine, db: TestDatabase, dir: string): Promise<number> {
  if (engine === 'alembic') {
    const heads = (await db.query<{ v: string }>('SELECT version_num AS v FROM public.alembic_version')).map((row) => row.v);
    const versions = path.join(dir, 'versions');
    const revises = new Map(
      migrationFiles(engine, dir).map((file) => {
        const { id, down } = alembicRevision(path.join(versions, file));
        return [id, down] as const;
      }),
    );
    const applied = new Set<string>();
    const visit = (id: string): void => {
      if (applied.has(id)) return;
      if (!revises.has(id)) throw new Error(`alembic_version names ${id}, which no revision file has`);
      applied.add(id);
      revises.get(id)!.forEach(visit);
    };
    heads.forEach(visit);
    return applied.size;
  }
  const table = `public.${ENGINE_TABLE[engine]}`;
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row!.n;
}

const MAJOR = await serverMajor();
// pg_dump refuses servers newer than itself: schemas are compared only where it can dump the test server.
const schemaDump = await schemaDumper();
const canDump = schemaDump !== undefined;

const { database, run } = shippedSuite();
const expectOk = (result: ShippedRun) => expect(result.code, result.log).toBe(0);

describe('real migration directories of the other engines: the run and the tool alone agree', () => {
  it.each(ENGINES)('has sets for %s', (engine) => {
    expect(SETS.filter((set) => set.engine === engine).length).toBeGreaterThanOrEqual(1);
  });

  for (const { name, engine } of SETS) {
    const dir = path.join(CORPUS, name, 'migrations');
    const files = migrationFiles(engine, dir);
    const inputs = inputsFor(engine, dir);

    describe.each(ARTIFACTS)(`${name} (${engine}) through the %s`, (artifact) => {
      it('applies every migration, then nothing is left for the run or the tool; the tool alone builds the same schema', { timeout: 180_000 }, async (context) => {
        expect(files.length).toBeGreaterThan(0);

        // The run applies everything on a fresh database.
        const ours = await database();
        const first = await run(artifact, ours, dir, inputs);
        expectOk(first);
        expect(first.outputs, first.log).toMatchObject({ status: 'applied', 'applied-count': String(files.length), 'pending-count': '0' });
        if (artifact === 'action') expect(JSON.parse(first.outputs.applied!) as string[]).toEqual(files);
        expect(await recorded(engine, ours, dir)).toBe(files.length);

        // Again: up to date.
        const again = await run(artifact, ours, dir, inputs);
        expectOk(again);
        expect(again.outputs, again.log).toMatchObject({ status: 'up-to-date', 'applied-count': '0', 'pending-count': '0' });

        // The tool by hand on the same database: nothing to do.
        const byHand = tool(engine, ours, dir);
        expect(byHand.code, byHand.log).toBe(0);
        if (engine === 'dbmate') expect(byHand.log).not.toMatch(/Applying:/);
        else if (engine === 'alembic') expect(byHand.log).not.toMatch(/Running upgrade/);
        else expect(byHand.log).toMatch(/No migrations to run!/);
        expect(await recorded(engine, ours, dir)).toBe(files.length);

        // The tool alone on a second fresh database: the same schema.
        const theirs = await database();
        const alone = tool(engine, theirs, dir);
        expect(alone.code, alone.log).toBe(0);
        expect(await recorded(engine, theirs, dir)).toBe(files.length);
        if (!canDump) return context.skip(`needs a pg_dump for PostgreSQL ${MAJOR}`);
        expect(schemaDump!(ours)).toEqual(schemaDump!(theirs));
      });

      it('rolls back as the tool does by hand (the last 3), then everything, then applies again', { timeout: 180_000 }, async (context) => {
        const ours = await database();
        const theirs = await database();
        expectOk(await run(artifact, ours, dir, inputs));
        expect(tool(engine, theirs, dir).code).toBe(0);

        const back = await run(artifact, ours, dir, { ...inputs, command: 'rollback', 'target-revision': '-3', backup: 'false' });
        expectOk(back);
        expect(back.outputs, back.log).toMatchObject({ status: 'rolled-back', 'rolled-back-count': '3', 'pending-count': '3' });
        if (artifact === 'action') expect(JSON.parse(back.outputs['rolled-back']!) as string[]).toEqual(files.slice(-3).reverse());
        for (let i = 0; i < 3; i += 1) expect(tool(engine, theirs, dir, 'down').code).toBe(0);
        expect(await recorded(engine, ours, dir)).toBe(files.length - 3);
        expect(await recorded(engine, theirs, dir)).toBe(files.length - 3);
        if (canDump) expect(schemaDump!(ours)).toEqual(schemaDump!(theirs));

        const all = await run(artifact, ours, dir, { ...inputs, command: 'rollback', 'target-revision': 'base', backup: 'false' });
        expectOk(all);
        expect(all.outputs, all.log).toMatchObject({ status: 'rolled-back', 'rolled-back-count': String(files.length - 3), revision: '' });
        expect(await recorded(engine, ours, dir)).toBe(0);
        const left = await ours.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
        expect(left.map((r) => r.t)).toEqual([ENGINE_TABLE[engine]]);

        const again = await run(artifact, ours, dir, inputs);
        expectOk(again);
        expect(again.outputs).toMatchObject({ status: 'applied', 'applied-count': String(files.length) });
        if (!canDump) context.skip(`the schemas were not compared: needs a pg_dump for PostgreSQL ${MAJOR}`);
      });
    });
  }
});
