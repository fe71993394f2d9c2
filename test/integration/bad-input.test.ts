import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOn } from '../../src/main.js';
import { libpqEnv } from '../../src/migrations/backup.js';
import { freshDatabase, localPgDump, migrationRows, serverMajor, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

/**
 * Every kind of bad input, each on a database at revision 1 with migrations 2 and 3 pending: exit code 1,
 * one line naming the input or file, no stack trace, no secret (the leak check runs after each case),
 * and the database byte for byte as before (schema dump and migrations table).
 */
let db: TestDatabase;
const EXAMPLE = path.resolve('migrations-example/postgres-migrations');
// A schema dump where the machine's pg_dump can dump this server, and the catalog in any case.
const dump = localPgDump();
const dumpable = dump !== undefined && dump.major >= (await serverMajor());

beforeAll(async () => {
  db = await freshDatabase('bad');
  await runOn(recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE, 'target-revision': '1' }));
});
afterAll(async () => db?.close());

async function snapshot(): Promise<string> {
  const schema = dumpable
    ? execFileSync(dump!.path, ['--schema-only', '--no-owner'], { env: libpqEnv(db.url), encoding: 'utf8' })
        .split('\n')
        .filter((line) => !/^\\(un)?restrict /.test(line))
        .join('\n')
    : '';
  const catalog = await db.query(
    `SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
      WHERE n.nspname = 'public' ORDER BY 1, 3`,
  );
  const rows = await db.query('SELECT id, name, hash, executed_at FROM migrations ORDER BY id');
  return `${schema}\n${JSON.stringify(catalog)}\n${JSON.stringify(rows)}`;
}

/** The example migrations plus extra files (or a function that damages the copy). */
function exampleWith(change: Record<string, string | Buffer> | ((dir: string) => void)): string {
  const dir = migrationsDir({});
  cpSync(EXAMPLE, dir, { recursive: true });
  if (typeof change === 'function') change(dir);
  else for (const [name, contents] of Object.entries(change)) writeFileSync(path.join(dir, name), contents);
  return dir;
}

const url = () => new URL(db.url);
const withUrl = (edit: (u: URL) => void) => {
  const u = url();
  edit(u);
  return u.toString();
};
const password = () => decodeURIComponent(url().password);

type Case = [name: string, inputs: () => Record<string, string>, message: RegExp];

