import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { createDatabase } from '../../scripts/local-postgres.mjs';
import { libpqEnv } from '../../src/migrations/backup.js';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<R[]>;
  /** A pg client on this database for a test to hold (locks, transactions); closed by close(). */
  client(applicationName?: string): Promise<pg.Client>;
  close(): Promise<void>;
}

/** A new, empty database on the test server. */
export async function freshDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const url = await createDatabase(inject('adminUrl'), name);
  const clients: pg.Client[] = [];
  const open = async (applicationName = 'test') => {
    const c = new pg.Client({ connectionString: url, application_name: applicationName });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  };
  const main = await open();
  return {
    url,
    name,
    async query(sql, values) {
      return (await main.query(sql, values)).rows;
    },
    client: open,
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    },
  };
}

/** The `migrations` table as rows (id, name, hash), or [] when it does not exist. */
export async function migrationRows(db: TestDatabase): Promise<{ id: number; name: string; hash: string }[]> {
  const [exists] = await db.query<{ present: boolean }>("SELECT to_regclass('migrations') IS NOT NULL AS present");
  if (!exists?.present) return [];
  return db.query('SELECT id, name, hash FROM migrations ORDER BY id');
}

/** The user tables of the public schema, sorted: a quick picture of what migrations did. */
export async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.t);
}

/** The major version of the test server. */
export async function serverMajor(): Promise<number> {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Math.floor(Number(rows[0]!.v) / 10_000);
  } finally {
    await client.end();
  }
}

/** The machine's pg_dump (path and major), or undefined when there is none. */
export function localPgDump(): { path: string; major: number } | undefined {
  try {
    const file = execFileSync('sh', ['-c', 'command -v pg_dump'], { encoding: 'utf8' }).trim();
    const major = Number(/\(PostgreSQL\) (\d+)/.exec(execFileSync(file, ['--version'], { encoding: 'utf8' }))?.[1]);
    return file && major ? { path: file, major } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A login role with `password` that owns `db`: the URL a run uses to connect as it (the password
 * percent-encoded), and `drop()` to remove the database and the role afterwards.
 */
export async function roleOwning(db: TestDatabase, password: string, prefix = 'r'): Promise<{ role: string; url: string; drop: () => Promise<void> }> {
  const role = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: inject('adminUrl') });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await c.query(`ALTER DATABASE "${db.name}" OWNER TO ${role}`);
  });
  const url = new URL(db.url);
  url.username = role;
  url.password = encodeURIComponent(password);
  return {
    role,
    url: url.toString(),
    drop: () =>
      admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`).catch(() => undefined);
        await c.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      }),
  };
}

/**
 * The schema of `db` as the local pg_dump prints it, without what differs from one dump or database to
 * the next; undefined when no local pg_dump can dump the test server (pg_dump refuses newer servers).
 */
export async function schemaDumper(): Promise<((db: TestDatabase) => string) | undefined> {
  const pgDump = localPgDump();
  if (pgDump === undefined || pgDump.major < (await serverMajor())) return undefined;
  return (db) =>
    execFileSync(pgDump.path, ['--schema-only', '--no-owner', '--no-privileges'], { env: libpqEnv(db.url), encoding: 'utf8' })
      .split('\n')
      .filter((line) => !/^\\(un)?restrict /.test(line))
      .join('\n')
      .split(db.name)
      .join('<database>');
}
