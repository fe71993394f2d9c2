import type pg from 'pg';
import { UserError, messageOf } from '../errors.js';
import type { Log } from '../log.js';
import { DEFAULT_LOCK_KEY } from '../inputs.js';
import { poolerError } from './session.js';

/**
 * postgres-migrations' advisory lock key, the default of input lock-key for every engine. Using the same
 * key means an application that still runs postgres-migrations on start-up and this job exclude each other.
 */
export const MIGRATION_LOCK_KEY = DEFAULT_LOCK_KEY;

/** The key as SQL text: config.ts has checked it is a bigint; checked again, as it is written into SQL. */
function keySql(key: string): string {
  if (!/^-?\d{1,19}$/.test(key)) throw new Error(`not a bigint lock key: ${JSON.stringify(key)}`);
  return `'${key}'::int8`;
}

/** The lock's key as pg_locks shows it, for a WHERE clause. */
function isOurLock(key: string): string {
  return `l.locktype = 'advisory' AND l.objsubid = 1 AND ((l.classid::int8 << 32) | l.objid::int8) = ${keySql(key)}`;
}
/**
 * Whether the backend running the statement holds the lock already. A new session never does: if it
 * does, a pooler gave us a server session that another client left the lock on.
 */
function alreadyHeld(key: string): string {
  return `EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.granted AND ${isOurLock(key)})`;
}

/**
 * Take the session-level migration lock, waiting at most `timeoutMs` (0 = do not wait). The wait is a
 * blocking `pg_advisory_lock` bounded by `lock_timeout`, so a waiter wakes the moment the lock is freed.
 * On timeout the error names who holds the lock. Returns the server process that holds it now; throws
 * poolerError when that session held it before we asked (it is then not ours to release).
 *
 * With `onlyInBackend`, the lock is taken only if the statement runs in that server process (the one
 * the connection was made to), else `undefined` is returned and nothing is taken: so the first attempt
 * can go out together with the connection's first statement, and only a pooled connection, checked
 * first, costs more.
 */
export async function acquireMigrationLock(client: pg.Client, key: string, timeoutMs: number, onlyInBackend?: number): Promise<number | undefined> {
  const ALREADY_HELD = alreadyHeld(key);
  const elsewhere = onlyInBackend === undefined ? '' : `WHEN pg_backend_pid() <> ${Math.trunc(onlyInBackend)} THEN 'elsewhere' `;
  if (timeoutMs === 0) {
    const { rows } = await client.query<{ pid: number; lock: string }>(
      `SELECT pg_backend_pid() AS pid, CASE ${elsewhere}WHEN ${ALREADY_HELD} THEN 'held' WHEN pg_try_advisory_lock(${keySql(key)}) THEN 'taken' ELSE 'busy' END AS lock`,
    );
    const { pid, lock } = rows[0]!;
    if (lock === 'elsewhere') return undefined;
    if (lock === 'held') throw poolerError(`the server session we were given (pid ${pid}) already held the migration lock, taken by another client`);
    if (lock === 'taken') return pid;
    throw new UserError(
      `Another run holds the migration lock (${await describeLockHolder(client, key)}) and lock-wait-timeout is 0; ` +
        'wait for it to finish, or raise lock-wait-timeout.',
    );
  }
  // Issued together (one round trip in pipeline mode); RESET runs whether or not the lock was taken.
  const [set, lock] = await Promise.allSettled([
    client.query(`SET lock_timeout = ${Math.ceil(timeoutMs)}`),
    client.query<{ pid: number; lock: string }>(
      `SELECT pg_backend_pid() AS pid, CASE ${elsewhere}WHEN ${ALREADY_HELD} THEN 'held' ELSE (SELECT 'taken' FROM (SELECT pg_advisory_lock(${keySql(key)})) s) END AS lock`,
    ),
    client.query('RESET lock_timeout'),
  ]);
  if (set.status === 'rejected') throw set.reason;
  if (lock.status === 'rejected') {
    const error: unknown = lock.reason;
    if ((error as { code?: string }).code !== '55P03') throw error;
    throw new UserError(
      `Timed out after lock-wait-timeout (${Math.round(timeoutMs / 1000)} s) waiting for the migration lock, held by ` +
        `${await describeLockHolder(client, key)}; wait for that run to finish, end that session if it is stuck ` +
        '(SELECT pg_terminate_backend(pid)), or raise lock-wait-timeout.',
      { cause: error },
    );
  }
  const { pid, lock: outcome } = lock.value.rows[0]!;
  if (outcome === 'elsewhere') return undefined;
  if (outcome === 'held') throw poolerError(`the server session we were given (pid ${pid}) already held the migration lock, taken by another client`);
  return pid;
}

