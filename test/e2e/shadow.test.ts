import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DBMATE, NODE_PG_MIGRATE, REPO, engineProject, type EngineId } from '../support/engines.js';
import { freshDatabase, roleOwning, schemaDumper, type TestDatabase } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite, type Artifact } from '../support/shipped.js';

// shadow-database-url: plan copies the target's schema into an empty database, runs the pending
// statements there one by one as the deploy would, and marks each prediction confirmed or mismatch; a
// migration that fails on the copy fails the plan. The target is only read, and the shadow is empty again
// afterwards. Through both shipped artifacts, on a real server; the shadow belongs to a role of its own
// (not a superuser) whose password must appear nowhere.

const { database, run } = shippedSuite();
const SHADOW_PASSWORD = 'Sh4dow-pass-w0rd-9137';
const shadows: { drop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const shadow of shadows) await shadow.drop();
});

/** An empty database owned by a role of its own, as a CI job's postgres service would be. */
async function shadowDatabase(): Promise<{ db: TestDatabase; url: string }> {
  const db = await freshDatabase('shadow');
  const owner = await roleOwning(db, SHADOW_PASSWORD, 'shadow');
  shadows.push({ drop: async () => (await db.close(), await owner.drop()) });
  return { db, url: owner.url };
}

/** What is in a database's schemas but the system's: relations, functions, types, schemas. */
async function objects(db: Pick<TestDatabase, 'query'>): Promise<number> {
  const [row] = await db.query<{ n: number }>(`
    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname !~ '^(pg_|information_schema)')
         + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname !~ '^(pg_|information_schema)')
         + (SELECT count(*) FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema|public$)')
         + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname !~ '^(pg_|information_schema)' AND t.typtype IN ('e', 'd')) AS n`);
  return Number(row!.n);
}

/** The shadow's URL for an artifact: an input for the Action, SHADOW_DATABASE_URL for the CLI (a secret stays out of argv). */
function withShadow(artifact: Artifact, url: string, inputs: Record<string, string> = {}): [Record<string, string>, Record<string, string>] {
  return artifact === 'action' ? [{ ...inputs, 'shadow-database-url': url }, {}] : [inputs, { SHADOW_DATABASE_URL: url }];
}

const BASE = {
  '1_orders.sql':
    'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n' +
    'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, status text, note varchar(20));\n' +
    "INSERT INTO orders SELECT g, NULL, 'new', 'n' FROM generate_series(1, 5000) AS g;\nANALYZE orders;\n",
};

