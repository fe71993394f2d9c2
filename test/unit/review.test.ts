import { describe, expect, it } from 'vitest';
import { typeChangeRewrites } from '../../src/review/catalog.js';
import { ignoresAbove } from '../../src/review/rules.js';
import { describeStatement, roughCount, type ReviewedStatement } from '../../src/review/describe.js';
import { blocks, lockName } from '../../src/review/locks.js';
import { analyzeSql } from '../../src/review/statements.js';
import { formatBytes } from '../../src/report.js';

describe('lock names and what they block', () => {
  it.each([
    ['AccessExclusiveLock', 'ACCESS EXCLUSIVE', 'reads and writes'],
    ['ShareRowExclusiveLock', 'SHARE ROW EXCLUSIVE', 'writes'],
    ['ShareLock', 'SHARE', 'writes'],
    ['ShareUpdateExclusiveLock', 'SHARE UPDATE EXCLUSIVE', 'schema changes'],
    ['RowExclusiveLock', 'ROW EXCLUSIVE', 'nothing of the application'],
  ] as const)('%s is %s and blocks %s', (mode, name, blocked) => {
    expect(lockName(mode)).toBe(name);
    expect(blocks(mode)).toBe(blocked);
  });
});

describe('statements as PostgreSQL parses them', () => {
  it('finds each statement at the line of its first keyword, counting bytes as libpg-query does', async () => {
    const sql = '-- Größe: ü ï é\n/* block\n comment */\nALTER TABLE "Ünïcode" ADD COLUMN a int;\n\n  -- next\n  CREATE INDEX i ON t (c);';
    const statements = await analyzeSql(sql, 160_000);
    expect(statements!.map((s) => [s.line, s.kind, s.table, s.text])).toEqual([
      [4, 'ALTER TABLE ADD COLUMN', '"Ünïcode"', 'ALTER TABLE "Ünïcode" ADD COLUMN a int'],
      [7, 'CREATE INDEX', 't', 'CREATE INDEX i ON t (c)'],
    ]);
  });

  it('is version-aware: a constant default rewrites before PostgreSQL 11 only; attaching a partition locks the parent less since 12', async () => {
    const [add10] = (await analyzeSql('ALTER TABLE t ADD COLUMN a int DEFAULT 0', 100_000))!;
    const [add11] = (await analyzeSql('ALTER TABLE t ADD COLUMN a int DEFAULT 0', 110_000))!;
    expect([add10!.rewrites, add11!.rewrites]).toEqual([true, false]);
    const [attach11] = (await analyzeSql("ALTER TABLE p ATTACH PARTITION c FOR VALUES IN ('a')", 110_000))!;
    const [attach12] = (await analyzeSql("ALTER TABLE p ATTACH PARTITION c FOR VALUES IN ('a')", 120_000))!;
    expect(attach11!.locks).toEqual([
      { relation: 'p', mode: 'AccessExclusiveLock', role: 'target' },
      { relation: 'c', mode: 'AccessExclusiveLock', role: 'referenced' },
    ]);
    expect(attach12!.locks[0]!.mode).toBe('ShareUpdateExclusiveLock');
  });

  it('names the referenced table of a foreign key, and leaves the table of a dropped index to the catalog', async () => {
    const [fk, drop] = (await analyzeSql('ALTER TABLE s.items ADD FOREIGN KEY (o) REFERENCES s.orders (id) NOT VALID; DROP INDEX s.i', 160_000))!;
    expect(fk!.locks).toEqual([
      { relation: 's.items', mode: 'ShareRowExclusiveLock', role: 'target' },
      { relation: 's.orders', mode: 'ShareRowExclusiveLock', role: 'referenced' },
    ]);
    expect(fk!.scans).toBe(false);
    expect(drop!.pending).toEqual([{ kind: 'table-of-index', index: 's.i', mode: 'AccessExclusiveLock' }]);
  });

  it('says undefined for SQL the grammar refuses', async () => {
    expect(await analyzeSql('ALTER TABLE', 160_000)).toBeUndefined();
  });
});

describe('type changes that do not rewrite', () => {
  it.each([
    ['character varying', 'character varying(20)', 'varchar', [50], false],
    ['character varying', 'character varying(20)', 'varchar', [10], true],
    ['character varying', 'character varying(20)', 'varchar', [], false],
    ['character varying', 'character varying(20)', 'text', [], false],
    ['text', 'text', 'varchar', [10], true],
    ['numeric', 'numeric(10,2)', 'numeric', [14, 2], false],
    ['numeric', 'numeric(10,2)', 'numeric', [12, 3], true],
    ['integer', 'integer', 'int8', [], true],
    ['character', 'character(3)', 'bpchar', [5], true],
  ] as const)('%s (%s) to %s%j rewrites: %s', (base, full, to, mods, expected) => {
    expect(typeChangeRewrites(base, full, to, mods)).toBe(expected);
  });
});

describe('one line a reviewer reads', () => {
  it('names lock, table, size, rows, what it blocks, and the rewrite', () => {
    const statement = {
      kind: 'ALTER TABLE ADD COLUMN',
      line: 3,
      text: '',
      sql: '',
      locks: [{ relation: 'public.orders', mode: 'AccessExclusiveLock', role: 'target' }],
      pending: [],
      rewrites: true,
      scans: false,
      node: {},
      nodeKind: 'AlterTableStmt',
      sizes: new Map([['public.orders', { bytes: 48 * 1024 ** 3, rows: 3e8 }]]),
    } satisfies ReviewedStatement;
    expect(describeStatement(statement, formatBytes)).toBe('ACCESS EXCLUSIVE on public.orders (48.00 GiB, ~300M rows); blocks reads and writes; rewrites the table');
    expect([roughCount(12), roughCount(4_200), roughCount(20_000), roughCount(3e8), roughCount(2.5e9)]).toEqual(['~12', '~4.2k', '~20k', '~300M', '~2.5G']);
  });
});

describe('names, lines and comments as real files have them', () => {
  it('quotes names PostgreSQL would not fold (mixed case, spaces), so that the catalog reads the right table', async () => {
    const [statement] = (await analyzeSql('ALTER TABLE "Orders" ADD COLUMN a int; ', 160_000))!;
    expect(statement!.table).toBe('"Orders"');
    const [spaced] = (await analyzeSql('DROP TABLE app."order items"', 160_000))!;
    expect(spaced!.locks.map((l) => l.relation)).toEqual(['app."order items"']);
  });

  it('counts lines in one pass over a large file', async () => {
    const sql = Array.from({ length: 5_000 }, (_, i) => `INSERT INTO t VALUES (${i});`).join('\n');
    const statements = (await analyzeSql(sql, 160_000))!;
    expect(statements.map((s) => s.line).slice(-2)).toEqual([4_999, 5_000]);
  });

  it('reads every ignore comment right above a statement, CRLF lines included', () => {
    const lines = ['SELECT 1;', '-- migrate-action:ignore lock-timeout the table is empty\r', '-- migrate-action:ignore breaking-change unused since 41\r', 'ALTER TABLE t DROP COLUMN c;'];
    expect([...ignoresAbove(lines, 4)]).toEqual([
      ['breaking-change', 'unused since 41'],
      ['lock-timeout', 'the table is empty'],
    ]);
    expect(ignoresAbove(lines, 1).size).toBe(0);
  });
});
