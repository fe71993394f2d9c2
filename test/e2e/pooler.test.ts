import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationRows, type TestDatabase } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { pgBouncerBinary, startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { ARTIFACTS, shippedSuite, type Artifact } from '../support/shipped.js';

// A real PgBouncer between the runs and the server. Without it on the machine these tests are skipped,
// except in CI, where .ci/run installs it and a missing one is a failure.
const available = pgBouncerBinary() !== undefined;
if (!available && process.env.CI) throw new Error('pgbouncer is missing: .ci/run should have installed it (apt-get install pgbouncer)');

const { database, run } = shippedSuite();

/** Every migration writes a row into `ran` with its id: a migration applied twice shows twice. */
const FILES = {
  '1_ran.sql': 'CREATE TABLE ran (id int NOT NULL);\nINSERT INTO ran VALUES (1);\n',
  '2_users.sql': 'CREATE TABLE users (id int);\nINSERT INTO ran VALUES (2);\nSELECT pg_sleep(0.1);\n',
  '3_outside.sql': '-- postgres-migrations disable-transaction\nINSERT INTO ran VALUES (3);\n',
  '4_orders.sql': 'CREATE TABLE orders (id int);\nINSERT INTO ran VALUES (4);\nSELECT pg_sleep(0.1);\n',
};

async function assertAtMostOnce(db: TestDatabase) {
  const counts = await db.query<{ id: number; n: number }>('SELECT id, count(*)::int AS n FROM ran GROUP BY id ORDER BY id').catch(() => []);
  for (const { id, n } of counts) expect(n, `migration ${id} ran ${n} times`).toBe(1);
  // No session-level lock left behind on a pooled server connection (in this test's database: other
  // tests hold locks in theirs at the same time).
  expect(await db.query("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).toEqual([]);
}

const POOLER_MESSAGE = /The database connection is not one server session: .*transaction mode \(PgBouncer pool_mode=transaction.*Use the direct URL of the database for migrations/;

describe.skipIf(!available)('behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  beforeAll(async () => {
    bouncer = await startPgBouncer('transaction');
  });
  afterAll(() => bouncer?.stop());

  it.each(ARTIFACTS)('a single %s run is refused before the lock, naming poolers and asking for the direct URL', async (artifact) => {
    const db = await database();
    const result = await run(artifact, db, migrationsDir(FILES), { 'database-url': bouncer.url(db.url) });
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toMatch(POOLER_MESSAGE);
    expect(await migrationRows(db)).toEqual([]);
    await assertAtMostOnce(db);
  });

  it('6 concurrent runs (both artifacts): each fails clearly or succeeds, no migration runs twice, no lock is left', async () => {
    const db = await database();
    const dir = migrationsDir(FILES);
    const artifacts: Artifact[] = ['action', 'cli', 'action', 'cli', 'action', 'cli'];
    const results = await Promise.all(artifacts.map((artifact) => run(artifact, db, dir, { 'database-url': bouncer.url(db.url), 'lock-wait-timeout': '20' })));
    for (const result of results) {
      if (result.code === 0) expect(['applied', 'up-to-date']).toContain(result.outputs.status);
      else expect(result.log, result.artifact).toMatch(POOLER_MESSAGE);
    }
    await assertAtMostOnce(db);
  });
});

describe.skipIf(!available)('behind PgBouncer in session mode', () => {
  let bouncer: PgBouncer;
  beforeAll(async () => {
    bouncer = await startPgBouncer('session', 10);
  });
  afterAll(() => bouncer?.stop());

  it('6 concurrent runs (both artifacts) all succeed, and apply each migration exactly once', async () => {
    const db = await database();
    const dir = migrationsDir(FILES);
    const artifacts: Artifact[] = ['action', 'cli', 'action', 'cli', 'action', 'cli'];
    const results = await Promise.all(artifacts.map((artifact) => run(artifact, db, dir, { 'database-url': bouncer.url(db.url), 'lock-wait-timeout': '60' })));
    for (const result of results) expect(result.code, result.log).toBe(0);
    expect(results.filter((r) => r.outputs.status === 'applied')).toHaveLength(1);
    expect(results.every((r) => r.outputs.revision === '4')).toBe(true);
    expect(await db.query('SELECT id FROM ran ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    await assertAtMostOnce(db);
  });
});