/**
 * Release the lock held by server process `lockPid`. A failure is only a warning: the lock also ends
 * with the session. When our statement does not reach that session (a pooler moved us), the lock would
 * stay on a server connection the pooler keeps open for others: that session is ended if it is idle,
 * which frees the lock (the pooler opens a new one when it needs it).
 */
export async function releaseMigrationLock(client: pg.Client, key: string, lockPid: number, log: Log): Promise<void> {
  try {
    const { rows } = await client.query<{ pid: number; released: boolean }>(
      `SELECT pg_backend_pid() AS pid, pg_backend_pid() = $1 AND pg_advisory_unlock(${keySql(key)}) AS released`,
      [lockPid],
    );
    if (rows[0]!.released) return;
    const { rows: ended } = await client.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(a.pid) AS ended FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
        WHERE a.pid = $1 AND a.state = 'idle' AND l.granted AND ${isOurLock(key)}`,
      [lockPid],
    );
    log.warning(
      ended[0]?.ended
        ? `The migration lock was left on pooled server session pid ${lockPid}, which this run could no longer reach; that idle session was ended, which freed the lock.`
        : `Could not release the migration lock on server session pid ${lockPid} (this run's statements went to pid ${rows[0]!.pid}); ` +
            `it is freed when that session ends (SELECT pg_terminate_backend(${lockPid})).`,
    );
  } catch (error) {
    log.warning(`Could not release the migration lock (${messageOf(error)}); it is released when the connection closes.`);
  }
}

interface Holder {
  pid: number;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  client_port: number | null;
  backend_start: Date | null;
  state: string | null;
}

/**
 * Who holds the lock, from pg_locks and pg_stat_activity: pid, role, application_name, client, since
 * when. PostgreSQL hides another role's client address, start time and state from roles without
 * pg_read_all_stats; the message says so rather than guess.
 */
export async function describeLockHolder(client: pg.Client, key: string): Promise<string> {
  try {
    const { rows } = await client.query<Holder & { me: string }>(
      `SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.client_port, a.backend_start, a.state, current_user AS me
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND ${isOurLock(key)}
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const holder = rows[0];
    if (!holder) return 'a session that has since let it go';
    return describeHolder(holder, rows[0]!.me);
  } catch (error) {
    return `an unknown session (could not read pg_locks: ${messageOf(error)})`;
  }
}

/** One holder in words. Pure. */
export function describeHolder(holder: Holder, viewer: string): string {
  const parts = [`pid ${holder.pid}`];
  if (holder.usename) parts.push(`role "${holder.usename}"`);
  parts.push(`application_name "${holder.application_name ?? ''}"`);
  // client_port is -1 for a Unix socket; NULL (with client_addr) when hidden from this role.
  const hidden = holder.client_port === null && holder.client_addr === null;
  if (hidden) {
    parts.push(`client, start time and state hidden from role "${viewer}" (grant it pg_read_all_stats to see them)`);
  } else {
    parts.push(holder.client_port === -1 || holder.client_addr === null ? 'client local socket' : `client ${holder.client_addr}:${holder.client_port}`);
    if (holder.backend_start) parts.push(`connected since ${holder.backend_start.toISOString()}`);
    if (holder.state) parts.push(`state ${holder.state}`);
  }
  return parts.join(', ');
}
