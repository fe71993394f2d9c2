import net from 'node:net';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Clock } from '../clock.js';
import type { Endpoint } from '../config.js';
import { Cancelled, UserError, messageOf } from '../errors.js';
import type { Log } from '../log.js';
import { dial, openStream, tlsSettings, TlsProblem, withoutTlsParams } from './tls.js';
import { setUpSession, type SessionInfo } from './session.js';

export const APPLICATION_NAME = 'migrate-action';

/** Network errors that can clear up while a database starts or its DNS name appears. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P03', // cannot_connect_now: the database system is starting up / shutting down / in recovery
  '53300', // too_many_connections
]);

/** Whether waiting may help. Authentication, a missing database and SSL problems never get better. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code);
  const message = messageOf(error);
  return /Connection terminated (unexpectedly|due to connection timeout)|timeout expired/i.test(message);
}

export function describeEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

/** The message for an error that waiting will not fix; names the endpoint and the fix. */
export function fatalConnectMessage(error: unknown, endpoint: Endpoint): string {
  const where = describeEndpoint(endpoint);
  const code = (error as { code?: unknown }).code;
  const message = messageOf(error);
  if (code === '28P01') {
    return `Password authentication failed for user "${endpoint.user}" at ${where}; check the password in the database-url secret.`;
  }
  if (code === '3D000') {
    return `Database "${endpoint.database}" does not exist on ${endpoint.host}:${endpoint.port}; create it first, or fix the database name in database-url.`;
  }
  if (error instanceof TlsProblem) return `Cannot connect to ${where}: ${message}`;
  if (refusedForTls(error)) {
    return /no encryption|SSL off/i.test(message)
      ? `The server at ${where} accepts this user only over SSL (${message}); remove sslmode=disable from database-url (the default, prefer, uses SSL when the server offers it).`
      : `The server at ${where} accepts this user only without SSL (${message}); use sslmode=prefer or sslmode=disable in database-url.`;
  }
  if (code === '28000') {
    return `The server at ${where} refused user "${endpoint.user}": ${message}; check the user name and the server's pg_hba.conf.`;
  }
  return `Cannot connect to ${where}: ${message}${typeof code === 'string' ? ` (${code})` : ''}; check database-url.`;
}

/**
 * pg's client settings for our URL, with our application_name so that lock holders can be told apart.
 * Pipeline mode: a query is sent as soon as it is issued, not when the one before it has answered, so
 * that queries issued together (BEGIN with a migration's SQL, say) cost one round trip. Code that awaits
 * each query sees no difference.
 */
export function clientConfig(databaseUrl: string, connectionTimeoutMillis: number): pg.ClientConfig {
  // TLS is negotiated by tls.ts, as libpq does; the driver is given a stream that is ready.
  const parsed = parse(withoutTlsParams(databaseUrl));
  return {
    ...(parsed as pg.ClientConfig),
    port: parsed.port ? Number(parsed.port) : 5432,
    host: parsed.host || 'localhost',
    ssl: false,
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis,
    pipeline: true,
  } as pg.ClientConfig;
}

/** One connection attempt's outcome; never a rejected promise, so it can run unwatched for a while. */
export type Attempt = { readonly client: pg.Client } | { readonly error: unknown };

/** A connection attempt under way: its outcome, and a way to drop it (connected or not) unused. */
export interface PendingConnection {
  readonly attempt: Promise<Attempt>;
  abandon(): void;
}

/** The server refused a session for the TLS it was opened with (pg_hba.conf: hostssl/hostnossl lines). */
function refusedForTls(error: unknown): boolean {
  return (error as { code?: unknown }).code === '28000' && /\b(no encryption|SSL encryption|SSL off|SSL on)\b/i.test(messageOf(error));
}

/**
 * One attempt to connect, taking at most `timeoutMs` (between 0.25 s and 10 s), with TLS as sslmode
 * says (tls.ts): `prefer` falls back to a plain connection when the server refuses the encrypted one,
 * `allow` tries a plain one first. Errors the connection reports later are logged as warnings.
 */
