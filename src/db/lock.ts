import type pg from 'pg';
import { UserError, messageOf } from '../errors.js';
import type { Log } from '../log.js';

/**
 * postgres-migrations' advisory lock key. Using the same key means an application that still runs
 * postgres-migrations on start-up and this job exclude each other.
 */
export const MIGRATION_LOCK_KEY = '-8525285245963000605';

/**
 * Take the session-level migration lock, waiting at most `timeoutMs` (0 = do not wait). The wait is a
 * blocking `pg_advisory_lock` bounded by `lock_timeout`, so a waiter wakes the moment the lock is freed.
 * On timeout the error names who holds the lock.
 */
export async function acquireMigrationLock(client: pg.Client, timeoutMs: number): Promise<void> {
  if (timeoutMs === 0) {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS locked`);
    if (rows[0]?.locked) return;
    throw new UserError(
      `Another run holds the migration lock (${await describeLockHolder(client)}) and lock-wait-timeout is 0; ` +
        'wait for it to finish, or raise lock-wait-timeout.',
    );
  }
  // Issued together (one round trip in pipeline mode); RESET runs whether or not the lock was taken.
  const [set, lock] = await Promise.allSettled([
    client.query(`SET lock_timeout = ${Math.ceil(timeoutMs)}`),
    client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`),
    client.query('RESET lock_timeout'),
  ]);
  if (set.status === 'rejected') throw set.reason;
  if (lock.status === 'rejected') {
    const error: unknown = lock.reason;
    if ((error as { code?: string }).code !== '55P03') throw error;
    throw new UserError(
      `Timed out after lock-wait-timeout (${Math.round(timeoutMs / 1000)} s) waiting for the migration lock, held by ` +
        `${await describeLockHolder(client)}; wait for that run to finish, end that session if it is stuck ` +
        '(SELECT pg_terminate_backend(pid)), or raise lock-wait-timeout.',
      { cause: error },
    );
  }
}

/** Release the lock; a failure is only a warning, because the lock also ends with the session. */
export async function releaseMigrationLock(client: pg.Client, log: Log): Promise<void> {
  try {
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  } catch (error) {
    log.warning(`Could not release the migration lock (${messageOf(error)}); it is released when the connection closes.`);
  }
}

interface Holder {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  backend_start: Date | null;
  state: string | null;
}

/** Who holds the lock, from pg_locks and pg_stat_activity: pid, application_name, client, since when. */
export async function describeLockHolder(client: pg.Client): Promise<string> {
  try {
    const { rows } = await client.query<Holder>(
      `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start, a.state
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((l.classid::int8 << 32) | l.objid::int8) = ${MIGRATION_LOCK_KEY}`,
    );
    const holder = rows[0];
    if (!holder) return 'a session that has since let it go';
    const parts = [`pid ${holder.pid}`];
    parts.push(`application_name "${holder.application_name ?? ''}"`);
    parts.push(`client ${holder.client_addr ?? 'local socket'}`);
    if (holder.backend_start) parts.push(`connected since ${holder.backend_start.toISOString()}`);
    if (holder.state) parts.push(`state ${holder.state}`);
    return parts.join(', ');
  } catch (error) {
    return `an unknown session (could not read pg_locks: ${messageOf(error)})`;
  }
}
