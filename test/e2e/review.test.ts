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
