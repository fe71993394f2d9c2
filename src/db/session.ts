import pg from 'pg';
import type { Setting } from '../config.js';
import { UserError, messageOf } from '../errors.js';

/**
 * The session that holds the migration lock, and what keeps it trustworthy:
 * - it is set up so that the server never ends it for being idle (a long pg_dump leaves it idle, and
 *   an `idle_session_timeout` on the role would free the lock half-way through the run);
 * - after every migration it is put back to what a new session would be, with the `settings` input
 *   applied, so that the same files give the same database in one run or in several;
 * - its backend is known (`pg_backend_pid()`), so a connection pooler that hands our statements to
 *   other server sessions is noticed before anything relies on the lock;
 * - losing its connection is noticed, and stops the run before anything more is applied.
 */

/** Names of the settings that would let the server end our sessions, and the values we give them. */
const OUR_SETTINGS: readonly (readonly [name: string, value: string, fromVersion: number])[] = [
  ['idle_session_timeout', '0', 140_000],
  ['idle_in_transaction_session_timeout', '0', 90_600],
  // The server checks every second that we are still there while a statement runs: if this job is
  // killed in the middle of a migration, it is rolled back and the lock is freed within seconds.
  ['client_connection_check_interval', '1000', 140_000],
  ['transaction_timeout', '0', 170_000],
];

/** Each of our settings, set only where the server has it (a CASE evaluates only the branch it takes). */
const SET_UP_SQL =
  "SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version" +
  OUR_SETTINGS.map(
    ([name, value, from]) =>
      `, CASE WHEN current_setting('server_version_num')::int >= ${from} THEN set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, false) END`,
  ).join('');

/** What the first statement on a new connection tells us. */
export interface SessionInfo {
  /** The server process that runs our statements. */
  readonly backendPid: number;
  /** `server_version_num`, e.g. 150018. */
  readonly serverVersion: number;
  /**
   * True when the process id the server sent at connect time is not the backend's: something (a
   * pooler such as PgBouncer, RDS Proxy or Supavisor) sits between us and the server.
   */
  readonly proxied: boolean;
}

/**
 * The first statement on a new connection: who we are talking to, and our session settings (only those
 * this server knows, so one statement serves every version). Sent without waiting, so that it goes out
 * together with whatever the run sends next.
 */
export function setUpSession(client: pg.Client): Promise<SessionInfo> {
  return client
    .query<{ pid: number; version: number }>(SET_UP_SQL)
    .then(({ rows }) => ({
      backendPid: rows[0]!.pid,
      serverVersion: rows[0]!.version,
      proxied: rows[0]!.pid !== (client as pg.Client & { processID: number | null }).processID,
    }));
}