describe.each(ARTIFACTS)('plan with shadow-database-url, through the %s', (artifact) => {
  it('runs every pending statement on a copy of the schema, confirms the predictions, and leaves target and shadow as they were', async () => {
    const dump = await schemaDumper();
    const db = await database();
    const shadow = await shadowDatabase();
    const dir = migrationsDir({
      ...BASE,
      '2_total.sql': '-- a volatile default: a rewrite\nALTER TABLE orders ADD COLUMN picked float8 DEFAULT random();\n',
      '3_index.sql': '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n',
      '4_fk.sql':
        'ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\n' +
        'ALTER TABLE orders ALTER COLUMN note TYPE varchar(50);\n' +
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\n",
    });
    expect((await run(artifact, db, dir, { 'target-revision': '1', backup: 'false' })).code).toBe(0);
    const before = dump?.(db);
    const [inputs, env] = withShadow(artifact, shadow.url, { command: 'plan', settings: 'lock_timeout=5s' });
    for (const round of [1, 2]) {
      // The second round proves the shadow is empty again: a shadow with anything in it is refused.
      const plan = await run(artifact, db, dir, inputs, env);
      expect(plan.code, `round ${round}: ${plan.log}`).toBe(0);
      expect(plan.outputs.status).toBe('pending');
      expect(plan.log).toMatch(/2_total\.sql:2 ALTER TABLE ADD COLUMN on the shadow: confirmed \(ACCESS EXCLUSIVE on orders; rewrote orders\)\./);
      expect(plan.log).toMatch(/3_index\.sql:2 CREATE INDEX CONCURRENTLY on the shadow: not observed: it runs outside a transaction, so its locks end with it\./);
      expect(plan.log).toMatch(/4_fk\.sql:1 ALTER TABLE ADD FOREIGN KEY … NOT VALID on the shadow: confirmed \(SHARE ROW EXCLUSIVE on orders, SHARE ROW EXCLUSIVE on accounts\)\./);
      // varchar(20) to varchar(50): no rewrite (the relfilenode says so too).
      expect(plan.log).toMatch(/4_fk\.sql:2 ALTER TABLE ALTER COLUMN … TYPE on the shadow: confirmed \(ACCESS EXCLUSIVE on orders\)\./);
      // The lock statement 2 of the same transaction already holds cannot be seen again.
      expect(plan.log).toMatch(/4_fk\.sql:3 ALTER TABLE ALTER COLUMN … SET DEFAULT on the shadow: not observed: an earlier statement of its transaction already holds the lock on orders\./);
      expect(plan.log).not.toMatch(/mismatch/);
      if (artifact === 'action') {
        expect(plan.summary).toContain('| Line | Statement | Locks, and what they block | On the shadow copy |');
        expect(plan.summary).toMatch(/\| 2 \| ALTER TABLE ADD COLUMN \| ACCESS EXCLUSIVE on orders \([^)]+\); blocks reads and writes; rewrites the table \| confirmed \|/);
        // 3 tables: accounts, orders and the migrations table.
        expect(plan.summary).toMatch(/ran one by one on a copy of the schema \(3 tables\) in the shadow database at [^ ]+, then emptied again: 3 confirmed, 0 mismatch, 2 not observed\./);
      }
      // Masked for the runner (add-mask), and in no other line.
      const lines = plan.log.split('\n');
      if (artifact === 'action') expect(lines).toContain(`::add-mask::${SHADOW_PASSWORD}`);
      expect(lines.filter((line) => !line.startsWith('::add-mask::') && line.includes(SHADOW_PASSWORD))).toEqual([]);
      expect(plan.summary).not.toContain(SHADOW_PASSWORD);
      expect(await objects(shadow.db)).toBe(0);
    }
    // The target was only read.
    if (before !== undefined) expect(dump!(db)).toBe(before);
    expect(await db.query('SELECT max(id) AS id FROM migrations')).toEqual([{ id: 1 }]);
  });

  it('fails the plan when a migration fails on the copy of the real schema, naming the file and line', async () => {
    const db = await database();
    const shadow = await shadowDatabase();
    // The column exists in the database (added by hand, say), not in the migrations: the deploy would fail.
    const dir = migrationsDir({ ...BASE, '2_email.sql': '-- the column again\n\nALTER TABLE accounts ADD COLUMN email text;\n' });
    expect((await run(artifact, db, dir, { 'target-revision': '1', backup: 'false' })).code).toBe(0);
    const [inputs, env] = withShadow(artifact, shadow.url, { command: 'check', lint: 'off' });
    const plan = await run(artifact, db, dir, inputs, env);
    expect(plan.code).toBe(1);
    expect(plan.outputs.status).toBe('failed');
    expect(plan.log).toMatch(/2_email\.sql:3 fails on a copy of the database's schema: column "email" of relation "accounts" already exists\. The deploy would fail the same way/);
    if (artifact === 'action') expect(plan.log).toMatch(/::error [^:]*file=[^,]*2_email\.sql,line=3::/);
    expect(plan.log).not.toMatch(/\n\s+at /); // no stack trace
    expect(await objects(shadow.db)).toBe(0);
    expect(await db.query('SELECT max(id) AS id FROM migrations')).toEqual([{ id: 1 }]);
  });

  it('refuses the target itself as its shadow, by identity whatever the URL says, and a shadow that is not empty', async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE, '2_x.sql': 'ALTER TABLE orders ADD COLUMN x int;\n' });
    expect((await run(artifact, db, dir, { 'target-revision': '1', backup: 'false' })).code).toBe(0);
    // The same database under another host name.
    const same = new URL(db.url);
    same.hostname = same.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    const [inputs, env] = withShadow(artifact, same.toString(), { command: 'plan' });
    const itself = await run(artifact, db, dir, inputs, env);
    expect(itself.code).toBe(1);
    expect(itself.log).toContain('Input shadow-database-url points at the target database itself (the same server and database, by system identifier and database oid)');
    expect(await db.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'x'")).toEqual([{ n: 0 }]);

    const shadow = await shadowDatabase();
    await shadow.db.query('CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (1)');
    const [busyInputs, busyEnv] = withShadow(artifact, shadow.url, { command: 'plan' });
    const busy = await run(artifact, db, dir, busyInputs, busyEnv);
    expect(busy.code).toBe(1);
    expect(busy.log).toContain('The shadow database is not empty (it has table keep_me)');
    // What was in it is untouched, and nothing was added.
    expect(await shadow.db.query('SELECT id FROM keep_me')).toEqual([{ id: 1 }]);
    expect(await objects(shadow.db)).toBe(1);
  });
});

