import { spawn } from 'node:child_process';
import { hash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'pg-connection-string';
import type { Clock } from '../clock.js';
import { tlsSettings, withoutTlsParams } from '../db/tls.js';
import type { BackupFormat } from '../config.js';
import { UserError, messageOf } from '../errors.js';
import { safeName } from './retention.js';

export interface PgDumpBinary {
  readonly path: string;
  readonly major: number;
  readonly version: string;
}

export interface Backup {
  readonly path: string;
  readonly sizeBytes: number;
  readonly durationMs: number;
  readonly format: BackupFormat;
  readonly pgDump: PgDumpBinary;
  /** How to restore it, with $DATABASE_URL standing for the URL (never the real one). */
  readonly restoreCommand: string;
}

/**
 * Runs a program; the edge that tests may replace. Never logs the command line's environment. With
 * `signal`, an abort stops the program (SIGTERM, then SIGKILL after 2 s) and the promise rejects.
 */
export type Exec = (
  file: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  signal?: AbortSignal,
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export const execProgram: Exec = (file, args, env, signal) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let stopped = false;
    const stop = () => {
      stopped = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('close', (code) => {
      signal?.removeEventListener('abort', stop);
      if (stopped) reject(new Error(`${path.basename(file)} was stopped`));
      else resolve({ exitCode: code ?? -1, stdout, stderr });
    });
  });

/** "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> { major 15, version "15.18" }. Pure. */
export function parsePgDumpVersion(text: string): { major: number; version: string } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), version: match[2] === undefined ? match[1]! : `${match[1]}.${match[2]}` };
}

/** Candidate pg_dump paths: the explicit one, else PATH first, then /usr/lib/postgresql/<major>/bin, newest first. */
export async function pgDumpCandidates(explicit: string | undefined, envPath = process.env.PATH ?? '', libRoot = '/usr/lib/postgresql'): Promise<string[]> {
  if (explicit) return [explicit];
  const found: string[] = [];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'pg_dump');
    if (await isExecutable(candidate)) {
      found.push(candidate);
      break;
    }
  }
  const majors = await fs.readdir(libRoot).catch(() => [] as string[]);
  for (const major of majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a))) {
    const candidate = path.join(libRoot, major, 'bin', 'pg_dump');
    if (await isExecutable(candidate)) found.push(candidate);
  }
  return found;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The first candidate whose major version is at least the server's (pg_dump refuses newer servers).
 * Fails with every version found and the fix.
 */
export async function choosePgDump(
  serverMajor: number,
  candidates: readonly string[],
  exec: Exec,
  explicitInput?: string,
  undone: BackupRequest['undone'] | 'changed' = 'applied',
  what = 'Backup',
): Promise<PgDumpBinary> {
  const seen: string[] = [];
  for (const candidate of candidates) {
    const result = await exec(candidate, ['--version']).catch((error: unknown) => ({ exitCode: -1, stdout: '', stderr: messageOf(error) }));
    const parsed = result.exitCode === 0 ? parsePgDumpVersion(result.stdout) : undefined;
    if (!parsed) {
      seen.push(`${candidate} (not runnable)`);
      continue;
    }
    if (parsed.major >= serverMajor) return { path: candidate, ...parsed };
    seen.push(`${candidate} ${parsed.version}`);
  }
  const found = seen.length > 0 ? `found ${seen.join(', ')}` : 'found none on PATH or in /usr/lib/postgresql/*/bin';
  const fix = explicitInput
    ? `point ${explicitInput} at a pg_dump ${serverMajor} or newer`
    : `install the PostgreSQL ${serverMajor} client (Debian/Ubuntu: postgresql-client-${serverMajor} from apt.postgresql.org), or set pg-dump-path to a pg_dump ${serverMajor} or newer`;
  throw new UserError(`${what} needs pg_dump ${serverMajor} or newer for this PostgreSQL ${serverMajor} server (${found}); ${fix}. Nothing was ${undone}.`);
}

/**
 * What a dump's name starts with: the database's name and a tag of the server and database (8 hex
 * digits of the SHA-256 of `host:port/database`; not secret), so that two servers' `app`, or `my db`
 * and `my_db`, never share names and backup-retention never takes one's dumps for the other's. Pure.
 */
export function dumpPrefix(endpoint: { readonly host: string; readonly port: number; readonly database: string }): string {
  return `${endpoint.database}-${hash('sha256', `${endpoint.host}:${endpoint.port}/${endpoint.database}`, 'hex').slice(0, 8)}`;
}

/**
 * `<db>-r<revision>-<UTC timestamp>.dump|.sql`, safe as a file name (the revision is the engine's id, `0`
 * when none; Alembic's several heads are joined by `+`). The revision part has no `-` (it becomes `_`),
 * so the last `-r` before the timestamp ends the database's name: backup-retention tells one database's
 * dumps from another's (`app` from `app-r1`) by the name alone. Pure.
 */
