import { describe, expect, it } from 'vitest';
import { revisionAfterUndo, type HelperRevision, type HelperState } from '../../src/engines/alembic.js';
import { parseMigration } from '../../src/engines/dbmate.js';
import { disablesDown, downSection } from '../../src/engines/node-pg-migrate.js';
import { hasStatements, linearUndo } from '../../src/engines/rollback.js';
import type { AppliedRecord, EngineMigration } from '../../src/engines/types.js';
import { validateFileNames } from '../../src/migrations/files.js';
import { unrecordSql } from '../../src/migrations/undo.js';
import { renderSummary, toOutputs } from '../../src/report.js';
import type { RunResult } from '../../src/run.js';

const record = (id: string): AppliedRecord => ({ id, name: `n${id}`, fileName: `${id}_n.sql` });
const pending = (id: string): EngineMigration => ({ id, name: `n${id}`, fileName: `${id}_n.sql`, label: `db/${id}_n.sql` });
const state = { applied: ['1', '2', '3', '4'].map(record), pending: [pending('5')] };
const where = { where: 'db', idHint: 'a number' };
const ids = (result: ReturnType<typeof linearUndo>) => ({ undo: result.undo.map((r) => r.id), stays: result.stays?.id });

describe('linearUndo', () => {
  it('undoes from the head down to the target, the latest first', () => {
    expect(ids(linearUndo(state, { kind: 'revision', id: '2' }, where))).toEqual({ undo: ['4', '3'], stays: '2' });
    expect(ids(linearUndo(state, { kind: 'steps', count: 1 }, where))).toEqual({ undo: ['4'], stays: '3' });
    expect(ids(linearUndo(state, { kind: 'steps', count: 4 }, where))).toEqual({ undo: ['4', '3', '2', '1'], stays: undefined });
    expect(ids(linearUndo(state, { kind: 'base' }, where))).toEqual({ undo: ['4', '3', '2', '1'], stays: undefined });
  });

  it('does nothing for a target at or above the head (applied, or pending)', () => {
    expect(ids(linearUndo(state, { kind: 'revision', id: '4' }, where))).toEqual({ undo: [], stays: '4' });
    expect(ids(linearUndo(state, { kind: 'revision', id: '5' }, where))).toEqual({ undo: [], stays: '4' });
    expect(ids(linearUndo({ applied: [], pending: [] }, { kind: 'base' }, where))).toEqual({ undo: [], stays: undefined });
  });

  it('refuses -N beyond what is applied, and an id the files do not have', () => {
    expect(() => linearUndo(state, { kind: 'steps', count: 5 }, where)).toThrow(
      'Input target-revision -5 would undo 5 migration(s), but only 4 are applied; use base (or 0) to undo every applied migration.',
    );
    expect(() => linearUndo({ applied: [], pending: [] }, { kind: 'steps', count: 1 }, where)).toThrow(/but none is applied/);
    expect(() => linearUndo(state, { kind: 'revision', id: '9' }, where)).toThrow('Input target-revision 9 is not a migration in db; use a number, base (or 0) for none, or -N for the last N.');
  });
});

describe('hasStatements', () => {
  it.each([
    ['DROP TABLE a;', true],
    ['-- a comment\nDROP TABLE a', true],
    ["SELECT '--'", true],
    ['', false],
    ['   \n;\n', false],
    ['-- only a comment\n-- and another', false],
    ['/* block\n comment */ ;', false],
    ['\uFEFF-- postgres-migrations disable-transaction\n', false],
  ])('%j -> %s', (sql, expected) => {
    expect(hasStatements(sql)).toBe(expected);
  });
});

describe('node-pg-migrate down sections', () => {
  it('cuts the Down section as its sqlMigration.js does, and says when there is none', () => {
    const text = '-- Up Migration\nCREATE TABLE a (id int);\n-- Down Migration\nDROP TABLE a;\n';
    expect(downSection(text)).toEqual({ start: text.indexOf('-- Down'), sql: '-- Down Migration\nDROP TABLE a;\n' });
    // Down before Up: up to the Up marker.
    const reversed = '-- down migration\nDROP TABLE a;\n-- up migration\nCREATE TABLE a (id int);\n';
    expect(downSection(reversed)?.sql).toBe('-- down migration\nDROP TABLE a;\n');
    expect(downSection('-- Up Migration\nCREATE TABLE a (id int);\n')).toBeUndefined();
    expect(downSection('CREATE TABLE a (id int);')).toBeUndefined();
  });

  it.each([
    ['exports.down = false;', true],
    ['export const down = false;', true],
    ['module.exports = { up, down: false };', true],
    ['export const down = (pgm) => pgm.dropTable("a");', false],
    ['exports.up = (pgm) => pgm.createTable("a", {});', false],
    ['const downgraded = false;', false],
  ])('a module with %j disables down: %s', (source, expected) => {
    expect(disablesDown(source)).toBe(expected);
  });
});

describe('dbmate down sections', () => {
  it('keeps the down section, its line and its transaction option', () => {
    const text = '-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY x;\n';
    const sections = parseMigration(text);
    expect(sections).toMatchObject([
      { transaction: true, down: '-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY x;\n', downStart: text.indexOf('-- migrate:down'), downTransaction: false },
    ]);
  });
});