export function startConnecting(databaseUrl: string, timeoutMs: number, log: Log): PendingConnection {
  const limit = Math.max(250, Math.min(timeoutMs, 10_000));
  const config = clientConfig(databaseUrl, limit);
  const settings = tlsSettings(databaseUrl);
  // Our own sockets, so that abandon() can close them at once: pg's end() waits for a connect under way.
  const sockets: net.Socket[] = [];
  const clients: pg.Client[] = [];
  const once = async (useTls: boolean): Promise<pg.Client> => {
    const socket = new net.Socket();
    sockets.push(socket);
    const timer = setTimeout(() => socket.destroy(new Error('timeout expired')), limit);
    timer.unref();
    let stream: net.Socket;
    try {
      ({ stream } = await openStream(config.host as string, config.port as number, settings, useTls, socket));
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const client = new pg.Client({ ...config, stream: () => stream });
    clients.push(client);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
  const attempt = (async (): Promise<Attempt> => {
    try {
      let client: pg.Client;
      if (settings.mode === 'allow' || settings.mode === 'prefer') {
        const first = settings.mode === 'prefer';
        client = await once(first).catch((error: unknown) => {
          // libpq's fallbacks: a session refused for its TLS, and for prefer a failed handshake too.
          const handshake = first && error instanceof TlsProblem && error.handshake;
          if (!refusedForTls(error) && !handshake) throw error;
          return once(!first);
        });
      } else {
        client = await once(settings.mode !== 'disable');
      }
      client.on('error', (error) => log.warning(`Database connection error: ${messageOf(error)}`));
      return { client };
    } catch (error) {
      return { error };
    }
  })();
  return {
    attempt,
    abandon: () => {
      for (const client of clients) void client.end().catch(() => undefined);
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** A connection, and what its first statement told us (pending until awaited: it rides with the next query). */
export interface Connected {
  readonly client: pg.Client;
  readonly session: Promise<SessionInfo>;
}

/**
 * Connect, retrying transient failures with backoff until `waitTimeoutMs` has passed; fail at once on
 * anything that waiting cannot fix. `first`, when given, is an attempt already under way (started while
 * the migration files were read) and counts as the first.
 */
export async function connectWithWait(
  databaseUrl: string,
  endpoint: Endpoint,
  waitTimeoutMs: number,
  clock: Clock,
  log: Log,
  first?: Promise<Attempt>,
  signal?: AbortSignal,
): Promise<Connected> {
  const deadline = clock.now() + waitTimeoutMs;
  let delay = 250;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    // An attempt never outlives the deadline by much: a host that drops packets must not stretch wait-timeout.
    const attempt = await (attempts === 1 && first ? first : startConnecting(databaseUrl, deadline - clock.now(), log).attempt);
    if ('client' in attempt) {
      const session = setUpSession(attempt.client);
      // Awaited later; an error of it (a lost connection) shows in the next query too.
      session.catch(() => undefined);
      log.info(`Connected to ${describeEndpoint(endpoint)} as ${endpoint.user} after ${attempts} attempt(s).`);
      return { client: attempt.client, session };
    }
    const { error } = attempt;
    if (!isTransient(error)) throw new UserError(fatalConnectMessage(error, endpoint), { cause: error });
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new UserError(
        `Database at ${endpoint.host}:${endpoint.port} did not accept connections within wait-timeout ` +
          `(${Math.round(waitTimeoutMs / 1000)} s, ${attempts} attempts); last error: ${messageOf(error)}. ` +
          'Check the host and port, and that the database is running (give a service container a health check), or raise wait-timeout.',
        { cause: error },
      );
    }
    log.info(`Database not ready (${messageOf(error)}); retrying in ${(Math.min(delay, left) / 1000).toFixed(2)} s.`);
    await clock.sleep(Math.min(delay, left));
    if (signal?.aborted) throw new Cancelled(`The run was cancelled (${String(signal.reason)}) while waiting for the database; nothing was applied.`);
    delay = Math.min(delay * 2, 2_000);
  }
}

/**
 * Ask the server to cancel whatever statement `client`'s session is running: PostgreSQL's
 * CancelRequest (the session's process id and secret key) on a connection of its own, as libpq's
 * PQcancel does. Best effort, at most 3 s; it never throws.
 */
export async function cancelRunningStatement(databaseUrl: string, client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as pg.Client & { processID: number | null; secretKey: number | null };
  if (processID === null || secretKey === null) return;
  const config = clientConfig(databaseUrl, 3_000);
  const socket = new net.Socket();
  const timer = setTimeout(() => socket.destroy(), 3_000);
  try {
    await dial(config.host as string, config.port as number, socket);
    const request = Buffer.alloc(16);
    request.writeInt32BE(16, 0);
    request.writeInt32BE(80_877_102, 4);
    request.writeInt32BE(processID, 8);
    request.writeInt32BE(secretKey, 12);
    // The server reads the request and closes the connection.
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end(request);
    });
  } catch {
    // best effort
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