export function backupFileName(database: string, revision: string, at: Date, format: BackupFormat): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const rev = revision.trim().split(/\s+/).map((part) => safeName(part).replace(/-/g, '_')).join('+').slice(0, 80) || '0';
  return `${safeName(database)}-r${rev}-${stamp}.${format === 'custom' ? 'dump' : 'sql'}`;
}

/** Where the system's trusted CA certificates are, for `sslrootcert=system` with a libpq older than 16. */
const SYSTEM_CA_FILES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

/**
 * libpq environment for pg_dump/pg_restore: the password travels in PGPASSWORD, never in argv (where any
 * user of the machine can read it in the process list). TLS settings are the URL's, with libpq's
 * meaning, as for our own connection (tls.ts); libpq before 16 does not know `sslrootcert=system`, so
 * it is given the system's CA file instead.
 */
export function libpqEnv(databaseUrl: string, base: NodeJS.ProcessEnv = process.env, libpqMajor = 16): NodeJS.ProcessEnv {
  const c = parse(withoutTlsParams(databaseUrl)) as Record<string, unknown>;
  const tls = tlsSettings(databaseUrl);
  const env: NodeJS.ProcessEnv = { ...base };
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  const set = (name: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') env[name] = value;
    else if (typeof value === 'number') env[name] = String(value);
  };
  set('PGHOST', c.host);
  set('PGPORT', c.port);
  set('PGUSER', c.user);
  // As the driver does: the URL's password, else PGPASSWORD, else libpq reads the password file.
  set('PGPASSWORD', c.password || base.PGPASSWORD);
  set('PGPASSFILE', base.PGPASSFILE);
  set('PGDATABASE', c.database);
  set('PGSSLMODE', tls.mode);
  set('PGSSLROOTCERT', tls.rootCert === 'system' && libpqMajor < 16 ? SYSTEM_CA_FILES.find((file) => existsSync(file)) : tls.rootCert);
  set('PGSSLCERT', tls.cert);
  set('PGSSLKEY', tls.key);
  set('PGOPTIONS', c.options);
  // Told apart from every other session, so that its queries can be cancelled if the run is.
  env.PGAPPNAME = `migrate-action-backup-${randomBytes(4).toString('hex')}`;
  env.PGCONNECT_TIMEOUT = '30';
  return env;
}

export function restoreCommand(file: string, format: BackupFormat): string {
  // Single-quoted for a POSIX shell, a quote in the path included: the command is safe to copy.
  const quoted = `'${file.replace(/'/g, "'\\''")}'`;
  return format === 'custom'
    ? `pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" ${quoted}`
    : `psql "$DATABASE_URL" --single-transaction --file ${quoted}`;
}

export interface BackupRequest {
  readonly databaseUrl: string;
  /** What the dump's name starts with: dumpPrefix() of the endpoint. */
  readonly database: string;
  readonly revision: string;
  readonly dir: string;
  readonly format: BackupFormat;
  readonly pgDump: PgDumpBinary;
  readonly clock: Clock;
  readonly exec: Exec;
  /** Aborted when the run is cancelled: pg_dump is stopped and its partial file removed. */
  readonly signal?: AbortSignal;
  /** What a failure did not do, for its message ("nothing was applied"); applied when unset. */
  readonly undone?: 'applied' | 'rolled back';
}

/** The backup was stopped because the run was cancelled; its server session is named so it can be cancelled too. */
export class BackupStopped extends UserError {
  readonly applicationName: string;

  constructor(file: string, applicationName: string, undone: BackupRequest['undone'] = 'applied') {
    super(`the backup was stopped and its partial file ${file} removed; nothing was ${undone}`);
    this.name = 'BackupStopped';
    this.applicationName = applicationName;
  }
}

/**
 * Dump the database into a new file (mode 0600, in a 0700 directory) and verify it: non-empty, and for
 * the custom format readable by `pg_restore --list`. Any failure removes the partial file and throws.
 */
