import { describe, expect, it } from 'vitest';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

/** Where each table is, and who owns it: what "the same database" means here. */
async function tables(db: Awaited<ReturnType<typeof database>>) {
  return db.query<{ t: string }>(
    "SELECT schemaname || '.' || tablename || ' owned by ' || tableowner AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'migrations' ORDER BY 1",
  );
}

describe.each(ARTIFACTS)('session state does not leak from one migration into the next, through the %s', (artifact) => {
  it('gives the same database in one run as in one run per migration (search_path, role, in files with and without a transaction)', async () => {
    const files = {
      '1_schema.sql': 'CREATE SCHEMA s;\nCREATE ROLE owner_${db} NOLOGIN;\nGRANT owner_${db} TO CURRENT_USER;\nGRANT ALL ON SCHEMA public, s TO owner_${db};\n',
      '2_path.sql': 'SET search_path = s;\nCREATE TABLE second (id int);\n',
      '3_third.sql': 'CREATE TABLE third (id int);\n',
      '4_role.sql': 'SET ROLE owner_${db};\nCREATE TABLE fourth (id int);\n',
      '5_fifth.sql': 'CREATE TABLE fifth (id int);\n',
      '6_outside.sql': '-- postgres-migrations disable-transaction\nSET search_path = s;\n',
      '7_seventh.sql': 'CREATE TABLE seventh (id int);\n',
    };
    const results: unknown[] = [];
    for (const perRun of [false, true]) {
      const db = await database();
      const dir = migrationsDir(Object.fromEntries(Object.entries(files).map(([name, sql]) => [name, sql.replaceAll('${db}', db.name)])));
      const ids = perRun ? [1, 2, 3, 4, 5, 6, 7] : [7];
      for (const id of ids) {
        const result = await run(artifact, db, dir, { 'target-revision': String(id) });
        expect(result.code, result.log).toBe(0);
      }
      results.push((await tables(db)).map((r) => r.t.replaceAll(db.name, 'DB')));
      await db.query(`DROP OWNED BY owner_${db.name}`);
      await db.query(`DROP ROLE owner_${db.name}`);
    }
    expect(results[0]).toEqual(results[1]);
    // The search_path and the role a file sets end with that file, as they would with its run.
    expect(results[0]).toEqual([
      'public.fifth owned by postgres',
      'public.fourth owned by owner_DB',
      'public.seventh owned by postgres',
      'public.third owned by postgres',
      's.second owned by postgres',
    ]);
  });

  it('writes the row as the settings role, where the login role cannot (NOINHERIT)', async () => {
    const db = await database();
    const owner = `own_${db.name}`;
    const login = `log_${db.name}`;
    await db.query(`CREATE ROLE ${owner} NOLOGIN`);
    await db.query(`CREATE ROLE ${login} LOGIN NOINHERIT PASSWORD 'pw-login'`);
    await db.query(`GRANT ${owner} TO ${login}`);
    await db.query(`GRANT CREATE ON SCHEMA public TO ${owner}`);
    const url = new URL(db.url);
    url.username = login;
    url.password = 'pw-login';
    try {
      const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'RESET ROLE;\nSELECT 1;\n' });
      const result = await run(artifact, db, dir, { 'database-url': url.toString(), settings: `role=${owner}` });
      expect(result.code, result.log).toBe(0);
      expect(result.outputs).toMatchObject({ status: 'applied', revision: '2' });
      expect(await db.query("SELECT tableowner AS o FROM pg_tables WHERE tablename IN ('a', 'migrations') ORDER BY tablename")).toEqual([{ o: owner }, { o: owner }]);
    } finally {
      await db.query(`DROP OWNED BY ${owner}, ${login}`);
      await db.query(`DROP ROLE ${login}, ${owner}`);
    }
  });

  it('keeps the settings input after a file that runs RESET ALL: statement_timeout still stops the next migration', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_reset.sql': 'RESET ALL;\nCREATE TABLE reset_done (id int);\n',
      '2_slow.sql': 'SELECT pg_sleep(3);\nCREATE TABLE slow_done (id int);\n',
    });
    const result = await run(artifact, db, dir, { settings: 'statement_timeout=1s' });
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({ status: 'failed', revision: '1' });
    expect(result.log).toMatch(/2_slow\.sql failed: 57014 canceling statement due to statement timeout/);
  });

  it('does not carry a temporary table from one migration into the next', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_temp.sql': 'CREATE TEMP TABLE scratch (id int);\n',
      '2_use.sql': 'INSERT INTO scratch VALUES (1);\n',
    });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/2_use\.sql failed at line 1, column 13: 42P01 relation "scratch" does not exist/);
  });
});
