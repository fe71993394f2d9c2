import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWithCatalog } from '../../src/review/catalog.js';
import { LOCK_MODES, lockName, type LockMode } from '../../src/review/locks.js';
import { analyzeSql } from '../../src/review/statements.js';
import { freshDatabase, type TestDatabase } from '../support/db.js';

// Every lock level and rewrite the review predicts, checked against what the server really does: each
// statement runs inside a transaction on a schema made for it, the locks it holds are read from pg_locks,
// the tables' relfilenodes are compared before and after, and the transaction is rolled back. On
// PostgreSQL 13 to 18 with `npm run test:versions`. A prediction that disagrees with the server fails.

const SCHEMA = `
CREATE TABLE accounts (id bigint PRIMARY KEY, email text, name text NOT NULL DEFAULT '');
CREATE UNIQUE INDEX accounts_email_idx ON accounts (email);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id), total numeric(10, 2), status text,
  note varchar(20), created_at timestamptz, amount numeric(10, 2), ref int);
CREATE INDEX orders_status_idx ON orders (status);
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
CREATE TABLE items (id int, order_id bigint, sku text);
CREATE TABLE shipments (id int, order_id bigint REFERENCES orders (id));
INSERT INTO accounts VALUES (1, 'a@example.com', 'a'), (2, 'b@example.com', 'b');
INSERT INTO orders VALUES (1, 1, 10, 'new', 'n', now(), 1, 1), (2, 2, 20, 'paid', 'p', now(), 2, 2);
INSERT INTO items VALUES (1, 1, 'x'), (2, 2, 'y');
CREATE MATERIALIZED VIEW order_totals AS SELECT account_id, sum(total) AS total FROM orders GROUP BY 1;
CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 (id int, at date);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
`;

/** The statements, each run on the schema above as it is (one transaction each, rolled back). */
const STATEMENTS: readonly string[] = [
  'ALTER TABLE orders ADD COLUMN c1 text',
  'ALTER TABLE orders ADD COLUMN c2 int NOT NULL DEFAULT 0',
  'ALTER TABLE orders ADD COLUMN c3 timestamptz DEFAULT now()',
  'ALTER TABLE orders ADD COLUMN c4 uuid DEFAULT gen_random_uuid()',
  'ALTER TABLE orders ADD COLUMN c5 float8 DEFAULT random()',
  'ALTER TABLE orders ADD COLUMN c6 int GENERATED ALWAYS AS IDENTITY',
  'ALTER TABLE orders ADD COLUMN c7 bigint REFERENCES accounts (id)',
  'ALTER TABLE orders DROP COLUMN note',
  "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'",
  'ALTER TABLE orders ALTER COLUMN status DROP DEFAULT',
  'ALTER TABLE orders ALTER COLUMN status SET NOT NULL',
  'ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL',
  'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12, 3)',
  'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(14, 2)',
  'ALTER TABLE orders ALTER COLUMN note TYPE varchar(50)',
  'ALTER TABLE orders ALTER COLUMN note TYPE text',
  'ALTER TABLE orders ALTER COLUMN note TYPE varchar(10)',
  'ALTER TABLE orders ALTER COLUMN ref TYPE bigint',
  'ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 1000)',
  'ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 1000) NOT VALID',
  'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive',
  'ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID',
  'ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)',
  'ALTER TABLE items ADD PRIMARY KEY (id)',
  'ALTER TABLE items ADD CONSTRAINT items_sku_key UNIQUE (sku)',
  'ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_idx',
  'ALTER TABLE orders DROP CONSTRAINT orders_total_positive',
  'ALTER TABLE orders RENAME COLUMN status TO state',
  'ALTER TABLE orders RENAME TO purchases',
  'ALTER TABLE orders RENAME CONSTRAINT orders_total_positive TO orders_total_nonnegative',
  'ALTER INDEX orders_status_idx RENAME TO orders_state_idx',
  'CREATE INDEX orders_created_at_idx ON orders (created_at)',
  'CREATE UNIQUE INDEX items_id_idx ON items (id)',
  'DROP INDEX orders_status_idx',
  'DROP TABLE items',
  'DROP TABLE shipments',
  'TRUNCATE items',
  "UPDATE orders SET status = 'x'",
  'DELETE FROM items WHERE id = 1',
  "INSERT INTO items VALUES (3, 1, 'z')",
  'CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()',
  'DROP TRIGGER orders_touch ON orders',
  'ALTER TABLE orders DISABLE TRIGGER ALL',
  'ALTER TABLE orders SET (fillfactor = 70)',
  'ALTER TABLE orders ALTER COLUMN status SET STATISTICS 100',
  'ALTER TABLE orders CLUSTER ON orders_pkey',
  "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
  'CREATE TABLE payments (id int, order_id bigint REFERENCES orders (id))',
  'ANALYZE orders',
  'REFRESH MATERIALIZED VIEW order_totals',
  'CLUSTER orders USING orders_pkey',
  'LOCK TABLE orders IN SHARE MODE',
  "COMMENT ON TABLE orders IS 'what was bought'",
  "COMMENT ON COLUMN orders.status IS 'where it is'",
  'ALTER TABLE orders ENABLE ROW LEVEL SECURITY',
  'CREATE VIEW paid AS SELECT * FROM orders WHERE status = $$paid$$',
];

