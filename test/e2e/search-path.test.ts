import { describe, expect, it } from 'vitest';
import { migrationRows } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

const FILES = {
  '1_schema.sql': 'CREATE TABLE app.users (id int PRIMARY KEY);\n',
  '2_orders.sql': 'CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users);\n',
};

describe.each(ARTIFACTS)('a migrations table outside the search_path, through the %s', (artifact) => {
  it('is refused before anything runs, naming the schema and the fix; the same database with its search_path is up to date', async () => {
    const db = await database();
    await db.query('CREATE SCHEMA app');
    const dir = migrationsDir(FILES);
    // Migrated the usual way: the role's search_path put the table in app.
    const first = await run(artifact, db, dir, { settings: 'search_path=app' });
    expect(first.code, first.log).toBe(0);
    const before = await db.query("SELECT table_schema, table_name FROM information_schema.tables WHERE table_name = 'migrations'");
    expect(before).toEqual([{ table_schema: 'app', table_name: 'migrations' }]);

    // Then reached without that search_path (a new role, a new connection pooler, a new URL).
    for (const command of ['apply', 'plan', 'check']) {
      const lost = await run(artifact, db, dir, { command });
      expect(lost.code, command).toBe(1);
      expect(lost.outputs.status).toBe('failed');
      expect(lost.log).toMatch(
        /No "migrations" table is on this session's search_path \("\$user", public\), but schema app has one with the columns id, name and hash: .*settings: search_path=app/,
      );
    }
    // No second table, nothing ran again.
    expect(await db.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'migrations'")).toEqual([{ table_schema: 'app' }]);
    await db.query('SET search_path = app');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2]);

    const fixed = await run(artifact, db, dir, { settings: 'search_path=app' });
    expect(fixed.code, fixed.log).toBe(0);
    expect(fixed.outputs).toMatchObject({ status: 'up-to-date', revision: '2' });
  });

  it('is found through the database search_path that the fix message suggests', async () => {
    const db = await database();
    await db.query('CREATE SCHEMA app');
    const dir = migrationsDir(FILES);
    expect((await run(artifact, db, dir, { settings: 'search_path=app' })).code).toBe(0);
    await db.query(`ALTER DATABASE "${db.name}" SET search_path = app`);
    const again = await run(artifact, db, dir);
    expect(again.code, again.log).toBe(0);
    expect(again.outputs).toMatchObject({ status: 'up-to-date', revision: '2' });
  });

  it('does not mistake another tool\'s table in another schema for ours: a fresh start in public goes ahead', async () => {
    const db = await database();
    await db.query('CREATE SCHEMA other');
    await db.query('CREATE TABLE other.migrations (id serial PRIMARY KEY, timestamp bigint, name varchar)'); // TypeORM's shape: no hash
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
    const result = await run(artifact, db, dir);
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: '1' });
  });
});
