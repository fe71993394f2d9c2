import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadMigrationFiles } from 'postgres-migrations';
import { describe, expect, it } from 'vitest';
import { executableSql, retryDelayMs } from '../../src/migrations/apply.js';
import { lineAndColumn, pgFields } from '../../src/migrations/failure.js';
import { hashMigration, isOutside, loadMigrations, parseFileName, tableMigration, validateFileNames, type MigrationFile } from '../../src/migrations/files.js';
import { encodingOnlyDifference, pendingMigrations, revisionOf } from '../../src/migrations/state.js';
import { CREATE_MIGRATIONS_TABLE_SQL } from '../../src/migrations/table.js';
import { migrationsDir } from '../support/platform.js';

const theirParseFileName = (createRequire(import.meta.url)('postgres-migrations/dist/file-name-parser.js') as {
  parseFileName(name: string): { id: number; name: string; type: string };
}).parseFileName;

const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex');

async function loadError(dir: string): Promise<Error | undefined> {
  return loadMigrations(dir, 'm').then(
    () => undefined,
    (e: Error) => e,
  );
}

describe('file names', () => {
  it('parses names as postgres-migrations does', () => {
    expect(parseFileName('1_create-users.sql')).toEqual({ id: 1, name: 'create-users', fileName: '1_create-users.sql', kind: 'sql' });
    expect(parseFileName('001-x.SQL')).toMatchObject({ id: 1, name: 'x', kind: 'sql' });
    expect(parseFileName('12.js')).toMatchObject({ id: 12, name: '12.js', kind: 'js' });
    expect(parseFileName('create-users.sql')).toBeUndefined();
  });

  it.each(['1_create-users.sql', '001_x.sql', '01-a.sql', '2x.sql', '12.js', '3_.sql', '4_a.b.c.sql', '5_UPPER.SQL', '6_m.Js', '-1_neg.sql', '7__double.sql'])(
    'parses %s exactly as postgres-migrations does',
    (name) => {
      const theirs = theirParseFileName(name);
      expect(parseFileName(name)).toEqual({ id: theirs.id, name: theirs.name, fileName: name, kind: theirs.type });
    },
  );

  it('parses 001_x.sql as id 1', () => {
    expect(parseFileName('001_x.sql')).toEqual({ id: 1, name: 'x', fileName: '001_x.sql', kind: 'sql' });
  });

  it('orders ids numerically, not by name', () => {
    const names = Array.from({ length: 12 }, (_, i) => `${i + 1}_m${i + 1}.sql`).reverse();
    expect(validateFileNames(names, 'm').map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('accepts the largest id PostgreSQL can store only as part of a consecutive run (so it says which id is missing)', () => {
    expect(() => validateFileNames(['1_a.sql', '2147483647_b.sql'], 'm')).toThrow(/2147483647_b\.sql has id 2147483647 but follows 1_a\.sql, so id 2 is missing/);
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
    [['1_a.sql', '2147483648_b.sql'], /m\/2147483648_b\.sql has id 2147483648; ids start at 1/],
    [['README.md', 'notes.txt'], /migrations-dir "m" has no migration files/],
    [['1_a.sql', 'seed.js'], /Migration file m\/seed\.js has no id at the start of its name/],
    [['1_a.sql', '3_c.sql', '4_d.sql'], /m\/3_c\.sql has id 3 but follows 1_a\.sql, so id 2 is missing; restore the missing file or rename 3_c\.sql to start with 2_/],
    [['1_a.sql', '2_b.sql', '2_b.js'], /Migration files 2_b\.js, 2_b\.sql in m share id 2: most likely two branches each added a migration/],
    [['1_a.sql', '01_b.sql'], /Migration files 01_b\.sql, 1_a\.sql in m share id 1/],
    [['1_a.sql', '2_b.sql', '4_d.sql'], /m\/4_d\.sql has id 4 but follows 2_b\.sql, so id 3 is missing/],
    [['2_b.sql'], /has id 2 but follows the start, so id 1 is missing/],
    [['1_a.sql', '2_add-email.sql', '2_add-phone.sql'], /Migration files 2_add-email\.sql, 2_add-phone\.sql in m share id 2: most likely two branches each added a migration\. Renumber the one merged last to 3/],
  ])('rejects %j', (names, message) => {
    expect(() => validateFileNames(names, 'm')).toThrow(message);
    try {
      validateFileNames(names, 'm');
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('points the duplicate-id error at the second file', () => {
    try {
      validateFileNames(['1_a.sql', '2_x.sql', '2_y.sql', '3_z.sql'], 'db');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/Renumber the one merged last to 4 /);
      expect((error as { location?: unknown }).location).toEqual({ file: 'db/2_y.sql' });
    }
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
    const ours = (await loadMigrations(dir, 'm')).map((m) => ({ id: m.id, name: m.name, fileName: m.fileName, hash: m.hash, sql: m.sql }));
    const theirs = (await loadMigrationFiles(dir)).map((m) => ({ id: m.id, name: m.name, fileName: m.fileName, hash: m.hash, sql: m.sql }));
    expect(ours).toEqual(theirs);
    expect(ours.map((m) => m.id)).toEqual([0, 1, 2, 3, 4]);
    expect(ours[4]!.sql).toBe('CREATE TABLE d (id int);');
  });

  it('hashes unusual but valid names as postgres-migrations does', async () => {
    const dir = migrationsDir({
      '01_zero-padded.sql': 'SELECT 1;',
      '2-dash.SQL': 'SELECT 2;',
      '3.sql': 'SELECT 3;',
      '4_dots.in.name.sql': 'SELECT 4;',
      'notes.md': 'ignored',
    });
    const ours = (await loadMigrations(dir, 'm')).map((m) => [m.id, m.name, m.hash]);
    const theirs = (await loadMigrationFiles(dir)).map((m) => [m.id, m.name, m.hash]);
    expect(ours).toEqual(theirs);
    expect(ours.map(([, name]) => name)).toEqual(['create-migrations-table', 'zero-padded', 'dash', '3.sql', 'dots.in.name']);
  });

  it('reads files of any size whole, around the size of the read buffer, with multi-byte characters', async () => {
    const kib = 1024;
    // '€' is 3 bytes in UTF-8: the larger files have a character split across the 256 KiB boundary.
    const sizes = { '1_small.sql': 10, '2_edge-1.sql': 256 * kib - 1, '3_edge.sql': 256 * kib, '4_edge+1.sql': 256 * kib + 1, '5_big.sql': 700 * kib };
    const textOf = (bytes: number) => {
      if (bytes < 20) return 'SELECT 1;\n'.padEnd(bytes, ' ');
      const euros = Math.floor((bytes - 14) / 3) - 1;
      return `-- ${'€'.repeat(euros)}${'x'.repeat(bytes - 14 - 3 * euros)}\nSELECT 1;\n`;
    };
    const texts = Object.fromEntries(Object.entries(sizes).map(([name, bytes]) => [name, textOf(bytes)]));
    const dir = migrationsDir(texts);
    const ours = await loadMigrations(dir, 'm');
    const theirs = await loadMigrationFiles(dir);
    expect(ours.map((m) => Buffer.byteLength(m.sql))).toEqual([Buffer.byteLength(ours[0]!.sql), ...Object.values(sizes)]);
    expect(ours.map((m) => m.sql)).toEqual(theirs.map((m) => m.sql));
    expect(ours.map((m) => m.hash)).toEqual(theirs.map((m) => m.hash));
  });

  it('hashes migrations-example/postgres-migrations as postgres-migrations does', async () => {
    const example = path.resolve('migrations-example/postgres-migrations');
    const ours = (await loadMigrations(example, 'x')).map((m) => [m.id, m.name, m.hash]);
    const theirs = (await loadMigrationFiles(example)).map((m) => [m.id, m.name, m.hash]);
    expect(ours).toEqual(theirs);
    expect(ours).toHaveLength(4);
  });

  it('keeps a BOM in the SQL and the hash, as postgres-migrations reads the file', async () => {
    const dir = migrationsDir({ '1_bom.sql': '\uFEFFSELECT 1;\n' });
    const [, file] = await loadMigrations(dir, 'm');
    expect(file!.sql).toBe('\uFEFFSELECT 1;\n');
    expect(file!.hash).toBe(sha1('1_bom.sql\uFEFFSELECT 1;\n'));
    expect(file!.hash).not.toBe(sha1('1_bom.sqlSELECT 1;\n'));
    expect(executableSql(file!)).toBe('SELECT 1;\n');
  });

  it('labels files with the directory as the user wrote it', async () => {
    const dir = migrationsDir({ '1_a.sql': 'SELECT 1;' });
    const files = await loadMigrations(dir, 'db/migrations');
    expect(files[1]).toEqual({
      id: 1,
      name: 'a',
      fileName: '1_a.sql',
      label: 'db/migrations/1_a.sql',
      sql: 'SELECT 1;',
      hash: sha1('1_a.sqlSELECT 1;'),
      kind: 'sql',
      transaction: true,
    });
  });

  it.each([
    ['ESM with a named export', {}, 'export function generateSql() { return "CREATE TABLE e (id int);"; }\n'],
    ['ESM with a default export object', {}, 'export default { generateSql: () => "CREATE TABLE e (id int);" };\n'],
    ['ESM in a "type": "module" package', { 'package.json': '{ "type": "module" }' }, 'export const generateSql = () => "CREATE TABLE e (id int);";\n'],
    ['CommonJS without a package.json', {}, 'exports.generateSql = function () { return "CREATE TABLE e (id int);"; };\n'],
    ['CommonJS exports in a "type": "commonjs" package', { 'package.json': '{ "type": "commonjs" }' }, 'exports.generateSql = () => "CREATE TABLE e (id int);";\n'],
    ['CommonJS module.exports in a "type": "commonjs" package', { 'package.json': '{ "type": "commonjs" }' }, 'module.exports = { generateSql: () => "CREATE TABLE e (id int);" };\n'],
    ['CommonJS module.exports in a "type": "module" package', { 'package.json': '{ "type": "module" }' }, 'module.exports = { generateSql: () => "CREATE TABLE e (id int);" };\n'],
    ['CommonJS with require in a "type": "module" package', { 'package.json': '{ "type": "module" }' }, 'const os = require("node:os");\nmodule.exports.generateSql = () => typeof os.EOL === "string" ? "CREATE TABLE e (id int);" : "";\n'],
  ])('loads a .js migration: %s', async (_, extra, source) => {
    const dir = migrationsDir({ ...extra, '1_gen.js': source });
    const [, file] = await loadMigrations(dir, 'm');
    expect(file).toEqual({
      id: 1,
      name: 'gen',
      fileName: '1_gen.js',
      label: 'm/1_gen.js',
      sql: 'CREATE TABLE e (id int);',
      hash: sha1('1_gen.jsCREATE TABLE e (id int);'),
      kind: 'js',
      transaction: true,
    });
  });

  it('reads the disable-transaction marker from the SQL a .js file generates', async () => {
    const dir = migrationsDir({ '1_gen.js': 'export const generateSql = () => "-- postgres-migrations disable-transaction\\nCREATE INDEX CONCURRENTLY i ON t (c);";\n' });
    const [, file] = await loadMigrations(dir, 'm');
    expect(file!.transaction).toBe(false);
  });

  it('accepts a link to a file inside the directory', async () => {
    const dir = migrationsDir({ 'shared.txt': 'SELECT 1;' });
    symlinkSync(path.join(dir, 'shared.txt'), path.join(dir, '1_link.sql'));
    const [, file] = await loadMigrations(dir, 'm');
    expect(file!.sql).toBe('SELECT 1;');
  });

  it('carries the table migration byte for byte from postgres-migrations', () => {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('postgres-migrations'));
    const bytes = readFileSync(path.join(pkg, 'migrations', '0_create-migrations-table.sql'));
    expect(Buffer.from(CREATE_MIGRATIONS_TABLE_SQL, 'utf8').equals(bytes)).toBe(true);
    expect(CREATE_MIGRATIONS_TABLE_SQL).toBe(bytes.toString('utf8'));
    expect(tableMigration().hash).toBe(hashMigration('0_create-migrations-table.sql', CREATE_MIGRATIONS_TABLE_SQL));
  });

  it('marks disable-transaction files', async () => {
    const files = await loadMigrations(path.resolve('migrations-example/postgres-migrations'), 'x');
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
    ['a .js file that returns null', () => migrationsDir({ '1_x.js': 'export const generateSql = () => null;' }), /m\/1_x\.js: generateSql\(\) returned null, not a string; return the SQL as a string/],
    ['a .js file that returns a promise', () => migrationsDir({ '1_x.js': 'export async function generateSql() { return "SELECT 1"; }' }), /m\/1_x\.js: generateSql\(\) returned a Promise, not a string/],
    ['a CommonJS file that throws', () => migrationsDir({ 'package.json': '{ "type": "commonjs" }', '1_x.js': 'exports.generateSql = () => { throw new Error("cjs boom"); };' }), /m\/1_x\.js: generateSql\(\) threw: cjs boom; fix the function/],
    ['a CommonJS file without generateSql', () => migrationsDir({ 'package.json': '{ "type": "commonjs" }', '1_x.js': 'module.exports = { sql: "SELECT 1" };' }), /m\/1_x\.js does not export a generateSql function/],
    ['a .js file that throws while loading', () => migrationsDir({ '1_x.js': 'throw new Error("top-level boom");\nexport const generateSql = () => "";' }), /m\/1_x\.js could not be loaded: top-level boom; fix the JavaScript error/],
    ['a directory named like a migration', () => {
      const dir = migrationsDir({});
      mkdirSync(path.join(dir, '1_dir.sql'));
      return dir;
    }, /Migration file m\/1_dir\.sql is not a regular file/],
    ['a broken link', () => {
      const dir = migrationsDir({});
      symlinkSync(path.join(dir, 'gone.sql'), path.join(dir, '1_gone.sql'));
      return dir;
    }, /Migration file m\/1_gone\.sql disappeared or is a broken link; restore it/],
    ['a bad name among good files', () => migrationsDir({ '1_a.sql': 'SELECT 1;', 'b.sql': 'SELECT 2;' }), /Migration file m\/b\.sql has no id/],
    ['a .js file without generateSql', () => migrationsDir({ '1_x.js': 'export const sql = "SELECT 1";' }), /m\/1_x\.js does not export a generateSql function/],
    ['a .js file with a syntax error', () => migrationsDir({ '1_x.js': 'export function generateSql( {' }), /m\/1_x\.js could not be loaded: .*; fix the JavaScript error/],
  ])('rejects %s with a one-line message naming it', async (_, make, message) => {
    const error = await loadError(make());
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect(error?.message).not.toMatch(/\bat .*:\d+:\d+/); // no stack frames
  });

  it('rejects non-UTF-8 but still reads valid multi-byte UTF-8', async () => {
    const dir = migrationsDir({ '1_utf8.sql': "SELECT 'héllo 🐘';" });
    expect((await loadMigrations(dir, 'm'))[1]!.sql).toBe("SELECT 'héllo 🐘';");
  });

  it('accepts a U+FFFD that is in the file itself, and rejects one that decoding would make', async () => {
    const dir = migrationsDir({ '1_replacement.sql': "SELECT '\uFFFD';" });
    const [, loaded] = await loadMigrations(dir, 'm');
    expect(loaded!.sql).toBe("SELECT '\uFFFD';");
    expect(loaded!.hash).toBe(createHash('sha1').update("1_replacement.sqlSELECT '\uFFFD';", 'utf8').digest('hex'));
    // An encoded surrogate (ED A0 80) is not UTF-8, though a lenient decoder would read it.
    const bad = migrationsDir({ '1_surrogate.sql': Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xed, 0xa0, 0x80, 0x27]) });
    expect((await loadError(bad))?.message).toMatch(/m\/1_surrogate\.sql is not valid UTF-8/);
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
    expect(() => pendingMigrations(files.slice(0, 3), files.map(row), 'm')).toThrow(
      'The database has migration 3 "m3" applied, but m has no file with id 3; restore the file (an applied migration must never be deleted), or check that this commit is not older than the one that migrated the database.',
    );
    expect(() => pendingMigrations(files, [row(files[0]!), row(files[1]!), row(files[3]!)], 'm')).toThrow(/m\/2_m2\.sql \(id 2\) is not applied, but migration 3 already is; ids run in order, so renumber it after the applied head/);
  });

  it('accepts rows in any order', () => {
    const applied = [row(files[1]!), row(files[0]!)];
    expect(pendingMigrations(files, applied, 'm').map((f) => f.id)).toEqual([2, 3]);
  });

  it('names a renamed file with its old and new names', () => {
    const renamed = file(2, 'B;\n', '2_m2-renamed.sql');
    expect(renamed.name).toBe('m2-renamed');
    let error: unknown;
    try {
      pendingMigrations([files[0]!, files[1]!, renamed, files[3]!], files.map(row), 'm');
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(
      `Migration m/2_m2-renamed.sql changed after it was applied (id 2: hash ${files[2]!.hash.slice(0, 12)} in the database, ${renamed.hash.slice(0, 12)} now): ` +
        'it was applied as "m2" and is now named "m2-renamed"; restore the file exactly as it was applied and put any change in a new migration (an applied file must keep its name).',
    );
    expect((error as { location?: unknown }).location).toEqual({ file: 'm/2_m2-renamed.sql' });
  });

  it('gives the plain drift message when the content really changed', () => {
    expect(() => pendingMigrations([...files.slice(0, 2), file(2, 'B2;\r\n'), files[3]!], files.map(row), 'm')).toThrow(
      /now\); restore the file exactly as it was applied and put any change in a new migration\.$/,
    );
  });

  it('says which encoding difference explains a changed hash, and nothing for a real change or a .js file', () => {
    const lf = file(1, 'A;\nB;\n');
    expect(encodingOnlyDifference(file(1, 'A;\r\nB;\r\n'), lf.hash)).toBe('the line endings (CRLF vs LF)');
    expect(encodingOnlyDifference(lf, file(1, 'A;\r\nB;\r\n').hash)).toBe('the line endings (CRLF vs LF)');
    expect(encodingOnlyDifference(lf, file(1, '\uFEFFA;\nB;\n').hash)).toBe('a byte-order mark (BOM) at the start');
    expect(encodingOnlyDifference(file(1, '\uFEFFA;\nB;\n'), lf.hash)).toBe('a byte-order mark (BOM) at the start');
    expect(encodingOnlyDifference(lf, file(1, '\uFEFFA;\r\nB;\r\n').hash)).toBe('the line endings and a byte-order mark');
    expect(encodingOnlyDifference(lf, file(1, 'A;\nC;\n').hash)).toBeUndefined();
    expect(encodingOnlyDifference({ ...lf, kind: 'js' }, file(1, 'A;\r\nB;\r\n').hash)).toBeUndefined();
  });

  it('computes the revision', () => {
    expect(revisionOf([])).toEqual({ id: 0, name: '' });
    expect(revisionOf(files.slice(0, 1).map(row))).toEqual({ id: 0, name: '' });
    expect(revisionOf(files.map(row))).toEqual({ id: 3, name: 'm3' });
    expect(revisionOf([row(files[3]!), row(files[0]!), row(files[1]!)])).toEqual({ id: 3, name: 'm3' });
  });
});

describe('error positions and retries', () => {
  it('turns a PostgreSQL character position into line and column', () => {
    expect(lineAndColumn('SELECT 1;', 1)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('a\nbc\ndef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('a\nbc\ndef', 6)).toEqual({ line: 3, column: 1 });
    // PostgreSQL counts characters: an emoji is one, not two UTF-16 units
    expect(lineAndColumn("-- 🐘\nSELEC 1;", 6)).toEqual({ line: 2, column: 1 });
    expect(lineAndColumn("SELECT '🐘🐘', x;", 12)).toEqual({ line: 1, column: 12 });
    expect(lineAndColumn('-- 𝒳\n-- 😀😀\n  bad', 14)).toEqual({ line: 3, column: 3 });
  });

  it('puts a position at the start of a line on that line, column 1', () => {
    const sql = 'CREATE TABLE a (id int);\nSELEC 1;\n';
    expect(lineAndColumn(sql, sql.indexOf('SELEC') + 1)).toEqual({ line: 2, column: 1 });
    expect(lineAndColumn(sql, sql.indexOf('\n') + 1)).toEqual({ line: 1, column: 25 });
  });

  it('counts CR as a character and LF as the line break', () => {
    const sql = 'SELECT 1;\r\nSELEC 2;';
    expect(lineAndColumn(sql, sql.indexOf('SELEC 2') + 1)).toEqual({ line: 2, column: 1 });
  });

  it('stays at the end for a position past the text', () => {
    expect(lineAndColumn('ab\ncd', 99)).toEqual({ line: 2, column: 3 });
  });

  it('strips only a leading BOM from the SQL sent to the server', () => {
    expect(executableSql(file(1, '\uFEFFSELECT 1;'))).toBe('SELECT 1;');
    expect(executableSql(file(1, "SELECT '\uFEFF';"))).toBe("SELECT '\uFEFF';");
  });

  it('keeps the PostgreSQL error fields', () => {
    const error = Object.assign(new Error('column "x" does not exist'), { code: '42703', position: '8', hint: 'Perhaps y.', detail: '' });
    expect(pgFields(error)).toEqual({ code: '42703', message: 'column "x" does not exist', position: 8, hint: 'Perhaps y.', detail: undefined, where: undefined });
  });

  it('keeps only what is there, for any thrown value', () => {
    expect(pgFields(new Error('boom'))).toEqual({ code: undefined, message: 'boom', detail: undefined, hint: undefined, position: undefined, where: undefined });
    expect(pgFields('plain string')).toMatchObject({ message: 'plain string', code: undefined });
    expect(pgFields({ code: 42, position: 'abc', detail: 'd', where: 'PL/pgSQL function f() line 3' })).toMatchObject({
      code: undefined,
      position: undefined,
      detail: 'd',
      where: 'PL/pgSQL function f() line 3',
    });
  });

  it('backs off 1 s, 2 s, 4 s … up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

describe('isOutside', () => {
  it.each([
    ['/m', '/m/1_a.sql', false],
    ['/m', '/m/..2026_11_25_09_00_00.1/1_a.sql', false],
    ['/m', '/m/..data/1_a.sql', false],
    ['/m', '/other/1_a.sql', true],
    ['/m', '/1_a.sql', true],
    ['/m', '/m', false],
    ['/m/sub', '/m', true],
  ])('%s holds %s: outside=%s', (dir, target, outside) => {
    expect(isOutside(dir, target)).toBe(outside);
  });
});

describe('names the migrations table can hold', () => {
  it('refuses two files with the same name after their ids', () => {
    expect(() => validateFileNames(['1_add-index.sql', '2_x.sql', '3_add-index.js'], 'm')).toThrow(
      /Migration files 1_add-index\.sql and 3_add-index\.js in m have the same name "add-index" after their ids; the migrations table keeps names unique: rename the later one\./,
    );
  });

  it('refuses a name longer than the 100 characters of the name column', () => {
    expect(() => validateFileNames([`1_${'a'.repeat(101)}.sql`], 'm')).toThrow(/has a name of 101 characters after its id; the migrations table keeps at most 100/);
    expect(validateFileNames([`1_${'é'.repeat(100)}.sql`], 'm')).toHaveLength(1);
  });
});
