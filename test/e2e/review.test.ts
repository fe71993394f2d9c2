import { describe, expect, it } from 'vitest';
import { DBMATE, engineProject } from '../support/engines.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

// plan shows what each pending statement will lock, what that blocks, whether it rewrites the table, and
// the table's real size: through both shipped artifacts, on a real server with a table that has rows.

const { database, run } = shippedSuite();

describe.each(ARTIFACTS)('plan reviews the pending statements, through the %s', (artifact) => {
  it('names the lock, the table with its size and rows, what it blocks, and the line of each statement', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\nINSERT INTO orders SELECT g, $$new$$ FROM generate_series(1, 20000) AS g;\nANALYZE orders;\n',
      // Multi-byte characters and a comment before the statements: lines are of the file, at the first keyword.
      '2_review.sql':
        '-- Größe prüfen: ü ï é\n/* a block\n   comment */\nALTER TABLE orders ADD COLUMN picked float8 DEFAULT random();\n\nCREATE INDEX orders_status ON orders (status);\n' +
        "UPDATE orders SET status = 'old' WHERE id < 10;\n",
    });
    const first = await run(artifact, db, dir, { 'target-revision': '1', backup: 'false' });
    expect(first.code, first.log).toBe(0);
    const plan = await run(artifact, db, dir, { command: 'plan' });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.log).toMatch(/2_review\.sql:4 ALTER TABLE ADD COLUMN: ACCESS EXCLUSIVE on orders \(\d+(\.\d)? (KiB|MiB), ~20k rows\); blocks reads and writes; rewrites the table\./);
    expect(plan.log).toMatch(/2_review\.sql:6 CREATE INDEX: SHARE on orders \([^)]+\); blocks writes; reads the whole table\./);
    expect(plan.log).toMatch(/2_review\.sql:7 UPDATE: ROW EXCLUSIVE on orders \([^)]+\); blocks nothing of the application\./);
    if (artifact === 'action') {
      expect(plan.summary).toMatch(/\| 4 \| ALTER TABLE ADD COLUMN \| ACCESS EXCLUSIVE on orders \([^)]+, ~20k rows\); blocks reads and writes; rewrites the table \|/);
    }
    // Reading sizes changed nothing.
    expect(await db.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'orders'")).toEqual([{ n: 2 }]);
  });
});

describe('plan reviews other engines where their SQL is known before it runs', () => {
  it('dbmate: the migrate:up section, lines of the file', async () => {
    const db = await database();
    const project = engineProject('dbmate', [
      { name: 'orders', sql: 'CREATE TABLE orders (id bigint PRIMARY KEY);' },
      { name: 'fk', sql: 'CREATE TABLE items (id int);\nALTER TABLE items ADD FOREIGN KEY (id) REFERENCES orders (id);' },
    ]);
    expect((await run('action', db, project.dir, { ...project.inputs, 'engine-path': DBMATE })).code).toBe(0);
    const next = engineProject('dbmate', [
      { name: 'orders', sql: 'CREATE TABLE orders (id bigint PRIMARY KEY);' },
      { name: 'fk', sql: 'CREATE TABLE items (id int);\nALTER TABLE items ADD FOREIGN KEY (id) REFERENCES orders (id);' },
      { name: 'drop', sql: 'DROP TABLE items;' },
    ]);
    const plan = await run('action', db, next.dir, { ...next.inputs, command: 'plan' });
    expect(plan.code, plan.log).toBe(0);
    // Dropping items also locks orders, which its foreign key references (from the catalog).
    expect(plan.log).toMatch(/_drop\.sql:2 DROP TABLE: ACCESS EXCLUSIVE on items \([^)]+\), ACCESS EXCLUSIVE on orders \([^)]+\); blocks reads and writes\./);
  });
});

/** The table every rule case starts from: rows enough for the backfill rule, analysed. */
const BASE = {
  '1_orders.sql':
    'CREATE TABLE orders (id bigint PRIMARY KEY, status text, note varchar(20), id2 bigint);\n' +
    "INSERT INTO orders SELECT g, 'new', 'n', g FROM generate_series(1, 120000) AS g;\nANALYZE orders;\n",
};

interface Found {
  rule: string;
  file: string;
  line: number | null;
  statement: string;
  message: string;
}