const cases: Case[] = [
  // numbers
  ['wait-timeout not a number', () => ({ 'wait-timeout': 'abc' }), /^Input wait-timeout "abc" is not a whole number of seconds/],
  ['wait-timeout negative', () => ({ 'wait-timeout': '-1' }), /^Input wait-timeout "-1"/],
  ['wait-timeout too large', () => ({ 'wait-timeout': '3601' }), /^Input wait-timeout "3601" is above the maximum/],
  ['wait-timeout exponent', () => ({ 'wait-timeout': '1e3' }), /^Input wait-timeout "1e3"/],
  ['lock-wait-timeout word', () => ({ 'lock-wait-timeout': 'forever' }), /^Input lock-wait-timeout "forever"/],
  ['lock-wait-timeout too large', () => ({ 'lock-wait-timeout': '86401' }), /^Input lock-wait-timeout "86401" is above/],
  ['lock-retries decimal', () => ({ 'lock-retries': '2.5' }), /^Input lock-retries "2\.5"/],
  ['lock-retries too many', () => ({ 'lock-retries': '101' }), /^Input lock-retries "101" is above the maximum of 100/],
  ['target-revision word', () => ({ 'target-revision': 'latest' }), /^Input target-revision "latest" is not a migration id/],
  ['target-revision zero', () => ({ 'target-revision': '0' }), /^Input target-revision "0" must be 1 or more/],
  ['target-revision beyond the files', () => ({ 'target-revision': '99' }), /^Input target-revision 99 is beyond the last migration file/],
  // enums and booleans
  ['unknown command', () => ({ command: 'migrate' }), /^Input command "migrate" is not a command/],
  ['command in capitals', () => ({ command: 'APPLY' }), /^Input command "APPLY" is not a command/],
  ['summary not a boolean', () => ({ summary: 'yes' }), /^Input summary "yes" is not a boolean/],
  ['backup not a backup mode', () => ({ backup: 'on' }), /^Input backup "on" is not a backup mode; use auto, true, false/],
  ['dry-run with apply', () => ({ 'dry-run': 'true' }), /^Input dry-run is only for command rollback; .* use command plan/],
  ['rollback without target', () => ({ command: 'rollback' }), /^Input target-revision is required for command rollback/],
  ['-N with apply', () => ({ 'target-revision': '-1' }), /^Input target-revision "-1" counts back from the applied revision, which only command rollback does/],
  ['bad backup-retention', () => ({ 'backup-retention': '7 days' }), /^Input backup-retention "7 days" is not a retention/],
  ['unknown backup-format', () => ({ 'backup-format': 'tar' }), /^Input backup-format "tar" is not a backup format/],
  ['baseline without target', () => ({ command: 'baseline' }), /^Input target-revision is required for command baseline/],
  // settings
  ['setting without =', () => ({ settings: 'lock_timeout' }), /^Input settings line 1 is not name=value/],
  ['setting without name', () => ({ settings: '=5s' }), /^Input settings line 1 has no valid setting name/],
  ['setting without value', () => ({ settings: 'lock_timeout=' }), /^Input settings line 1 \(lock_timeout\) has an empty value/],
  ['setting twice', () => ({ settings: 'lock_timeout=1s\nlock_timeout=2s' }), /^Input settings line 2 sets lock_timeout a second time/],
  ['setting PostgreSQL rejects', () => ({ settings: 'statement_timeout=soon' }), /^Input settings: PostgreSQL rejected setting 1, statement_timeout: invalid value/],
  ['unknown setting', () => ({ settings: 'no_such_parameter=1' }), /^Input settings: PostgreSQL rejected setting 1, no_such_parameter: unrecognized configuration parameter/],
  // database-url
  ['empty URL', () => ({ 'database-url': '' }), /^Input database-url is empty: the secret is probably not available/],
  ['other scheme', () => ({ 'database-url': db.url.replace(/^postgres:/, 'mysql:') }), /^Input database-url has scheme "mysql:", which is not PostgreSQL/],
  ['http scheme', () => ({ 'database-url': db.url.replace(/^postgres:/, 'http:') }), /^Input database-url has scheme "http:"/],
  ['no host', () => ({ 'database-url': `postgres://:${encodeURIComponent(password())}@/${db.name}` }), /^Input database-url (has no host|cannot be parsed)/],
  ['no database', () => ({ 'database-url': withUrl((u) => (u.pathname = '/')) }), /^Input database-url has no database name/],
  ['bad percent-encoding', () => ({ 'database-url': `postgres://postgres:${encodeURIComponent(password())}%zz@127.0.0.1:${url().port}/${db.name}` }), /^Input database-url has bad percent-encoding in the password/],
  ['password not encoded', () => ({ 'database-url': `postgres://postgres:${password()}@127.0.0.1:${url().port}/${db.name}` }), /^Input database-url (cannot be parsed|has bad percent-encoding|has a "\/" in the database name|has no)/],
  ['whitespace in URL', () => ({ 'database-url': db.url.replace('@', ' @') }), /^Input database-url contains whitespace/],
  ['unknown sslmode', () => ({ 'database-url': withUrl((u) => u.searchParams.set('sslmode', 'always')) }), /^Input database-url has sslmode=always, which is not an SSL mode/],
  ['wrong password', () => ({ 'database-url': withUrl((u) => (u.password = encodeURIComponent(`${password()}x`))) }), /^Password authentication failed for user "postgres"/],
  // migration directories and files
  ['missing directory', () => ({ 'migrations-dir': path.join(os.tmpdir(), 'no-such-dir-for-migrations') }), /^migrations-dir ".*no-such-dir-for-migrations" does not exist/],
  ['empty directory', () => ({ 'migrations-dir': migrationsDir({}) }), /^migrations-dir ".*" has no migration files/],
  ['a file, not a directory', () => ({ 'migrations-dir': path.join(EXAMPLE, '1_create-users.sql') }), /^migrations-dir ".*1_create-users\.sql" is a file, not a directory/],
  ['non-UTF-8 file', () => ({ 'migrations-dir': exampleWith({ '4_latin1.sql': Buffer.from('SELECT \'caf\xe9\';', 'latin1') }) }), /^Migration file .*4_latin1\.sql is not valid UTF-8/],
  ['name without id', () => ({ 'migrations-dir': exampleWith({ 'add-orders.sql': 'SELECT 1;' }) }), /^Migration file .*add-orders\.sql has no id at the start of its name/],
  ['gap in ids', () => ({ 'migrations-dir': exampleWith({ '5_orders.sql': 'SELECT 1;' }) }), /id 4 is missing/],
  ['duplicate ids', () => ({ 'migrations-dir': exampleWith({ '3_add-orders.sql': 'SELECT 1;' }) }), /^Migration files 3_add-orders\.sql, 3_add-users-last-login\.sql .* share id 3: most likely two branches/],
  ['huge id', () => ({ 'migrations-dir': exampleWith({ '4294967296_x.sql': 'SELECT 1;' }) }), /has id 4294967296/],
  ['id 0', () => ({ 'migrations-dir': exampleWith({ '0_init.sql': 'SELECT 1;' }) }), /has id 0; ids start at 1/],
  ['.js that throws', () => ({ 'migrations-dir': exampleWith({ '4_x.js': 'export function generateSql() { throw new Error("no"); }' }) }), /4_x\.js: generateSql\(\) threw: no; fix the function/],
  ['.js returning a non-string', () => ({ 'migrations-dir': exampleWith({ '4_x.js': 'export const generateSql = () => ({ sql: "SELECT 1" });' }) }), /4_x\.js: generateSql\(\) returned object, not a string/],
  ['.js without generateSql', () => ({ 'migrations-dir': exampleWith({ '4_x.js': 'export default "SELECT 1";' }) }), /4_x\.js does not export a generateSql function/],
  ['symlink outside the directory', () => ({
    'migrations-dir': exampleWith((dir) => {
      const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'outside-')), 'x.sql');
      writeFileSync(outside, 'DROP TABLE users;');
      symlinkSync(outside, path.join(dir, '4_x.sql'));
    }),
  }), /4_x\.sql is a link to a file outside/],
  ['broken symlink', () => ({ 'migrations-dir': exampleWith((dir) => symlinkSync(path.join(dir, 'gone.sql'), path.join(dir, '4_x.sql'))) }), /4_x\.sql disappeared or is a broken link/],
  ['changed applied file', () => ({ 'migrations-dir': exampleWith({ '1_create-users.sql': 'CREATE TABLE users (id int);' }) }), /1_create-users\.sql changed after it was applied/],
];

