import { describe, expect, it } from 'vitest';
import { describeDrops } from '../../src/migrations/drops.js';

describe('what a down file drops', () => {
  it.each([
    ['tables, with CASCADE', 'DROP TABLE a, public.b CASCADE;', ['table a (cascade)', 'table public.b (cascade)']],
    ['a table, IF EXISTS', 'DROP TABLE IF EXISTS a;', ['table a']],
    ['a view', 'DROP VIEW v;', ['view v']],
    ['a materialized view', 'DROP MATERIALIZED VIEW s.mv;', ['materialized view s.mv']],
    ['an index', 'DROP INDEX CONCURRENTLY IF EXISTS s.i;', ['index s.i']],
    ['a sequence', 'DROP SEQUENCE q;', ['sequence q']],
    ['types', 'DROP TYPE mood, s.status;', ['type mood', 'type s.status']],
    ['a schema', 'DROP SCHEMA s CASCADE;', ['schema s (cascade)']],
    ['functions', 'DROP FUNCTION f(int), s.g(varchar(10)[], text), h;', ['function f(integer)', 'function s.g(varchar[], text)', 'function h']],
    ['extensions', 'DROP EXTENSION IF EXISTS pgcrypto, hstore;', ['extension pgcrypto', 'extension hstore']],
    ['a trigger', 'DROP TRIGGER x ON t;', ['trigger x on t']],
    ['a trigger on a qualified table', 'DROP TRIGGER x ON s.t;', ['trigger x on s.t']],
    ['a policy', 'DROP POLICY p ON t;', ['policy p on t']],
    ['a domain', 'DROP DOMAIN d;', ['domain d']],
    ['columns', 'ALTER TABLE t DROP COLUMN c, DROP COLUMN IF EXISTS d;', ['column t.c', 'column t.d']],
    ['a column of a qualified table, only', 'ALTER TABLE ONLY s.t DROP COLUMN c CASCADE;', ['column s.t.c (cascade)']],
    ['a constraint', 'ALTER TABLE t DROP CONSTRAINT k;', ['constraint k on t']],
    ['a constraint among other changes', 'ALTER TABLE t ADD COLUMN z int, DROP CONSTRAINT IF EXISTS k, ALTER COLUMN y DROP DEFAULT;', ['constraint k on t']],
    ['an attribute of a type', 'ALTER TYPE pair DROP ATTRIBUTE b;', ['attribute pair.b']],
    ['TRUNCATE', 'TRUNCATE a, b;', ['all rows of a', 'all rows of b']],
    ['TRUNCATE CASCADE', 'TRUNCATE TABLE ONLY s.a RESTART IDENTITY CASCADE;', ['all rows of s.a (cascade)']],
    ['DELETE without WHERE', 'DELETE FROM t;', ['all rows of t']],
    ['DELETE with WHERE', 'DELETE FROM s.t WHERE id > 10;', ['rows of s.t']],
    ['DELETE in a WITH', 'WITH gone AS (DELETE FROM t RETURNING *) INSERT INTO archive SELECT * FROM gone;', ['all rows of t']],
    ['a database and a role', 'DROP DATABASE old; DROP ROLE r1, r2;', ['database old', 'role r1', 'role r2']],
    ['quoted names, unquoted', 'DROP TABLE "Weird"."T";', ['table Weird.T']],
  ])('names %s', async (_, sql, expected) => {
    expect(await describeDrops(sql)).toEqual(expected);
  });

  it('lists everything in file order, skipping what destroys nothing', async () => {
    const sql = [
      '-- 0042 down: undo the orders split',
      '/* DROP TABLE not_this; */',
      'CREATE TABLE keep (id int);',
      "INSERT INTO keep VALUES (1); SELECT 'DROP TABLE nor_this';",
      'ALTER TABLE orders DROP COLUMN split_id;',
      'UPDATE orders SET total = 0;',
      'DROP TABLE order_parts;',
      'DELETE FROM audit WHERE kind = $$split$$;',
      "COMMENT ON TABLE orders IS 'DROP TABLE orders';",
    ].join('\n');
    expect(await describeDrops(sql)).toEqual(['column orders.split_id', 'table order_parts', 'rows of audit']);
  });

  it('does not look into a DO block, whose body is only a string to the grammar', async () => {
    const sql = 'DO $$ BEGIN EXECUTE \'DROP TABLE x\'; DROP TABLE y; END $$;\nDROP VIEW v;';
    expect(await describeDrops(sql)).toEqual(['view v']);
  });

  it.each([
    ['an empty file', ''],
    ['blank lines', '\n  \n'],
    ['only comments', '-- nothing to undo\n/* really */'],
    ['only non-destructive statements', 'CREATE INDEX i ON t (a); ALTER TABLE t RENAME TO u; UPDATE t SET a = 1;'],
  ])('finds nothing in %s', async (_, sql) => {
    expect(await describeDrops(sql)).toEqual([]);
  });

  it('is undefined for a file that does not parse', async () => {
    expect(await describeDrops('DROP TABLE a;\nDROPP TABLE b;')).toBeUndefined();
    expect(await describeDrops("DROP TABLE 'a';")).toBeUndefined();
  });
});