/** Plan `files` (the second migration onwards) on a database at the base migration; the findings it reports. */
async function findings(files: Record<string, string>, inputs: Record<string, string> = {}): Promise<{ found: Found[]; log: string; summary: string; dir: string }> {
  const db = await database();
  const dir = migrationsDir({ ...BASE, ...files });
  const base = await run('action', db, dir, { 'target-revision': '1', backup: 'false', lint: 'off' });
  expect(base.code, base.log).toBe(0);
  const plan = await run('action', db, dir, { command: 'plan', settings: 'lock_timeout=5s', ...inputs });
  expect(plan.code, plan.log).toBe(0);
  const found = JSON.parse(plan.outputs.findings!) as Found[];
  expect(plan.outputs['findings-count']).toBe(String(found.length));
  return { found, log: plan.log, summary: plan.summary, dir };
}

const CONCURRENT = '-- postgres-migrations disable-transaction\n';

describe('review rules: each one found, and its safe rewrite not', () => {
  it.each([
    ['create-index-not-concurrently', 'CREATE INDEX orders_status ON orders (status);', `${CONCURRENT}CREATE INDEX CONCURRENTLY orders_status ON orders (status);`],
    ['concurrently-in-transaction', 'CREATE INDEX CONCURRENTLY orders_status ON orders (status);', `${CONCURRENT}CREATE INDEX CONCURRENTLY orders_status ON orders (status);`],
    ['add-column-not-null-without-default', 'ALTER TABLE orders ADD COLUMN a int NOT NULL;', 'ALTER TABLE orders ADD COLUMN a int NOT NULL DEFAULT 0;'],
    ['add-column-rewrites', 'ALTER TABLE orders ADD COLUMN b float8 DEFAULT random();', 'ALTER TABLE orders ADD COLUMN b float8;'],
    ['alter-column-type-rewrites', 'ALTER TABLE orders ALTER COLUMN status TYPE varchar(5);', 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(50);'],
    [
      'set-not-null-without-check',
      'ALTER TABLE orders ALTER COLUMN status SET NOT NULL;',
      'ALTER TABLE orders ADD CONSTRAINT status_nn CHECK (status IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT status_nn;\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;',
    ],
    ['constraint-without-not-valid', 'ALTER TABLE orders ADD CONSTRAINT positive CHECK (id > 0);', 'ALTER TABLE orders ADD CONSTRAINT positive CHECK (id > 0) NOT VALID;'],
    ['unique-without-index', 'ALTER TABLE orders ADD CONSTRAINT id2_key UNIQUE (id2);', 'ALTER TABLE orders ADD CONSTRAINT id2_key UNIQUE USING INDEX orders_id2;'],
    ['breaking-change', 'ALTER TABLE orders DROP COLUMN note;', 'CREATE TABLE scratch (x int);\nALTER TABLE scratch DROP COLUMN x;'],
    ['unbounded-backfill', "UPDATE orders SET status = 'old';", "UPDATE orders SET status = 'old' WHERE id BETWEEN 1 AND 1000;"],
  ])('%s', async (rule, bad, good) => {
    // The safe UNIQUE needs its index first, built concurrently.
    const before: Record<string, string> = rule === 'unique-without-index' ? { '2_index.sql': `${CONCURRENT}CREATE UNIQUE INDEX CONCURRENTLY orders_id2 ON orders (id2);` } : {};
    const name = before['2_index.sql'] === undefined ? '2_change.sql' : '3_change.sql';
    const flagged = await findings({ ...before, [name]: `-- a change\n${bad}\n` });
    const hit = flagged.found.filter((f) => f.rule === rule);
    expect(hit.length, JSON.stringify(flagged.found)).toBeGreaterThan(0);
    // At the file and the line of the statement's first keyword, as an annotation.
    expect(hit[0]).toMatchObject({ file: `${flagged.dir}/${name}`, line: 2 });
    expect(flagged.log).toMatch(new RegExp(`::warning [^:]*file=[^,]*${name.replace('.', '\\.')},line=2::.*\\(${rule}\\)`));
    expect(flagged.summary).toContain(`\`${rule}\``);
    const safe = await findings({ ...before, [name]: `-- a change\n${good}\n` });
    expect(safe.found.filter((f) => f.rule === rule), JSON.stringify(safe.found)).toEqual([]);
  });

  it('is not fooled: IF NOT EXISTS of a table that exists, a qualified name of a new table, one rewriting subcommand of two', async () => {
    const { found } = await findings({
      '2_change.sql':
        'CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);\nCREATE INDEX orders_note ON orders (note);\n' +
        'CREATE TABLE t1 (x int, y int);\nALTER TABLE public.t1 DROP COLUMN y;\n' +
        'ALTER TABLE orders ADD COLUMN d int, ALTER COLUMN id2 TYPE numeric;\n',
    });
    expect(found.map((f) => [f.rule, f.line])).toEqual([
      ['create-index-not-concurrently', 2],
      ['alter-column-type-rewrites', 5],
    ]);
  });

  it('concurrently-in-transaction: also beside other statements in a file without a transaction', async () => {
    const { found } = await findings({
      '2_indexes.sql': `${CONCURRENT}CREATE INDEX CONCURRENTLY orders_status ON orders (status);\nCREATE INDEX CONCURRENTLY orders_note ON orders (note);\n`,
    });
    expect(found.filter((f) => f.rule === 'concurrently-in-transaction').map((f) => [f.line, /beside other statements/.test(f.message)])).toEqual([
      [2, true],
      [3, true],
    ]);
  });

  it('transaction-control: BEGIN and COMMIT in a dbmate migration that runs in a transaction; not with transaction:false', async () => {
    const db = await database();
    const inputs = { engine: 'dbmate', 'engine-path': DBMATE, command: 'plan', settings: 'lock_timeout=5s' };
    const inTransaction = migrationsDir({ '20240101000001_t.sql': '-- migrate:up\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n-- migrate:down\nDROP TABLE t;\n' });
    const plan = await run('action', db, inTransaction, inputs);
    expect(plan.code, plan.log).toBe(0);
    const found = JSON.parse(plan.outputs.findings!) as Found[];
    expect(found.filter((f) => f.rule === 'transaction-control').map((f) => [f.statement, f.line])).toEqual([
      ['BEGIN', 2],
      ['COMMIT', 4],
    ]);
    const outside = migrationsDir({ '20240101000001_t.sql': '-- migrate:up transaction:false\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n-- migrate:down\nDROP TABLE t;\n' });
    const fine = await run('action', db, outside, inputs);
    expect(JSON.parse(fine.outputs.findings!) as Found[]).toEqual([]);
  });

  it('lock-timeout: an ACCESS EXCLUSIVE statement without it, in settings or the file', async () => {
    const change = { '2_change.sql': 'ALTER TABLE orders DROP COLUMN note;\n' };
    expect((await findings(change, { settings: '' })).found.map((f) => f.rule)).toContain('lock-timeout');
    const inFile = { '2_change.sql': "SET lock_timeout = '5s';\nALTER TABLE orders DROP COLUMN note;\n" };
    expect((await findings(inFile, { settings: '' })).found.map((f) => f.rule)).not.toContain('lock-timeout');
  });

  it('set-not-null: the safe sequence across files is not flagged either', async () => {
    const { found } = await findings({
      // One file names the table with its schema, the next without: the same table.
      '2_check.sql': 'ALTER TABLE public.orders ADD CONSTRAINT status_nn CHECK (status IS NOT NULL) NOT VALID;\n',
      '3_validate.sql': 'ALTER TABLE orders VALIDATE CONSTRAINT status_nn;\n',
      '4_not_null.sql': 'ALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n',
    });
    expect(found.map((f) => f.rule)).toEqual([]);
  });

  it('silences a rule with an ignore comment on the line before, listing what was silenced and why', async () => {
    const { found, summary, log } = await findings({
      '2_change.sql': '-- migrate-action:ignore breaking-change the column was unused since release 41\nALTER TABLE orders DROP COLUMN note;\n',
    });
    expect(found.map((f) => f.rule)).toEqual([]);
    expect(summary).toContain('### Silenced findings');
    expect(summary).toContain('the column was unused since release 41');
    expect(log).toMatch(/Silenced by a migrate-action:ignore comment \(the column was unused since release 41\)/);
  });
});

describe('input lint', () => {
  it.each(ARTIFACTS)('error fails plan and stops apply before anything changes; off parses nothing; through the %s', async (artifact) => {
    const db = await database();
    const dir = migrationsDir({ ...BASE, '2_index.sql': 'CREATE INDEX orders_status ON orders (status);\n' });
    expect((await run(artifact, db, dir, { 'target-revision': '1', backup: 'false', lint: 'off' })).code).toBe(0);
    const plan = await run(artifact, db, dir, { command: 'plan', lint: 'error', settings: 'lock_timeout=5s' });
    expect(plan.code).toBe(1);
    expect(plan.log).toMatch(/1 review finding\(s\) \(create-index-not-concurrently\) in .*2_index\.sql, and input lint is error: the plan fails/);
    const apply = await run(artifact, db, dir, { lint: 'error', settings: 'lock_timeout=5s', backup: 'false' });
    expect(apply.code).toBe(1);
    expect(apply.log).toMatch(/input lint is error: nothing was applied/);
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'orders_status'")).toEqual([]);
    const off = await run(artifact, db, dir, { command: 'plan', lint: 'off' });
    expect(off.code).toBe(0);
    expect(off.outputs['findings-count']).toBe('0');
    expect(off.log).not.toMatch(/SHARE on orders/);
    // warn (the default): the findings are reported, and apply goes on.
    const warned = await run(artifact, db, dir, { backup: 'false' });
    expect(warned.code, warned.log).toBe(0);
    expect(warned.outputs['findings-count']).toBe('1');
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'orders_status'")).toHaveLength(1);
  });
});

describe('the review never waits on a table', () => {
  it('plans at once while another transaction holds ACCESS EXCLUSIVE on a table the migration touches', async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE, '2_change.sql': 'ALTER TABLE orders ADD COLUMN c int;\n' });
    expect((await run('action', db, dir, { 'target-revision': '1', backup: 'false', lint: 'off' })).code).toBe(0);
    const holder = await db.client('long-transaction');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    // The lock is let go only after the plan: had the review waited for it, the plan would never end.
    const plan = await run('action', db, dir, { command: 'plan' });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.log).toMatch(/2_change\.sql:1 ALTER TABLE ADD COLUMN: ACCESS EXCLUSIVE on orders \(/);
    await holder.query('ROLLBACK');
  });
});

