import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/action.js';
import { schemaDumper, serverMajor, type TestDatabase } from '../support/db.js';
import { DBMATE, NODE_PG_MIGRATE } from '../support/engines.js';
import { ARTIFACTS, shippedSuite, type ShippedRun } from '../support/shipped.js';

/**
 * Real migration directories of the other engines (test/corpus/<engine>-<set>/migrations, see
 * test/corpus/README.md), each applied through both shipped artifacts and by the tool alone: the run applies
 * every migration, the tool then finds nothing to do, and the tool alone builds the same schema.
 */
const CORPUS = path.join(ROOT, 'test', 'corpus');

type Engine = 'dbmate' | 'node-pg-migrate';
const ENGINES: readonly Engine[] = ['dbmate', 'node-pg-migrate'];

const SETS = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(CORPUS, entry.name, 'migrations')))
  .map((entry) => ({ name: entry.name, engine: ENGINES.find((engine) => entry.name.startsWith(`${engine}-`)) }))
  .filter((set): set is { name: string; engine: Engine } => set.engine !== undefined)
  .sort((a, b) => a.name.localeCompare(b.name));

/** The migration files of a set as its engine counts them. */
function migrationFiles(engine: Engine, dir: string): string[] {
  const pattern = engine === 'dbmate' ? /^\d+.*\.sql$/ : /^\d+.*\.(sql|js|cjs|mjs)$/;
  return readdirSync(dir)
    .filter((file) => pattern.test(file))
    .sort();
}

/** The inputs that point a run at a set. */
function inputsFor(engine: Engine, dir: string): Record<string, string> {
  return { engine, 'migrations-dir': dir, 'engine-path': engine === 'dbmate' ? DBMATE : NODE_PG_MIGRATE };
}

/** A URL with one more query parameter. */
function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

/** The tool alone, as its users run it: exit code and everything it printed. */
function tool(engine: Engine, db: Pick<TestDatabase, 'url'>, dir: string): { code: number | null; log: string } {
  const [file, args, url] =
    engine === 'dbmate'
      ? [DBMATE, ['--no-dump-schema', '--migrations-dir', dir, 'migrate'], withParam(db.url, 'sslmode', 'disable')]
      : [NODE_PG_MIGRATE, ['up', '--migrations-dir', dir], db.url];
  const result = spawnSync(file, args, { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, log: `${result.stdout}\n${result.stderr}` };
}

/** How many migrations the engine's own table records. */
async function recorded(engine: Engine, db: TestDatabase): Promise<number> {
  const table = engine === 'dbmate' ? 'public.schema_migrations' : 'public.pgmigrations';
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
  it('has sets for dbmate', () => {
    expect(SETS.filter((set) => set.engine === 'dbmate').length).toBeGreaterThanOrEqual(1);
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
        expect(await recorded(engine, ours)).toBe(files.length);

        // Again: up to date.
        const again = await run(artifact, ours, dir, inputs);
        expectOk(again);
        expect(again.outputs, again.log).toMatchObject({ status: 'up-to-date', 'applied-count': '0', 'pending-count': '0' });

        // The tool by hand on the same database: nothing to do.
        const byHand = tool(engine, ours, dir);
        expect(byHand.code, byHand.log).toBe(0);
        if (engine === 'dbmate') expect(byHand.log).not.toMatch(/Applying:/);
        else expect(byHand.log).toMatch(/No migrations to run!/);
        expect(await recorded(engine, ours)).toBe(files.length);

        // The tool alone on a second fresh database: the same schema.
        const theirs = await database();
        const alone = tool(engine, theirs, dir);
        expect(alone.code, alone.log).toBe(0);
        expect(await recorded(engine, theirs)).toBe(files.length);
        if (!canDump) return context.skip(`needs a pg_dump for PostgreSQL ${MAJOR}`);
        expect(schemaDump!(ours)).toEqual(schemaDump!(theirs));
      });
    });
  }
});