export async function takeBackup(request: BackupRequest): Promise<Backup> {
  const { dir, format, pgDump, clock, exec } = request;
  const undone = request.undone ?? 'applied';
  const started = clock.now();
  try {
    // Directories we create are 0700; one that exists keeps its mode (it may be the checkout itself),
    // and the dump in it is 0600 either way.
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UserError(`backup-dir "${dir}" cannot be created (${messageOf(error)}); point backup-dir at a writable directory. Nothing was ${undone}.`);
  }
  const file = await createBackupFile(dir, backupFileName(request.database, request.revision, new Date(clock.now()), format), undone);
  const env = libpqEnv(request.databaseUrl, process.env, pgDump.major);
  const fail = async (why: string): Promise<never> => {
    await fs.rm(file, { force: true });
    throw new UserError(`Backup with ${pgDump.path} failed: ${why}; nothing was ${undone}. Fix the cause, or run without backup.`);
  };
  const dump = await exec(pgDump.path, [`--format=${format}`, `--file=${file}`, '--no-password'], env, request.signal).catch(async (error: unknown) => {
    await fs.rm(file, { force: true });
    if (request.signal?.aborted) throw new BackupStopped(file, env.PGAPPNAME!, undone);
    throw new UserError(`Backup with ${pgDump.path} failed: it could not be run (${messageOf(error)}); nothing was ${undone}.`, { cause: error });
  });
  if (dump.exitCode !== 0) await fail(`pg_dump exited with ${dump.exitCode}: ${lastLine(dump.stderr)}`);
  await fs.chmod(file, 0o600);
  const { size } = await fs.stat(file);
  if (size === 0) await fail('the dump file is empty');
  if (format === 'custom') {
    const pgRestore = path.join(path.dirname(pgDump.path), 'pg_restore');
    const list = await exec(pgRestore, ['--list', file], env).catch((error: unknown) => ({ exitCode: -1, stdout: '', stderr: messageOf(error) }));
    if (list.exitCode !== 0) await fail(`pg_restore --list cannot read the dump (${lastLine(list.stderr)})`);
  } else {
    const text = await fs.readFile(file, 'utf8');
    if (!text.includes('PostgreSQL database dump complete')) await fail('the plain dump is incomplete (no "dump complete" line)');
  }
  return {
    path: file,
    sizeBytes: size,
    durationMs: clock.now() - started,
    format,
    pgDump,
    restoreCommand: restoreCommand(file, format),
  };
}

/**
 * Create the dump file, empty, with mode 0600 (so the dump is never readable by others, even while it is
 * written), never over an existing one: a second dump within the same second gets `-2`, `-3`, … before
 * the extension.
 */
async function createBackupFile(dir: string, name: string, undone: BackupRequest['undone'] = 'applied'): Promise<string> {
  const extension = path.extname(name);
  for (let n = 1; ; n += 1) {
    const file = path.join(dir, n === 1 ? name : `${name.slice(0, -extension.length)}-${n}${extension}`);
    try {
      await (await fs.open(file, 'wx', 0o600)).close();
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) {
        throw new UserError(`The backup file ${file} cannot be created (${messageOf(error)}); point backup-dir at a writable directory. Nothing was ${undone}.`);
      }
    }
  }
}

/**
 * The database's schema as a plain SQL script (`pg_dump --schema-only`), for the shadow run: without
 * owners, privileges, comments, tablespaces, publications, subscriptions or security labels, which an
 * empty database of another server may not be able to take. Waits at most 30 s for a table's lock.
 */
export function dumpSchema(databaseUrl: string, pgDump: PgDumpBinary, exec: Exec, signal?: AbortSignal): Promise<string> {
  return dumpText(databaseUrl, pgDump, exec, ['--schema-only', '--no-owner', '--no-privileges', '--no-comments', '--no-tablespaces', '--no-publications', '--no-subscriptions', '--no-security-labels'], signal);
}

/**
 * The rows of table `name` (in any schema) and the value of its serial sequence, as INSERT statements and a
 * setval (what the driver can run, unlike COPY … FROM stdin): an engine's state for the shadow run.
 */
export function dumpRows(databaseUrl: string, pgDump: PgDumpBinary, exec: Exec, name: string, signal?: AbortSignal): Promise<string> {
  return dumpText(databaseUrl, pgDump, exec, ['--data-only', '--inserts', `--table=*.${name}`, `--table=*.${name}_*_seq`], signal);
}

async function dumpText(databaseUrl: string, pgDump: PgDumpBinary, exec: Exec, what: readonly string[], signal?: AbortSignal): Promise<string> {
  const args = [...what, '--lock-wait-timeout=30000', '--no-password'];
  const dumped = await exec(pgDump.path, args, libpqEnv(databaseUrl, process.env, pgDump.major), signal).catch((error: unknown) => {
    throw new UserError(`pg_dump ${what[0]} with ${pgDump.path} could not be run (${messageOf(error)}); nothing was changed.`, { cause: error });
  });
  if (dumped.exitCode !== 0) {
    throw new UserError(`pg_dump ${what[0]} with ${pgDump.path} failed (exit code ${dumped.exitCode}: ${lastLine(dumped.stderr)}); nothing was changed.`);
  }
  return dumped.stdout;
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/).filter(Boolean);
  return lines[lines.length - 1] ?? 'no message';
}