/** Locks weaker than this on a relation the prediction does not name block no reader or writer: not checked. */
const NOT_BLOCKING: readonly LockMode[] = ['AccessShareLock', 'RowShareLock', 'RowExclusiveLock'];

let db: TestDatabase;
let client: pg.Client;
let serverVersion: number;

beforeAll(async () => {
  db = await freshDatabase('locks');
  client = await db.client('lock-check');
  serverVersion = Number((await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
  await client.query(SCHEMA);
});
afterAll(async () => db?.close());

interface Observed {
  readonly locks: Map<number, LockMode>;
  readonly rewritten: Set<number>;
}

/** Run `sql` in a transaction and read what it locked and rewrote; roll it back. */
async function observe(sql: string): Promise<Observed> {
  await client.query('BEGIN');
  try {
    const files = new Map(
      (await client.query<{ oid: number; f: string }>("SELECT oid::int AS oid, relfilenode::text AS f FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'm')")).rows.map((r) => [r.oid, r.f]),
    );
    await client.query(sql);
    const locks = new Map<number, LockMode>();
    const { rows } = await client.query<{ oid: number; mode: LockMode }>(
      "SELECT relation::int AS oid, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    for (const { oid, mode } of rows) {
      const now = locks.get(oid);
      locks.set(oid, now === undefined || LOCK_MODES.indexOf(mode) > LOCK_MODES.indexOf(now) ? mode : now);
    }
    const after = await client.query<{ oid: number; f: string }>('SELECT oid::int AS oid, relfilenode::text AS f FROM pg_class WHERE oid = ANY($1::oid[])', [[...files.keys()]]);
    const rewritten = new Set(after.rows.filter((r) => files.get(r.oid) !== r.f).map((r) => r.oid));
    return { locks, rewritten };
  } finally {
    await client.query('ROLLBACK');
  }
}

/** The oid of a relation the statement names, before it runs (a DROP takes it away). */
async function oidOf(relation: string): Promise<number | undefined> {
  const { rows } = await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid::int AS oid', [relation]);
  return rows[0]?.oid ?? undefined;
}

async function tablesById(): Promise<Map<number, string>> {
  const { rows } = await client.query<{ oid: number; name: string }>(
    "SELECT oid::int AS oid, relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'm')",
  );
  return new Map(rows.map((r) => [r.oid, r.name]));
}

describe('predicted locks and rewrites agree with the server', () => {
  it('covers at least 40 statements', () => {
    expect(STATEMENTS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(STATEMENTS)('%s', async (sql) => {
    const [analyzed] = (await analyzeSql(sql, serverVersion))!;
    const [statement] = await resolveWithCatalog(client, [analyzed!]);
    const predicted = new Map<number, LockMode>();
    for (const lock of statement!.locks) {
      const oid = await oidOf(lock.relation);
      if (oid !== undefined) predicted.set(oid, lock.mode);
    }
    const tables = await tablesById();
    const targetOid = statement!.table === undefined ? undefined : await oidOf(statement!.table);
    const { locks, rewritten } = await observe(sql);
    const name = (oid: number) => tables.get(oid) ?? String(oid);
    // Every relation it names: the lock the server took.
    const expected = Object.fromEntries([...predicted].map(([oid, mode]) => [name(oid), lockName(mode)]));
    const seen = Object.fromEntries([...predicted.keys()].map((oid) => [name(oid), locks.has(oid) ? lockName(locks.get(oid)!) : 'none']));
    expect(seen, `${statement!.kind}: locks`).toEqual(expected);
    // Every table it does not name: nothing that blocks the application.
    const missed = [...locks].filter(([oid, mode]) => tables.has(oid) && !predicted.has(oid) && !NOT_BLOCKING.includes(mode)).map(([oid, mode]) => `${name(oid)}: ${lockName(mode)}`);
    expect(missed, `${statement!.kind}: locks not predicted`).toEqual([]);
    // The rewrite, on the statement's own table.
    if (targetOid !== undefined && tables.has(targetOid)) {
      expect(rewritten.has(targetOid), `${statement!.kind}: rewrites ${name(targetOid)}`).toBe(statement!.rewrites);
    }
  });
});
