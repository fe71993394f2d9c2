import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from 'postgres-migrations';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runBundle, type ActionRun } from '../support/action.js';
import { freshDatabase, migrationRows, schemaDumper, serverMajor, type TestDatabase } from '../support/db.js';

/**
 * Real migration directories from public repositories (test/corpus/<set>/migrations, see
 * test/corpus/README.md), each applied by postgres-migrations 5.3.0 and by the shipped bundle, and handed
 * over between the two half-way in both directions: every route must end in the same schema and the same
 * `migrations` rows.
 */
const CORPUS = path.join(ROOT, 'test', 'corpus');
const SETS = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(CORPUS, entry.name, 'migrations')))
  // The other engines' sets (<engine>-<set>) are test/e2e/engine-corpus.test.ts's.
  .filter((entry) => !/^(dbmate|node-pg-migrate|alembic)-/.test(entry.name))
  .map((entry) => entry.name)
  .sort();

/** Sets that need a newer server than the oldest the project supports, and why. */
const MIN_SERVER_MAJOR: Record<string, { major: number; why: string }> = {
  'supabase-storage-tenant': { major: 14, why: '0026 uses CREATE OR REPLACE TRIGGER' },
};

// postgres-migrations' own file-name rule (ids are parsed with parseInt, so 0001 is 1).
const MIGRATION_FILE = /^(-?\d+)[-_]?(.*)\.(sql|js)$/;

/** The migration files of a directory with their ids; other files (a package.json) are not migrations. */
function migrationFiles(dir: string): { file: string; id: number }[] {
  return readdirSync(dir)
    .map((file) => ({ file, match: MIGRATION_FILE.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => ({ file, id: Number.parseInt(match[1]!, 10) }))
    .sort((a, b) => a.id - b.id);
}

/** A copy of the directory with the migrations up to `k` and every file that is not a migration. */
function firstMigrations(dir: string, k: number): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-corpus-'));
  const ids = new Map(migrationFiles(dir).map(({ file, id }) => [file, id]));
  for (const file of readdirSync(dir)) {
    const id = ids.get(file);
    if (id === undefined || id <= k) copyFileSync(path.join(dir, file), path.join(copy, file));
  }
  return copy;
}

/** postgres-migrations 5.3.0's migrate() on the database; the ids it applied. */
async function theirMigrate(url: string, dir: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await migrate({ client }, dir)).map((m) => m.id);
  } finally {
    await client.end();
  }
}

const MAJOR = await serverMajor();
// pg_dump refuses servers newer than itself: schemas are compared only where it can dump the test server.
const schemaDump = await schemaDumper();
const canDump = schemaDump !== undefined;

/** The set's own preparation of a fresh database (setup.sql beside its migrations), when it has one. */
async function prepare(set: string, db: TestDatabase): Promise<void> {
  const setup = path.join(CORPUS, set, 'setup.sql');
  if (existsSync(setup)) await db.query(readFileSync(setup, 'utf8'));
}

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
});

async function database(set: string): Promise<TestDatabase> {
  const db = await freshDatabase('corpus');
  opened.push(db);
  await prepare(set, db);
  return db;
}

/** What a failed run said, for the assertion message (without the lines that register secrets for masking). */
const why = (run: ActionRun) =>
  [`exit ${run.code}; error: ${run.outputs.error ?? ''}`, ...`${run.stdout}\n${run.stderr}`.split('\n').filter((line) => !line.startsWith('::add-mask::'))].join('\n');

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run npm run build first');
});

/**
 * One set through every route: A by postgres-migrations alone, B by the bundle alone, C and D handed over
 * half-way in each direction; then nothing is left to do on B for either tool.
 */
async function checkSet(set: string): Promise<void> {
  const dir = path.join(CORPUS, set, 'migrations');
  const files = migrationFiles(dir);
  const n = files.length;
  const k = Math.floor(n / 2);
  expect(files.map((f) => f.id)).toEqual(files.map((_, i) => i + 1));

  // A: postgres-migrations applies everything
  const a = await database(set);
  expect(await theirMigrate(a.url, dir)).toEqual([0, ...files.map((f) => f.id)]);
  const rows = await migrationRows(a);
  expect(rows).toHaveLength(n + 1);
  const schema = canDump ? schemaDump!(a) : '';
  if (canDump) expect(schema).toContain('CREATE TABLE public.migrations');
  const same = async (db: TestDatabase) => {
    expect(await migrationRows(db)).toEqual(rows);
    if (canDump) expect(schemaDump!(db)).toEqual(schema);
  };

  // B: the bundle applies everything
  const b = await database(set);
  const applied = runBundle({ 'database-url': b.url, 'migrations-dir': dir });
  expect(applied.code, why(applied)).toBe(0);
  expect(applied.outputs).toMatchObject({ status: 'applied', revision: String(n), 'applied-count': String(n) });
  await same(b);

  // C: postgres-migrations applies 1..k, the bundle the rest
  const c = await database(set);
  expect(await theirMigrate(c.url, firstMigrations(dir, k))).toEqual([0, ...files.slice(0, k).map((f) => f.id)]);
  const rest = runBundle({ 'database-url': c.url, 'migrations-dir': dir });
  expect(rest.code, why(rest)).toBe(0);
  expect(rest.outputs).toMatchObject({ status: 'applied', 'previous-revision': String(k), revision: String(n), 'applied-count': String(n - k) });
  await same(c);

  // D: the bundle applies 1..k, postgres-migrations the rest
  const d = await database(set);
  const half = runBundle({ 'database-url': d.url, 'migrations-dir': dir, 'target-revision': String(k) });
  expect(half.code, why(half)).toBe(0);
  expect(half.outputs).toMatchObject({ status: 'applied', revision: String(k), 'applied-count': String(k) });
  expect(await theirMigrate(d.url, dir)).toEqual(files.slice(k).map((f) => f.id));
  await same(d);

  // B again: nothing left for either
  const again = runBundle({ 'database-url': b.url, 'migrations-dir': dir });
  expect(again.code, why(again)).toBe(0);
  expect(again.outputs).toMatchObject({ status: 'up-to-date', revision: String(n), 'applied-count': '0', applied: '[]' });
  expect(await theirMigrate(b.url, dir)).toEqual([]);
  await same(b);
}

describe('real migration directories: postgres-migrations and the bundle agree', () => {
  it('has sets to run', () => {
    expect(SETS.length).toBeGreaterThanOrEqual(4);
  });

  for (const set of SETS) {
    const needs = MIN_SERVER_MAJOR[set];
    const title = needs ? `${set} (PostgreSQL ${needs.major}+: ${needs.why})` : set;
    it.skipIf(needs !== undefined && MAJOR < needs.major)(title, { timeout: 180_000 }, () => checkSet(set));
  }
});