describe('bad input: exit 1, one line naming it, database untouched', () => {
  it.each(cases)('%s', async (_, inputs, message) => {
    const before = await snapshot();
    const p = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE, ...inputs() });
    const result = await runOn(p);
    expect(result.status).toBe('failed');
    expect(p.failed).toMatch(message);
    expect(p.failed).not.toContain('\n');
    expect(p.log()).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(p.outputs.status).toBe('failed');
    expect(await snapshot()).toBe(before);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });

  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
});

describe('encodings that are valid', () => {
  it('applies a file with a BOM and CRLF line endings, recording the hash of the file as written', async () => {
    const other = await freshDatabase('enc');
    try {
      const dir = migrationsDir({ '1_bom.sql': '\uFEFFCREATE TABLE bom (id int);\r\nINSERT INTO bom VALUES (1);\r\n' });
      const p = recordingPlatform({ 'database-url': other.url, 'migrations-dir': dir });
      await runOn(p);
      expect(p.failed).toBeUndefined();
      expect(await other.query('SELECT id FROM bom')).toEqual([{ id: 1 }]);
      const { loadMigrationFiles } = await import('postgres-migrations');
      expect((await migrationRows(other))[1]!.hash).toBe((await loadMigrationFiles(dir))[1]!.hash);
    } finally {
      await other.close();
    }
  });
});
