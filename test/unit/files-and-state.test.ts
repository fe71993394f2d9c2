import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadMigrationFiles } from 'postgres-migrations';
import { describe, expect, it } from 'vitest';
import { lineAndColumn, pgFields, retryDelayMs } from '../../src/migrations/apply.js';
import { hashMigration, loadMigrations, parseFileName, tableMigration, validateFileNames, type MigrationFile } from '../../src/migrations/files.js';
import { pendingMigrations, revisionOf } from '../../src/migrations/state.js';
import { CREATE_MIGRATIONS_TABLE_SQL } from '../../src/migrations/table.js';
import { migrationsDir } from '../support/platform.js';

describe('file names', () => {
  it('parses names as postgres-migrations does', () => {
    expect(parseFileName('1_create-users.sql')).toEqual({ id: 1, name: 'create-users', fileName: '1_create-users.sql', kind: 'sql' });
    expect(parseFileName('001-x.SQL')).toMatchObject({ id: 1, name: 'x', kind: 'sql' });
    expect(parseFileName('12.js')).toMatchObject({ id: 12, name: '12.js', kind: 'js' });
    expect(parseFileName('create-users.sql')).toBeUndefined();
  });

  it('ignores files that are not .sql or .js', () => {
    expect(validateFileNames(['README.md', '1_a.sql', '.DS_Store', 'package.json'], 'm').map((f) => f.fileName)).toEqual(['1_a.sql']);
  });

  it.each([
    [[], /migrations-dir "m" has no migration files; add files named <id>_<name>\.sql/],
    [['add-users.sql'], /Migration file m\/add-users\.sql has no id at the start of its name; rename it to <id>_<name>\.sql/],
    [['0_init.sql'], /m\/0_init\.sql has id 0; ids start at 1 \(0 is the built-in table migration\)/],
    [['-1_x.sql'], /has id -1/],
    [['1_a.sql', '99999999999_b.sql'], /has id 99999999999/],
    [['1_a.sql', '2_b.sql', '4_d.sql'], /m\/4_d\.sql has id 4 but follows 2_b\.sql, so id 3 is missing/],
    [['2_b.sql'], /has id 2 but follows the start, so id 1 is missing/],
    [['1_a.sql', '2_add-email.sql', '2_add-phone.sql'], /Migration files 2_add-email\.sql, 2_add-phone\.sql in m share id 2: most likely two branches each added a migration\. Renumber the one merged last to 3/],
  ])('rejects %j', (names, message) => {
    expect(() => validateFileNames(names, 'm')).toThrow(message);
  });
});

describe('loading files', () => {
  it('hashes exactly as postgres-migrations loadMigrationFiles does (SQL, BOM, CRLF, CommonJS .js)', async () => {
    const dir = migrationsDir({
      'package.json': '{ "type": "commonjs" }',
      '1_plain.sql': 'CREATE TABLE a (id int);\n',
      '2_bom.sql': '\uFEFFCREATE TABLE b (id int);\n',
      '3_crlf.sql': 'CREATE TABLE c (id int);\r\nSELECT 1;\r\n',
      '4_gen.js': 'exports.generateSql = () => "CREATE TABLE d (id int);";\n',
    });
    const ours = (await loadMigrations(dir, 'm')).map((m) => ({ id: m.id, name: m.name, hash: m.hash, sql: m.sql }));
    const theirs = (await loadMigrationFiles(dir)).map((m) => ({ id: m.id, name: m.name, hash: m.hash, sql: m.sql }));
    expect(ours).toEqual(theirs);
    const example = path.resolve('migrations-example');
    expect((await loadMigrations(example, 'x')).map((m) => m.hash)).toEqual((await loadMigrationFiles(example)).map((m) => m.hash));
  });

  it('carries the table migration byte for byte from postgres-migrations', () => {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('postgres-migrations'));
    expect(CREATE_MIGRATIONS_TABLE_SQL).toBe(readFileSync(path.join(pkg, 'migrations', '0_create-migrations-table.sql'), 'utf8'));
    expect(tableMigration().hash).toBe(hashMigration('0_create-migrations-table.sql', CREATE_MIGRATIONS_TABLE_SQL));
  });

  it('marks disable-transaction files', async () => {
    const files = await loadMigrations(path.resolve('migrations-example'), 'x');
    expect(files.map((f) => f.transaction)).toEqual([true, true, false, true]);
  });

  it.each([
    ['a missing directory', () => path.join(os.tmpdir(), 'no-such-migrations-dir'), /migrations-dir "m" does not exist; set migrations-dir to the directory of migration files/],
    ['a file instead of a directory', () => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ma-')), 'migrations');
      writeFileSync(file, '');
      return file;
    }, /migrations-dir "m" is a file, not a directory/],
    ['non-UTF-8 content', () => migrationsDir({ '1_latin1.sql': Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xe9, 0x27]) }), /Migration file m\/1_latin1\.sql is not valid UTF-8; save it as UTF-8/],
    ['a link outside the directory', () => {
      const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'ma-')), 'secret.sql');
      writeFileSync(outside, 'SELECT 1;');
      const dir = migrationsDir({});
      symlinkSync(outside, path.join(dir, '1_link.sql'));
      return dir;
    }, /Migration file m\/1_link\.sql is a link to a file outside m; copy the file into the directory instead/],
    ['a .js file that throws', () => migrationsDir({ '1_x.js': 'export function generateSql() { throw new Error("boom"); }' }), /m\/1_x\.js: generateSql\(\) threw: boom; fix the function/],
    ['a .js file that returns a number', () => migrationsDir({ '1_x.js': 'export const generateSql = () => 42;' }), /m\/1_x\.js: generateSql\(\) returned number, not a string/],
    ['a .js file without generateSql', () => migrationsDir({ '1_x.js': 'export const sql = "SELECT 1";' }), /m\/1_x\.js does not export a generateSql function/],
    ['a .js file with a syntax error', () => migrationsDir({ '1_x.js': 'export function generateSql( {' }), /m\/1_x\.js could not be loaded: .*; fix the JavaScript error/],
  ])('rejects %s with a one-line message naming it', async (_, make, message) => {
    const dir = make();
    const error = await loadMigrations(dir, 'm').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });
});

