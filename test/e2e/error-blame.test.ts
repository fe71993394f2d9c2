import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localPgDump, migrationRows, serverMajor, tableNames } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

/** A login role of this test's own, with a password, and its URL to `db`. */
async function role(db: Awaited<ReturnType<typeof database>>, name: string): Promise<string> {
  await db.query(`DROP ROLE IF EXISTS ${name}`);
  await db.query(`CREATE ROLE ${name} LOGIN PASSWORD 'pw-${name}'`);
  await db.query(`GRANT CONNECT ON DATABASE "${db.name}" TO ${name}`);
  const url = new URL(db.url);
  url.username = name;
  url.password = `pw-${name}`;
  return url.toString();
}

describe.each(ARTIFACTS)('errors are blamed on what caused them, through the %s', (artifact) => {
  it('a user who cannot create the migrations table: no file is blamed or annotated, the fix is a grant', async () => {
    const db = await database();
    await db.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    const name = `noc_${db.name}`;
    const url = await role(db, name);
    const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), { 'database-url': url });
    expect(result.code).toBe(1);
    expect(result.log).toMatch(
      /Could not create the migrations table: 42501 permission denied for schema public\. Nothing was applied\. The database user cannot create a table in the first schema of its search_path: grant it CREATE on that schema/,
    );
    expect(result.log).not.toMatch(/0_create-migrations-table|Fix the file/);
    if (artifact === 'action') expect(result.log).not.toMatch(/^::error [^:]*file=/m);
    await db.query(`DROP OWNED BY ${name}`);
    await db.query(`DROP ROLE ${name}`);
  });

  it('a statement of the file that lacks a privilege: the file and line, and the fix is a grant', async () => {
    const db = await database();
    await db.query('CREATE TABLE owned_by_admin (id int)');
    const name = `nop_${db.name}`;
    const url = await role(db, name);
    await db.query(`GRANT CREATE ON SCHEMA public TO ${name}`);
    const dir = migrationsDir({ '1_ok.sql': 'CREATE TABLE mine (id int);\n', '2_alter.sql': 'CREATE INDEX mine_id ON mine (id);\nALTER TABLE owned_by_admin ADD COLUMN x int;\n' });
    const result = await run(artifact, db, dir, { 'database-url': url });
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Migration \S*2_alter\.sql failed: 42501 must be owner of table owned_by_admin\. It was rolled back; .* The database user lacks a privilege this statement needs: grant it/);
    expect(result.log).not.toMatch(/Fix the file/);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
    await db.query(`DROP OWNED BY ${name}`);
    await db.query(`DROP ROLE ${name}`);
  });

  it('a file that switches to a role without rights on the migrations table is still recorded', async () => {
    const db = await database();
    const name = `lim_${db.name}`;
    await db.query(`CREATE ROLE ${name} NOLOGIN`);
    await db.query(`GRANT ${name} TO CURRENT_USER`);
    await db.query(`GRANT CREATE ON SCHEMA public TO ${name}`);
    const result = await run(artifact, db, migrationsDir({ '1_as_role.sql': `SET ROLE ${name};\nCREATE TABLE owned (id int);\n` }));
    expect(result.code, result.log).toBe(0);
    expect((await db.query<{ o: string }>("SELECT tableowner AS o FROM pg_tables WHERE tablename = 'owned'"))[0]!.o).toBe(name);
    await db.query(`DROP OWNED BY ${name}`);
    await db.query(`DROP ROLE ${name}`);
  });

  it('a read-only database is refused before the backup: nothing is dumped or applied', async (context) => {
    const dump = localPgDump();
    if (!dump || dump.major < (await serverMajor())) return context.skip('needs a pg_dump for this server');
    const db = await database();
    await db.query(`ALTER DATABASE "${db.name}" SET default_transaction_read_only = on`);
    const backupDir = migrationsDir({});
    const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), { backup: 'true', 'backup-dir': backupDir });
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/The session at \S+ is read-only \(default_transaction_read_only is on for the database, the role, or in settings\); use a writable database or role\. Nothing was applied\./);
    expect(result.outputs['backup-path']).toBe('');
    expect(existsSync(backupDir) ? readdirSync(backupDir) : []).toEqual([]);
    expect(result.log).not.toMatch(/Fix the file/);
    expect(await tableNames(db)).toEqual([]);
  });
});