/** One statement that sets each name to its value for the session. Pure. */
function setConfigSql(values: readonly (readonly [name: string, value: string])[]): string {
  return `SELECT ${values.map(([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, false)`).join(', ') || 'NULL'}`;
}

/** Ours, as this server knows them. */
function ourSettings(serverVersion: number): (readonly [string, string])[] {
  return OUR_SETTINGS.filter(([, , from]) => serverVersion >= from).map(([name, value]) => [name, value] as const);
}

/** Our own settings again, for after the `settings` input (which must not override them). Pure. */
export function ourSettingsSql(serverVersion: number): string {
  return setConfigSql(ourSettings(serverVersion));
}

/**
 * The statements that make a session what a new one would be (role, settings, temporary tables,
 * prepared statements, cursors, LISTEN, sequence state), then apply `settings` and our own settings
 * again; one simple query, so that it rides along with a migration's COMMIT without a round trip of its
 * own. Advisory locks are kept: the migration lock is one. Pure.
 */
export function restoreSessionSql(settings: readonly Setting[], serverVersion: number): string {
  return [
    'SET SESSION AUTHORIZATION DEFAULT',
    'RESET ALL',
    'DISCARD TEMP',
    'DISCARD SEQUENCES',
    'DEALLOCATE ALL',
    'CLOSE ALL',
    'UNLISTEN *',
    setConfigSql([...settings.map(({ name, value }) => [name, value] as const), ...ourSettings(serverVersion)]),
  ].join('; ');
}

/** Watches a connection for its end: a lost connection means a lost lock. */
export interface ConnectionWatch {
  /** The error that ended the connection, or undefined while it is alive. */
  lost(): Error | undefined;
  /** Throw a UserError that says the lock is gone and what was done, when the connection has ended. */
  assertAlive(what: string): void;
  /** The run closes the connection itself: its end from now on is not a loss. */
  closing(): void;
  /** Called once when the connection is lost (at once if it already is). */
  onLost(listener: (error: Error) => void): void;
}

export function watchConnection(client: pg.Client): ConnectionWatch {
  let ended: Error | undefined;
  let closing = false;
  const listeners: ((error: Error) => void)[] = [];
  const end = (error?: unknown) => {
    if (closing || ended) return;
    ended = error instanceof Error ? error : new Error(error === undefined ? 'the connection closed' : messageOf(error));
    for (const listener of listeners.splice(0)) listener(ended);
  };
  client.on('error', end);
  client.on('end', () => end());
  return {
    lost: () => ended,
    onLost(listener) {
      if (ended) listener(ended);
      else listeners.push(listener);
    },
    assertAlive(what) {
      if (ended) throw lostConnection(ended, what);
    },
    closing() {
      closing = true;
    },
  };
}

/** The message for a lost lock connection: nothing more is applied, and why. */
export function lostConnection(cause: unknown, what: string, heldLock = true): UserError {
  if (!heldLock) {
    return new UserError(`Lost the database connection ${what} (${messageOf(cause)}); nothing was changed. Run again when the database is back.`, { cause });
  }
  return new UserError(
    `Lost the database connection that holds the migration lock ${what} (${messageOf(cause)}); the server freed the lock with ` +
      'it, so nothing more is applied. Run again: the run starts from what the migrations table says is applied. If the server ' +
      'ends idle sessions (idle_session_timeout) or a network device drops quiet connections, that is the likely cause.',
    { cause },
  );
}

/** Whether an error means the connection itself failed (lost, terminated, server shutting down). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03', '57P05', '25P03', '25P04', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))) {
    return true;
  }
  return /Connection terminated|not queryable|Client was closed|ECONNRESET|EPIPE|socket hang up/i.test(messageOf(error));
}

/** The one message for a session that a pooler shares with others: the lock cannot be trusted. */
export function poolerError(what: string): UserError {
  return new UserError(
    `The database connection is not one server session: ${what}. A connection pooler in transaction mode (PgBouncer ` +
      'pool_mode=transaction, and the pooled URLs of Supabase, Neon, RDS Proxy and others) hands each statement to whichever ' +
      'server session is free, so a session-level migration lock means nothing and another run could apply the same migration. ' +
      'Use the direct URL of the database for migrations (a pooler in session mode also works); nothing was applied.',
  );
}

/**
 * Behind a proxy, check that our statements keep going to one server session before relying on it: a
 * second connection opens a transaction, which in transaction pooling tends to be given the server
 * session we just used (pools hand out the most recently freed one first), and holds it; our next
 * statement must still run in our session. Two rounds. Throws poolerError when it does not.
 */
export async function probeSessionStability(client: pg.Client, info: SessionInfo, openProbe: () => Promise<pg.Client>): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    const probe = await openProbe();
    try {
      await probe.query('BEGIN');
      const { rows: held } = await probe.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Checked first: with a pool of one server session, our own next statement would wait for it.
      if (held[0]!.pid === info.backendPid) {
        throw poolerError(`a second connection was given our server session (pid ${info.backendPid})`);
      }
      const { rows: ours } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      if (ours[0]!.pid !== info.backendPid) {
        throw poolerError(`our statements ran in server session pid ${info.backendPid}, then in pid ${ours[0]!.pid}`);
      }
      await probe.query('ROLLBACK');
    } finally {
      await probe.end().catch(() => undefined);
    }
  }
}