describe('the shadow run finds what the review cannot', () => {
  it('a lock taken inside a function is a mismatch, with what the server took', async () => {
    const db = await database();
    const shadow = await shadowDatabase();
    const dir = migrationsDir({
      ...BASE,
      '2_fn.sql': 'CREATE FUNCTION lock_orders() RETURNS void LANGUAGE sql AS $$ LOCK TABLE orders IN ACCESS EXCLUSIVE MODE $$;\n',
      '3_call.sql': 'SELECT lock_orders();\n',
    });
    expect((await run('action', db, dir, { 'target-revision': '1', backup: 'false' })).code).toBe(0);
    const plan = await run('action', db, dir, { command: 'plan', 'shadow-database-url': shadow.url });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.log).toMatch(/::warning [^:]*file=[^,]*3_call\.sql,line=1::.*3_call\.sql:1 SELECT on the shadow: mismatch: also took ACCESS EXCLUSIVE on orders, which was not predicted/);
    expect(plan.summary).toMatch(/\| 1 \| SELECT \| no table lock \| \*\*mismatch\*\*: also took ACCESS EXCLUSIVE on orders, which was not predicted \|/);
    expect(await objects(shadow.db)).toBe(0);
  });
});

describe('the shadow run on a partitioned table, its sequence and a view', () => {
  it('counts the partitions a statement locks and rewrites as its table, and names a view by its name', async () => {
    const db = await database();
    const shadow = await shadowDatabase();
    const dir = migrationsDir({
      '1_events.sql':
        'CREATE TABLE events (id bigserial, at date NOT NULL, v text) PARTITION BY RANGE (at);\n' +
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n" +
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n" +
        'CREATE VIEW recent_events AS SELECT * FROM events;\n',
      '2_view.sql': 'DROP VIEW recent_events;\n',
      // A volatile default rewrites every partition; the partitioned table itself has no storage.
      '3_picked.sql': 'ALTER TABLE events ADD COLUMN picked float8 DEFAULT random();\n',
      '4_not_null.sql': 'ALTER TABLE events ALTER COLUMN v SET NOT NULL;\n',
      // The owned sequence is altered with its column.
      '5_id.sql': 'ALTER TABLE events ALTER COLUMN id TYPE int;\n',
    });
    expect((await run('action', db, dir, { 'target-revision': '1', backup: 'false' })).code).toBe(0);
    const plan = await run('action', db, dir, { command: 'plan', 'shadow-database-url': shadow.url, lint: 'off' });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.log).toMatch(/2_view\.sql:1 DROP VIEW on the shadow: confirmed \(ACCESS EXCLUSIVE on recent_events\)\./);
    expect(plan.log).toMatch(/3_picked\.sql:1 ALTER TABLE ADD COLUMN on the shadow: confirmed \(ACCESS EXCLUSIVE on events; rewrote events_2025, events_2026\)\./);
    expect(plan.log).toMatch(/4_not_null\.sql:1 ALTER TABLE ALTER COLUMN … SET NOT NULL on the shadow: confirmed \(ACCESS EXCLUSIVE on events\)\./);
    expect(plan.log).toMatch(/5_id\.sql:1 ALTER TABLE ALTER COLUMN … TYPE on the shadow: confirmed \(ACCESS EXCLUSIVE on events; rewrote events_2025, events_2026\)\./);
    expect(plan.log).not.toMatch(/mismatch/);
    expect(await objects(shadow.db)).toBe(0);
  });
});

