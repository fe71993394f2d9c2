import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadMigrationFiles, migrate } from 'postgres-migrations';
import { afterEach, describe, expect, it } from 'vitest';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

let db: TestDatabase;
afterEach(async () => db?.close());

/** postgres-migrations 5.3.0's own migrate() on the database, with a client it is given. */
async function theirMigrate(url: string, dir: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await migrate({ client }, dir);
  } finally {
    await client.end();
  }
}

/** The example migrations plus a CommonJS .js migration, in a directory of its own. */
function mixedDir(extra: Record<string, string> = {}): string {
  const dir = migrationsDir({
    'package.json': '{ "type": "commonjs" }',
    '4_seed-admin.js': "module.exports.generateSql = () => \"INSERT INTO users (email, display_name) VALUES ('admin@example.com', 'Admin');\";\n",
    ...extra,
  });
  cpSync(path.resolve('migrations-example/postgres-migrations'), dir, { recursive: true });
  return dir;
}

describe('byte-compatibility with postgres-migrations 5.3.0', () => {
  it('writes the rows postgres-migrations would, and its migrate() then finds nothing to do', async () => {
    db = await freshDatabase();
    const dir = mixedDir();
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.outputs).toMatchObject({ status: 'applied', revision: '4' });

    const expected = (await loadMigrationFiles(dir)).map((m) => ({ id: m.id, name: m.name, hash: m.hash }));
    expect(await migrationRows(db)).toEqual(expected);
    expect(await theirMigrate(db.url, dir)).toEqual([]);
  });

  it('continues a database that postgres-migrations migrated, and hands it back', async () => {
    db = await freshDatabase();
    const dir = mixedDir();
    const partial = migrationsDir({});
    cpSync(path.resolve('migrations-example/postgres-migrations/1_create-users.sql'), path.join(partial, '1_create-users.sql'));
    cpSync(path.resolve('migrations-example/postgres-migrations/2_index-users-created-at.sql'), path.join(partial, '2_index-users-created-at.sql'));
    expect((await theirMigrate(db.url, partial)).map((m) => m.id)).toEqual([0, 1, 2]);

    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(p);
    expect(p.outputs).toMatchObject({ status: 'applied', 'previous-revision': '2', revision: '4', applied: '["3_add-users-last-login.sql","4_seed-admin.js"]' });

    writeFileSync(path.join(dir, '5_add-users-locale.sql'), "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';\n");
    expect((await theirMigrate(db.url, dir)).map((m) => m.id)).toEqual([5]);
    const again = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(again);
    expect(again.outputs).toMatchObject({ status: 'up-to-date', revision: '5' });
  });

  it('has the table postgres-migrations creates, column for column', async () => {
    db = await freshDatabase();
    await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': path.resolve('migrations-example/postgres-migrations') }));
    const ours = await db.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = 'migrations' ORDER BY ordinal_position`,
    );
    const other = await freshDatabase('theirs');
    try {
      await theirMigrate(other.url, path.resolve('migrations-example/postgres-migrations'));
      const theirs = await other.query(
        `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
           FROM information_schema.columns WHERE table_name = 'migrations' ORDER BY ordinal_position`,
      );
      expect(ours).toEqual(theirs);
      expect(ours.map((c) => c.column_name)).toEqual(['id', 'name', 'hash', 'executed_at']);
      const [row] = await db.query<{ executed_at: Date | null }>('SELECT executed_at FROM migrations WHERE id = 1');
      expect(row!.executed_at).toBeInstanceOf(Date);
    } finally {
      await other.close();
    }
  });
});
