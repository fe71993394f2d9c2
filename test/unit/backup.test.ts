import { describe, expect, it } from 'vitest';
import {
  backupFileName,
  dumpPrefix,
  choosePgDump,
  libpqEnv,
  parsePgDumpVersion,
  restoreCommand,
  type Exec,
} from '../../src/migrations/backup.js';

const versions: Record<string, string> = {
  '/usr/bin/pg_dump': 'pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)',
  '/usr/lib/postgresql/17/bin/pg_dump': 'pg_dump (PostgreSQL) 17.2',
  '/usr/lib/postgresql/15/bin/pg_dump': 'pg_dump (PostgreSQL) 15.18',
};
const fakeExec: Exec = async (file) =>
  versions[file] ? { exitCode: 0, stdout: `${versions[file]}\n`, stderr: '' } : { exitCode: 127, stdout: '', stderr: 'not found' };

describe('pg_dump selection', () => {
  it('parses versions', () => {
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({ major: 15, version: '15.18' });
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 18beta1')).toEqual({ major: 18, version: '18' });
    expect(parsePgDumpVersion('something else')).toBeUndefined();
  });

  it('takes the first candidate whose major is at least the server major', async () => {
    const candidates = ['/usr/bin/pg_dump', '/usr/lib/postgresql/17/bin/pg_dump', '/usr/lib/postgresql/15/bin/pg_dump'];
    expect((await choosePgDump(15, candidates, fakeExec)).path).toBe('/usr/bin/pg_dump');
    expect((await choosePgDump(16, candidates, fakeExec)).path).toBe('/usr/lib/postgresql/17/bin/pg_dump');
  });

  it('fails with every version found and the client package to install', async () => {
    const candidates = ['/usr/bin/pg_dump', '/nowhere/pg_dump'];
    await expect(choosePgDump(18, candidates, fakeExec)).rejects.toThrow(
      /pg_dump 18 or newer .*found \/usr\/bin\/pg_dump 15\.18, \/nowhere\/pg_dump \(not runnable\).*postgresql-client-18.*pg-dump-path.*Nothing was applied/,
    );
    await expect(choosePgDump(18, [], fakeExec)).rejects.toThrow(/found none on PATH/);
  });
});

describe('backup files', () => {
  it('names the file after database, revision and UTC time', () => {
    const at = new Date('2026-11-23T04:05:06.789Z');
    expect(backupFileName('app', '3', at, 'custom')).toBe('app-r3-20261123T040506Z.dump');
    expect(backupFileName('my db/x', '0', at, 'plain')).toBe('my_db_x-r0-20261123T040506Z.sql');
    // Dashes in a revision (node-pg-migrate names) become _: the last -r ends the database part.
    expect(backupFileName('app', '3_add-email', at, 'custom')).toBe('app-r3_add_email-20261123T040506Z.dump');
  });

  it('starts dump names with the database and a tag of server and database, so that no two share them', () => {
    const at = { host: 'db.internal', port: 5432, database: 'app' };
    expect(dumpPrefix(at)).toMatch(/^app-[0-9a-f]{8}$/);
    expect(dumpPrefix(at)).toBe(dumpPrefix({ ...at }));
    expect(dumpPrefix({ ...at, host: 'staging.internal' })).not.toBe(dumpPrefix(at));
    expect(dumpPrefix({ ...at, port: 5433 })).not.toBe(dumpPrefix(at));
    // Names that become the same once made safe for a file name still differ.
    const spaced = backupFileName(dumpPrefix({ ...at, database: 'my db' }), '1', new Date(0), 'custom');
    const underscored = backupFileName(dumpPrefix({ ...at, database: 'my_db' }), '1', new Date(0), 'custom');
    expect(spaced).not.toBe(underscored);
  });

  it('passes the connection to pg_dump through libpq variables, the password never in argv', () => {
    const env = libpqEnv('postgres://app:p%40ss%2Fw@db.internal:6543/shop?sslmode=require', { PATH: '/bin', PGSERVICE: 'x' });
    expect(env).toMatchObject({
      PGHOST: 'db.internal',
      PGPORT: '6543',
      PGUSER: 'app',
      PGPASSWORD: 'p@ss/w',
      PGDATABASE: 'shop',
      PGSSLMODE: 'require',
      PATH: '/bin',
    });
    expect(env.PGSERVICE).toBeUndefined();
  });

  it('writes restore commands that use $DATABASE_URL, not the URL', () => {
    expect(restoreCommand('/b/app.dump', 'custom')).toBe(`pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" '/b/app.dump'`);
    expect(restoreCommand('/b/app.sql', 'plain')).toContain(`psql "$DATABASE_URL"`);
  });
});

describe('the restore command', () => {
  it('quotes a path with a single quote so that it is safe to copy', () => {
    expect(restoreCommand("/tmp/it's/x.dump", 'custom')).toBe(`pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" '/tmp/it'\\''s/x.dump'`);
  });
});