describe('a partitioned table', () => {
  // It has no storage of its own (relpages -1): its size and rows are its partitions'. Read from the
  // catalog alone, so that a partition locked by another transaction does not hold the plan either.
  it("shows its partitions' size and rows, and plans at once while one of them is locked", async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_events.sql':
        'CREATE TABLE events (id bigint, at date NOT NULL, v text) PARTITION BY RANGE (at);\n' +
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n" +
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n" +
        "INSERT INTO events SELECT g, date '2025-01-01' + (g % 700), 'x' FROM generate_series(1, 30000) AS g;\n" +
        'ANALYZE events_2025;\nANALYZE events_2026;\n',
      '2_change.sql': 'ALTER TABLE events ADD COLUMN c int;\n',
    });
    expect((await run('action', db, dir, { 'target-revision': '1', backup: 'false', lint: 'off' })).code).toBe(0);
    const holder = await db.client('long-transaction');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE events_2026 IN ACCESS EXCLUSIVE MODE');
    const plan = await run('action', db, dir, { command: 'plan' });
    await holder.query('ROLLBACK');
    expect(plan.code, plan.log).toBe(0);
    const [size] = await db.query<{ bytes: string }>(
      "SELECT sum(pg_total_relation_size(relid))::text AS bytes FROM pg_partition_tree('events') WHERE isleaf",
    );
    const shown = /2_change\.sql:1 ALTER TABLE ADD COLUMN: ACCESS EXCLUSIVE on events \(([\d.]+) (KiB|MiB), ~30k rows\)/.exec(plan.log);
    expect(shown, plan.log).not.toBeNull();
    // As of the last ANALYZE: within a tenth of what the partitions take now.
    const bytes = Number(shown![1]) * (shown![2] === 'MiB' ? 1024 ** 2 : 1024);
    expect(Math.abs(bytes - Number(size!.bytes)) / Number(size!.bytes)).toBeLessThan(0.1);
  });
});

describe('Alembic: its statements from its offline SQL', () => {
  it('plan finds them at the revision file; apply with lint error stops before anything changes', async () => {
    const db = await database();
    const first = engineProject('alembic', [{ name: 'orders', sql: 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);' }]);
    expect((await run('action', db, first.dir, first.inputs)).code).toBe(0);
    const both = engineProject('alembic', [
      { name: 'orders', sql: 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);' },
      { name: 'index', sql: 'CREATE INDEX orders_status ON orders (status);' },
    ]);
    const plan = await run('action', db, both.dir, { ...both.inputs, command: 'plan', settings: 'lock_timeout=5s' });
    expect(plan.code, plan.log).toBe(0);
    const found = JSON.parse(plan.outputs.findings!) as Found[];
    expect(found.map((f) => [f.rule, f.file.endsWith(both.fileName(1)), f.line])).toEqual([['create-index-not-concurrently', true, null]]);
    const apply = await run('action', db, both.dir, { ...both.inputs, lint: 'error', settings: 'lock_timeout=5s' });
    expect(apply.code).toBe(1);
    expect(apply.outputs.error).toMatch(/input lint is error: nothing was applied/);
    expect(await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'orders_status'")).toEqual([]);
  });
});
