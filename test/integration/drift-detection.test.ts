import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { runOn } from '../../src/main.js';
import { loadMigrations } from '../../src/migrations/files.js';
import { readAppliedRows } from '../../src/migrations/state.js';
import { freshDatabase, migrationRows, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

let db: TestDatabase;
afterEach(async () => db?.close());

const FILES = {
  '1_a.sql': 'CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n',
  '2_b.sql': 'CREATE TABLE b (id int);\n',
  '3_c.sql': 'CREATE TABLE c (id int);\n',
};

/** Apply FILES, change the directory with `edit`, run again: the second run's platform. */
async function afterEdit(edit: (dir: string) => void) {
  db = await freshDatabase();
  const dir = migrationsDir(FILES);
  await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir }));
  const before = await migrationRows(db);
  edit(dir);
  writeFileSync(path.join(dir, '4_d.sql'), 'CREATE TABLE d (id int);\n');
  const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
  await runOn(p);
  // nothing new applied, even though 4_d.sql is pending
  expect(await migrationRows(db)).toEqual(before);
  expect(p.outputs).toMatchObject({ status: 'failed', 'applied-count': '0' });
  return { p, dir };
}

describe('drift', () => {
  it('stops when an applied file changed', async () => {
    const { p, dir } = await afterEdit((d) => writeFileSync(path.join(d, '2_b.sql'), 'CREATE TABLE b (id bigint);\n'));
    expect(p.failed).toMatch(/^Migration .*2_b\.sql changed after it was applied \(id 2: hash [0-9a-f]{12} in the database, [0-9a-f]{12} now\); restore the file/);
    // What is pending is still reported: the files above the applied head.
    expect(p.outputs).toMatchObject({ revision: '3', 'previous-revision': '3', 'pending-count': '1', pending: '["4_d.sql"]' });
    expect(p.summary).toContain(`**\`${dir}/2_b.sql\`**`);
  });

  it('says so when only the line endings differ', async () => {
    const { p } = await afterEdit((d) => writeFileSync(path.join(d, '1_a.sql'), FILES['1_a.sql'].replace(/\n/g, '\r\n')));
    expect(p.failed).toMatch(/1_a\.sql changed after it was applied .* but the only difference is the line endings \(CRLF vs LF\); .*\*\.sql -text/);
  });

  it('says so when only a byte-order mark differs', async () => {
    const { p } = await afterEdit((d) => writeFileSync(path.join(d, '3_c.sql'), `\uFEFF${FILES['3_c.sql']}`));
    expect(p.failed).toMatch(/3_c\.sql changed after it was applied .* but the only difference is a byte-order mark \(BOM\) at the start;/);
  });

  it('stops when the last applied file is deleted (an older commit deployed)', async () => {
    db = await freshDatabase();
    const dir = migrationsDir(FILES);
    await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir }));
    rmSync(path.join(dir, '3_c.sql'));
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.failed).toMatch(/The database has migration 3 "c" applied, but .* has no file with id 3; restore the file .*older than the one that migrated the database/);
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '3' });
  });

  it('stops when an applied file was renamed', async () => {
    const { p } = await afterEdit((d) => renameSync(path.join(d, '2_b.sql'), path.join(d, '2_bee.sql')));
    expect(p.failed).toMatch(/2_bee\.sql changed after it was applied .* it was applied as "b" and is now named "bee"/);
  });

  it('stops when a pending id lies below the applied head', async () => {
    db = await freshDatabase();
    const dir = migrationsDir(FILES);
    await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir }));
    await db.query('DELETE FROM migrations WHERE id = 2');
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.failed).toMatch(/2_b\.sql \(id 2\) is not applied, but migration 3 already is/);
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '3', 'applied-count': '0' });
  });
});

describe('reading the applied rows', () => {
  const FULL_READ = 'SELECT id, name, hash FROM migrations ORDER BY id';
  // Names the digest must count and encode as the server does: spaces, accents, a character outside
  // the BMP (two UTF-16 units, one character), digits after a space.
  const NAMED = {
    '1_a.sql': 'CREATE TABLE a (id int);\n',
    '2_café crème.sql': 'CREATE TABLE b (id int);\n',
    '3_elephant 🐘 10.sql': 'CREATE TABLE c (id int);\n',
  };

  /** The rows readAppliedRows returns, and the statements it sent. */
  async function read(client: pg.Client, dir: string) {
    const sent: string[] = [];
    const spied = new Proxy(client, {
      get: (target, key) =>
        key === 'query' ? (text: string, ...rest: unknown[]) => (sent.push(text), (target.query as (...a: unknown[]) => unknown)(text, ...rest)) : Reflect.get(target, key),
    });
    const files = await loadMigrations(dir, 'm');
    const rows = (await readAppliedRows(spied, files)).map(({ id, name, hash }) => ({ id, name, hash }));
    return { rows, sent, files };
  }

  it('takes the files for the rows when the server\'s digest of its rows matches them, without reading every row', async () => {
    db = await freshDatabase();
    const dir = migrationsDir(NAMED);
    await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir }));
    writeFileSync(path.join(dir, '4_d.sql'), 'CREATE TABLE d (id int);\n');
    const { rows, sent } = await read(await db.client(), dir);
    expect(rows).toEqual(await migrationRows(db));
    expect(rows.map((r) => r.name)).toEqual(['create-migrations-table', 'a', 'café crème', 'elephant 🐘 10']);
    expect(sent).not.toContain(FULL_READ);
  });

  it.each([
    ['a hash differs', 'UPDATE migrations SET hash = repeat(\'0\', 40) WHERE id = 2'],
    ['a name differs', "UPDATE migrations SET name = 'café crema' WHERE id = 2"],
    ['an id is missing', 'DELETE FROM migrations WHERE id = 1'],
    ['the table holds more rows than there are files', "INSERT INTO migrations (id, name, hash) VALUES (9, 'later', repeat('1', 40))"],
  ])('reads every row when %s', async (_, change) => {
    db = await freshDatabase();
    const dir = migrationsDir(NAMED);
    await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir }));
    await db.query(change);
    const { rows, sent } = await read(await db.client(), dir);
    expect(rows).toEqual(await migrationRows(db));
    expect(sent).toContain(FULL_READ);
  });
});

describe('.js migrations', () => {
  const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');

  it('loads ES modules and CommonJS (also CommonJS inside a "type": "module" package), recording sha1(fileName + sql)', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      'package.json': '{ "type": "module" }',
      '1_esm.js': 'export function generateSql() { return "CREATE TABLE esm (id int);"; }\n',
      '2_cjs.js': 'module.exports = { generateSql: () => "CREATE TABLE cjs (id int);" };\n',
    });
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.failed).toBeUndefined();
    const rows = await migrationRows(db);
    expect(rows.slice(1)).toEqual([
      { id: 1, name: 'esm', hash: sha1('1_esm.jsCREATE TABLE esm (id int);') },
      { id: 2, name: 'cjs', hash: sha1('2_cjs.jsCREATE TABLE cjs (id int);') },
    ]);
    expect(readFileSync(path.join(dir, '2_cjs.js'), 'utf8')).toContain('module.exports');
  });
});
