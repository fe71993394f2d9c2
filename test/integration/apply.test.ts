import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { restoreSessionSql } from '../../src/db/session.js';
import { runOn } from '../../src/main.js';
import { MigrationFailed, applyMigration, type MigrationSession } from '../../src/migrations/apply.js';
import { hashMigration, tableMigration, type MigrationFile } from '../../src/migrations/files.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

const EXAMPLE = path.resolve('migrations-example/postgres-migrations');
let db: TestDatabase;
afterEach(async () => db?.close());

describe('apply', () => {
  it('applies the example migrations, records them, and is up to date on the second run', async () => {
    db = await freshDatabase();
    const first = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE });
    await runOn(first);
    expect(first.failed).toBeUndefined();
    expect(first.outputs).toMatchObject({
      status: 'applied',
      revision: '3',
      'revision-name': 'add-users-last-login',
      'previous-revision': '0',
      'applied-count': '3',
      'pending-count': '0',
      error: '',
    });
    expect(JSON.parse(first.outputs.applied!)).toEqual([
      '1_create-users.sql',
      '2_index-users-created-at.sql',
      '3_add-users-last-login.sql',
    ]);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
    expect(await tableNames(db)).toEqual(['migrations', 'users']);

    const second = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE });
    await runOn(second);
    expect(second.outputs).toMatchObject({ status: 'up-to-date', revision: '3', 'previous-revision': '3', 'applied-count': '0' });
  });

  it('stops at a failing migration: earlier ones stay, the failing one leaves no trace, the rest do not run', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT nosuchcolumn FROM b;\n',
      '3_c.sql': 'CREATE TABLE c (id int);',
    });
    const platform = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(platform);
    expect(platform.outputs).toMatchObject({ status: 'failed', revision: '1', 'previous-revision': '0', 'applied-count': '1', 'pending-count': '2' });
    expect(platform.failed).toMatch(/2_b\.sql failed at line 3, column 8: 42703 column "nosuchcolumn" does not exist/);
    expect(platform.annotations).toContainEqual(
      expect.objectContaining({ location: expect.objectContaining({ file: `${dir}/2_b.sql`, line: 3 }) }),
    );
    expect(await tableNames(db)).toEqual(['a', 'migrations']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });
});

/** One migration file as loadMigrations makes it, from SQL. */
function migration(id: number, sql: string, transaction = true): MigrationFile {
  const fileName = `${id}_m.sql`;
  return { id, name: 'm', fileName, label: `db/${fileName}`, sql, hash: hashMigration(fileName, sql), kind: 'sql', transaction };
}

describe('the guards around one migration (applyMigration itself, below the checks that usually stop such files first)', () => {
  async function prepared(): Promise<{ client: pg.Client; session: MigrationSession }> {
    db = await freshDatabase();
    const client = await db.client();
    await client.query(tableMigration().sql);
    const { pid, version } = (await client.query<{ pid: number; version: number }>("SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version")).rows[0]!;
    return { client, session: { lockPid: pid, restoreSql: restoreSessionSql([], version), table: 'public.migrations' } };
  }
  const options = (session: MigrationSession) => ({ session, lockRetries: 0, clock: systemClock, log: { info: () => undefined, warning: () => undefined, error: () => undefined, group: <T>(_: string, fn: () => Promise<T>) => fn() } });

  it('does not record a file that ended its transaction, and says what happened without claiming a rollback', async () => {
    const { client, session } = await prepared();
    const error = await applyMigration(client, migration(1, 'CREATE TABLE x (id int);\nCOMMIT;\nCREATE TABLE y (id int);\n'), options(session)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFailed);
    expect((error as Error).message).toMatch(/^Migration db\/1_m\.sql ended the transaction it runs in \(a COMMIT, ROLLBACK, END, ABORT or PREPARE TRANSACTION.*\)\. What it did before that statement was committed or undone by it.*It was not recorded as applied/);
    expect((error as Error).message).not.toMatch(/It was rolled back/);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([]);
  });

  it('does not record a disable-transaction file that leaves a transaction open, and rolls that transaction back', async () => {
    const { client, session } = await prepared();
    const error = await applyMigration(client, migration(1, '-- postgres-migrations disable-transaction\nBEGIN;\nCREATE TABLE open_one (id int);\n', false), options(session)).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/^Migration db\/1_m\.sql runs without a transaction \(disable-transaction\) but left one open \(a BEGIN without its COMMIT\)\. That transaction was rolled back/);
    expect(await tableNames(db)).toEqual(['migrations']);
    expect(await migrationRows(db)).toEqual([]);
  });

  it('lets a file begin with SET TRANSACTION ISOLATION LEVEL, which must come before any query of the transaction', async () => {
    const { client, session } = await prepared();
    await applyMigration(client, migration(1, 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE serial_one (id int);\n'), options(session));
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([1]);
  });

  it('does not record a migration that runs in another server session than the lock holder (a pooler moved it)', async () => {
    const { client, session } = await prepared();
    const error = await applyMigration(client, migration(1, 'CREATE TABLE moved (id int);\n'), options({ ...session, lockPid: session.lockPid + 100_000 })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Migration db\/1_m\.sql did not run in the server session that holds the migration lock: a connection pooler in transaction mode moved it\. It was rolled back/);
    expect(await tableNames(db)).toEqual(['migrations']);
  });

  it('says the database user may not write the migrations table, and blames no line of the file', async () => {
    const { client, session } = await prepared();
    const name = `ro_${db.name}`;
    await client.query(`CREATE ROLE ${name} LOGIN PASSWORD 'x'; GRANT CREATE ON SCHEMA public TO ${name}; GRANT SELECT ON migrations TO ${name}`);
    const limited = new pg.Client({ connectionString: Object.assign(new URL(db.url), { username: name, password: 'x' }).toString() });
    await limited.connect();
    try {
      const pid = (await limited.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const error = await applyMigration(limited, migration(1, 'CREATE TABLE mine (id int);\n'), options({ ...session, lockPid: pid })).catch((e: unknown) => e);
      expect((error as MigrationFailed).message).toMatch(/^Migration db\/1_m\.sql ran, but recording it in the migrations table failed: 42501 permission denied for table migrations\. It was rolled back with it;.* grant it INSERT on that table/);
      expect((error as MigrationFailed).location).toEqual({ file: 'db/1_m.sql' });
      expect(await tableNames(db)).toEqual(['migrations']);
    } finally {
      await limited.end();
      await client.query(`DROP OWNED BY ${name}; DROP ROLE ${name}`);
    }
  });

  it('marks a migration applied when what failed came after its COMMIT (setting the session back)', async () => {
    const { client, session } = await prepared();
    await client.query('CREATE TEXT SEARCH CONFIGURATION public.gone (COPY = simple)');
    const version = Number((await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
    const restoreSql = restoreSessionSql([{ name: 'default_text_search_config', value: 'public.gone' }], version);
    const error = await applyMigration(client, migration(1, 'DROP TEXT SEARCH CONFIGURATION public.gone;\n'), options({ ...session, restoreSql })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFailed);
    expect((error as MigrationFailed).applied).toBe(true);
    expect((error as Error).message).toMatch(/^db\/1_m\.sql was applied, but setting the session back afterwards failed/);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([1]);
  });

  it('writes the row with a name that holds quotes and backslashes exactly', async () => {
    const { client, session } = await prepared();
    const file = { ...migration(1, 'SELECT 1;\n'), name: "it's a \\back'slash" };
    await applyMigration(client, file, options(session));
    expect((await migrationRows(db))[0]).toMatchObject({ id: 1, name: "it's a \\back'slash", hash: file.hash });
  });
});