describe.each<EngineId>(['alembic', 'dbmate'])('the shadow run with %s', (engine) => {
  it('runs the pending SQL of the engine on the copy', async () => {
    const db = await database();
    const shadow = await shadowDatabase();
    const steps = [
      { name: 'orders', sql: 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);' },
      { name: 'status', sql: "ALTER TABLE orders ADD COLUMN placed timestamptz DEFAULT clock_timestamp();" },
      { name: 'again', sql: 'ALTER TABLE orders ADD COLUMN status text;' },
    ];
    const first = engineProject(engine, steps.slice(0, 1));
    const tools: Record<string, string> = engine === 'dbmate' ? { 'engine-path': DBMATE } : {};
    expect((await run('action', db, first.dir, { ...first.inputs, ...tools })).code).toBe(0);
    const next = engineProject(engine, steps.slice(0, 2));
    const plan = await run('action', db, next.dir, { ...next.inputs, ...tools, command: 'plan', 'shadow-database-url': shadow.url });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.log).toMatch(/ALTER TABLE ADD COLUMN on the shadow: confirmed \(ACCESS EXCLUSIVE on orders; rewrote orders\)\./);
    expect(await objects(shadow.db)).toBe(0);
    // A column that exists: the copy says so before the deploy does.
    const failing = engineProject(engine, steps);
    const bad = await run('action', db, failing.dir, { ...failing.inputs, ...tools, command: 'plan', 'shadow-database-url': shadow.url });
    expect(bad.code).toBe(1);
    expect(bad.log).toMatch(/fails on a copy of the database's schema: column "status" of relation "orders" already exists/);
    expect(await objects(shadow.db)).toBe(0);
    expect(await first.appliedCount(db)).toBe(1);
  });
});

describe('the shadow run where the SQL is known only when it runs', () => {
  // A real set: 25 ESM JavaScript migrations of node-pg-migrate (test/corpus/node-pg-migrate-chatbot, MIT).
  const corpus = path.join(REPO, 'test', 'corpus', 'node-pg-migrate-chatbot', 'migrations');

  it('lets node-pg-migrate itself apply the pending migrations on the copy, from a copy of its state, and fails the plan where it fails', async () => {
    const db = await database();
    const shadow = await shadowDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shadow-npm-'));
    cpSync(corpus, dir, { recursive: true });
    const inputs = { engine: 'node-pg-migrate', 'engine-path': NODE_PG_MIGRATE };
    const first = await run('action', db, dir, { ...inputs, 'target-revision': '1784254416707_reset-google-credentials-encryption' });
    expect(first.code, first.log).toBe(0);
    const [applied] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pgmigrations');
    expect(applied!.n).toBe(20);

    const plan = await run('action', db, dir, { ...inputs, command: 'plan', 'shadow-database-url': shadow.url });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.log).toContain('the SQL of');
    expect(plan.log).toMatch(/node-pg-migrate itself applies the pending migrations on the copy \(with a copy of pgmigrations\)/);
    // Only the 5 pending ones ran on the copy: its state was copied, so the 20 applied were not run again.
    expect(plan.log).toContain('node-pg-migrate applied 5 migration(s) on the copy.');
    expect(plan.summary).toMatch(/node-pg-migrate applied the 5 pending migration\(s\) on a copy of the schema \(\d+ tables\)/);
    expect(await objects(shadow.db)).toBe(0);

    // A migration that fails against the real schema fails the plan, before it can fail the deploy.
    writeFileSync(path.join(dir, '1799999999999_users-again.js'), 'export function up(pgm) {\n  pgm.sql(`CREATE TABLE users (id int)`);\n}\n');
    const bad = await run('action', db, dir, { ...inputs, command: 'plan', 'shadow-database-url': shadow.url });
    expect(bad.code).toBe(1);
    expect(bad.log).toMatch(/On a copy of the database's schema, node-pg-migrate failed: .*1799999999999_users-again.*relation "users" already exists/);
    expect(await objects(shadow.db)).toBe(0);
    // The target was only read.
    const [after] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pgmigrations');
    expect(after!.n).toBe(20);
  });
});