function file(id: number, sql: string, fileName = `${id}_m${id}.sql`): MigrationFile {
  return { id, name: fileName.replace(/^\d+_|\.sql$/g, ''), fileName, label: `m/${fileName}`, sql, hash: hashMigration(fileName, sql), kind: 'sql', transaction: true };
}

describe('drift check (pure)', () => {
  const files = [tableMigration(), file(1, 'A;\n'), file(2, 'B;\n'), file(3, 'C;\n')];
  const row = (f: MigrationFile) => ({ id: f.id, name: f.name, hash: f.hash });

  it('returns what is pending, in order', () => {
    expect(pendingMigrations(files, [], 'm').map((f) => f.id)).toEqual([0, 1, 2, 3]);
    expect(pendingMigrations(files, files.slice(0, 2).map(row), 'm').map((f) => f.id)).toEqual([2, 3]);
    expect(pendingMigrations(files, files.map(row), 'm')).toEqual([]);
  });

  it('names a changed file, and says when only line endings or a BOM differ', () => {
    const applied = files.map(row);
    expect(() => pendingMigrations([...files.slice(0, 2), file(2, 'B2;\n'), files[3]!], applied, 'm')).toThrow(/m\/2_m2\.sql changed after it was applied \(id 2/);
    expect(() => pendingMigrations([...files.slice(0, 2), file(2, 'B;\r\n'), files[3]!], applied, 'm')).toThrow(/the only difference is the line endings/);
    expect(() => pendingMigrations([...files.slice(0, 2), file(2, '\uFEFFB;\n'), files[3]!], applied, 'm')).toThrow(/the only difference is a byte-order mark/);
    expect(() => pendingMigrations([...files.slice(0, 2), file(2, '\uFEFFB;\r\n'), files[3]!], applied, 'm')).toThrow(/the only difference is the line endings and a byte-order mark/);
  });

  it('names an applied migration without a file, and a pending id below the head', () => {
    expect(() => pendingMigrations(files.slice(0, 3), files.map(row), 'm')).toThrow(/The database has migration 3 "m3" applied, but m has no file with id 3/);
    expect(() => pendingMigrations(files, [row(files[0]!), row(files[1]!), row(files[3]!)], 'm')).toThrow(/m\/2_m2\.sql \(id 2\) is not applied, but migration 3 already is/);
  });

  it('computes the revision', () => {
    expect(revisionOf([])).toEqual({ id: 0, name: '' });
    expect(revisionOf(files.slice(0, 1).map(row))).toEqual({ id: 0, name: '' });
    expect(revisionOf(files.map(row))).toEqual({ id: 3, name: 'm3' });
  });
});

describe('error positions and retries', () => {
  it('turns a PostgreSQL character position into line and column', () => {
    expect(lineAndColumn('SELECT 1;', 1)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('a\nbc\ndef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('a\nbc\ndef', 6)).toEqual({ line: 3, column: 1 });
    // PostgreSQL counts characters: an emoji is one, not two UTF-16 units
    expect(lineAndColumn("-- 🐘\nSELEC 1;", 6)).toEqual({ line: 2, column: 1 });
  });

  it('keeps the PostgreSQL error fields', () => {
    const error = Object.assign(new Error('column "x" does not exist'), { code: '42703', position: '8', hint: 'Perhaps y.', detail: '' });
    expect(pgFields(error)).toEqual({ code: '42703', message: 'column "x" does not exist', position: 8, hint: 'Perhaps y.', detail: undefined, where: undefined });
  });

  it('backs off 1 s, 2 s, 4 s … up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
