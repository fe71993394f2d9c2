import { describe, expect, it } from 'vitest';
import { migrationRows, tableNames } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

describe.each(ARTIFACTS)('a transactional migration that ends its own transaction, through the %s', (artifact) => {
  it.each([
    ['ROLLBACK after DDL', 'CREATE TABLE x (id int);\nROLLBACK;\n', 'ROLLBACK', 2],
    ['COMMIT, then a failing statement', 'CREATE TABLE a ();\nCOMMIT;\nCREATE TABLE b (id nosuchtype);\n', 'COMMIT', 2],
    ['END after a comment line', '-- done\nCREATE TABLE c (id int);\n  END;\n', 'END', 3],
    ['PREPARE TRANSACTION', "CREATE TABLE d (id int);\nPREPARE TRANSACTION 'm';\n", "PREPARE TRANSACTION 'm'", 2],
  ])('%s: refused before anything runs, naming file, line, statement and fix', async (_, sql, statement, line) => {
    const db = await database();
    const dir = migrationsDir({ '1_first.sql': 'CREATE TABLE first (id int);\n', '2_ends.sql': sql });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('failed');
    const message = new RegExp(
      `Migration \\S*2_ends\\.sql ends the transaction it runs in: "${statement}" at line ${line}\\. .*-- postgres-migrations disable-transaction\\. Nothing was applied\\.`,
    );
    expect(result.log).toMatch(message);
    expect(result.log).not.toMatch(/rolled back/);
    // Not even the migration before it: the run stops before its first change.
    expect(await tableNames(db)).toEqual([]);
    expect(await migrationRows(db)).toEqual([]);
    if (artifact === 'action') expect(result.log).toMatch(new RegExp(`::error title=migrate-action,file=\\S*2_ends\\.sql,line=${line}::`));
  });

  it('a disable-transaction file that leaves a transaction open: rolled back, not recorded, exit 1', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_open.sql': '-- postgres-migrations disable-transaction\nBEGIN;\nCREATE TABLE left_open (id int);\n' });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/1_open\.sql runs without a transaction \(disable-transaction\) but left one open/);
    expect(await tableNames(db)).toEqual(['migrations']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0]);
  });

  it('plan and check say the same before apply is ever tried', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_ends.sql': 'CREATE TABLE x (id int);\nCOMMIT;\n' });
    for (const command of ['plan', 'check']) {
      const result = await run(artifact, db, dir, { command });
      expect(result.code, command).toBe(1);
      expect(result.log).toMatch(/1_ends\.sql ends the transaction it runs in: "COMMIT" at line 2/);
    }
  });

  it('runs the same statements in a file marked disable-transaction, and leaves END in a function body and ROLLBACK TO alone', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_own.sql': '-- postgres-migrations disable-transaction\nBEGIN;\nCREATE TABLE own (id int);\nCOMMIT;\n',
      '2_fn.sql':
        'CREATE FUNCTION answer() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 42; END;\n' +
        'SAVEPOINT s;\nCREATE TABLE discarded (id int);\nROLLBACK TO SAVEPOINT s;\nSELECT CASE WHEN answer() = 42 THEN 1 END;\n',
    });
    const result = await run(artifact, db, dir);
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: '2' });
    expect(await tableNames(db)).toEqual(['migrations', 'own']);
  });

  it('a procedure that commits is stopped by the server and reported as the file\'s error, with nothing recorded', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_proc.sql': 'CREATE PROCEDURE flush() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;\nCREATE TABLE p (id int);\nCALL flush();\n',
    });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Migration \S*1_proc\.sql failed: 2D000 invalid transaction termination\. It was rolled back/);
    expect(await tableNames(db)).toEqual(['migrations']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0]);
  });
});