describe('Alembic: the revision after an undo', () => {
  const rev = (revision: string, needs: string[], doc = revision.toUpperCase()): HelperRevision => ({ revision, doc, path: `/v/${revision}.py`, down_revision: needs, needs });
  const graph = (applied: HelperRevision[]): HelperState => ({
    script_dir: '/v',
    current: [],
    heads: [],
    applied,
    pending: [],
    version_table: 'alembic_version',
    version_table_schema: null,
  });
  const branches = graph([rev('a1', []), rev('b2', ['a1']), rev('c3', ['a1']), rev('m4', ['b2', 'c3'])]);

  it('is the heads of what stays applied', () => {
    expect(revisionAfterUndo(branches, ['m4'])).toEqual({ id: 'b2 c3', name: '' });
    expect(revisionAfterUndo(branches, ['m4', 'c3'])).toEqual({ id: 'b2', name: 'B2' });
    expect(revisionAfterUndo(branches, ['m4', 'c3', 'b2', 'a1'])).toEqual({ id: '', name: '', none: true });
  });
});

describe('native down files', () => {
  it.each([
    ['3_add-email.down.sql', '3_add-email.sql'],
    ['3_add-email.undo.SQL', '3_add-email.SQL'],
    ['4_seed.down.js', '4_seed.js'],
  ])('refuses %s beside the up files, pointing at down/%s', (name, upName) => {
    expect(() => validateFileNames(['1_a.sql', '2_b.sql', '3_add-email.sql', name], 'db')).toThrow(
      `Migration file db/${name} looks like a down file, but postgres-migrations reads every .sql and .js file of db as an up migration ` +
        `(it fails with "Found a non-consecutive migration ID", or runs it as the next one): move it to db/down/${upName}, the name of the file it undoes.`,
    );
  });

  it('leaves names that only contain the word alone', () => {
    expect(validateFileNames(['1_slow-down.sql', '2_undo-log.sql', '3_count.down'], 'db').map((f) => f.fileName)).toEqual(['1_slow-down.sql', '2_undo-log.sql']);
  });

  it("removes the row only in the undo's own transaction and the session that holds the lock", () => {
    const down = { id: 3, name: 'x', fileName: '3_x.sql', label: 'db/down/3_x.sql', sql: 'DROP TABLE x;', hash: '', kind: 'sql' as const, transaction: true };
    expect(unrecordSql('"public"."migrations"', down, { lockPid: 42, role: 'app owner' })).toBe(
      'SET SESSION AUTHORIZATION DEFAULT; SET ROLE "app owner"; DELETE FROM "public"."migrations" WHERE "id" = 3 AND ' +
        'transaction_timestamp() < statement_timestamp() AND pg_backend_pid() = 42 RETURNING "id"',
    );
    expect(unrecordSql('m', { ...down, transaction: false }, { lockPid: 7 })).toContain('transaction_timestamp() = statement_timestamp() AND pg_backend_pid() = 7');
  });
});

describe('the report of a rollback', () => {
  const base: RunResult = {
    command: 'rollback',
    engine: 'postgres-migrations',
    status: 'rolled-back',
    previous: { id: '5', name: 'e' },
    revision: { id: '3', name: 'c' },
    applied: [],
    rolledBack: [
      { id: '5', fileName: '5_e.sql', label: 'db/down/5_e.sql', durationMs: 12, transaction: true },
      { id: '4', fileName: '4_d.sql', label: 'db/down/4_d.sql', durationMs: 30, transaction: false },
    ],
    pending: ['4_d.sql', '5_e.sql'],
    targetRevision: '3',
    backup: {
      path: '/b/shop-r5-20261125T101010Z.dump',
      sizeBytes: 2048,
      durationMs: 100,
      format: 'custom',
      pgDump: { path: '/usr/bin/pg_dump', major: 17, version: '17.2' },
      restoreCommand: "pg_restore --clean --if-exists --no-owner --dbname \"$DATABASE_URL\" '/b/shop-r5-20261125T101010Z.dump'",
    },
    backupsRemoved: ['/b/shop-r4-20261101T101010Z.dump'],
    durationMs: 500,
  };

  it('sets rolled-back and its count, the latest first', () => {
    expect(toOutputs(base)).toMatchObject({ status: 'rolled-back', 'rolled-back-count': '2', 'rolled-back': '["5_e.sql","4_d.sql"]', revision: '3', 'previous-revision': '5' });
  });

  it('shows what was undone, then the backup with its restore command and what retention removed', () => {
    const summary = renderSummary(base);
    expect(summary).toContain('## ↩️ Migrations rolled back');
    expect(summary).toContain('| Rolled back | 2 |');
    expect(summary).toContain('| 4 | `db/down/4_d.sql` | no (disable-transaction) | 30 ms |');
    expect(summary.indexOf('### Backup')).toBeGreaterThan(summary.indexOf('### Rolled back'));
    expect(summary).toContain('| Older dumps removed (backup-retention) | `shop-r4-20261101T101010Z.dump` |');
    expect(summary).toContain(base.backup!.restoreCommand);
  });

  it('shows a dry run: each down SQL, what it drops, fenced against the SQL it shows', () => {
    const sql = 'DROP TABLE users; -- ```` not a fence';
    const dry: RunResult = {
      ...base,
      status: 'pending',
      rolledBack: [],
      backup: undefined,
      backupsRemoved: undefined,
      undo: [
        { migration: { id: '5', name: 'e', fileName: '5_e.sql', label: 'db/down/5_e.sql', sql, transaction: true }, drops: ['table users'] },
        { migration: { id: '4', name: 'd', fileName: '4_d.sql', label: 'db/4_d.js', sqlNote: 'known only when it runs' } },
      ],
    };
    const summary = renderSummary(dry);
    expect(summary).toContain('## 📋 Rollback dry run: migrations to undo');
    expect(summary).toContain('**drops table users**');
    expect(summary).toContain('`````sql\nDROP TABLE users; -- ```` not a fence\n`````');
    expect(summary).toContain('-- known only when it runs');
    expect(summary).not.toContain('### Backup');
  });
});
