import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { parseConfig } from '../../src/config.js';
import { INPUTS, type InputName } from '../../src/inputs.js';
import type { Log } from '../../src/log.js';
import { engineApplicationName, engineSettings, engineUrl, runEngineProgram } from '../../src/engines/spawn.js';
import type { AppliedEntry, Engine, EngineContext, EngineRevision, EngineState, SpawnRequest } from '../../src/engines/types.js';
import { recordWritten } from './leaks.js';
import type { TestDatabase } from './db.js';
import { watchConnection } from '../../src/db/session.js';

/** A Log that keeps every line, for assertions. */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`info: ${m}`),
    warning: (m) => void lines.push(`warning: ${m}`),
    error: (m, where) => void lines.push(`error: ${m}${where ? ` @ ${where.file}:${where.line ?? ''}` : ''}`),
    group: async (title, fn) => {
      lines.push(`group: ${title}`);
      return fn();
    },
  };
}

/** A Config as parseConfig makes it from the inputs (defaults for the rest). */
export function engineConfig(inputs: Partial<Record<InputName, string>>, workspace: string): Config {
  const raw = Object.fromEntries(INPUTS.map((i) => [i.name, inputs[i.name] ?? ('default' in i ? i.default : '')])) as Record<InputName, string>;
  return parseConfig(raw, { workspace, tempDir: '/tmp' });
}

/**
 * An EngineContext on a real connection to `config.databaseUrl`, with the real process runner: what the
 * run gives an engine, without the frame around it. Every spawn request is kept in `requests`.
 * `close()` hands the log to the leak check and ends the connection.
 */
export async function engineContext(
  config: Config,
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; lockPid?: number } = {},
): Promise<{
  ctx: EngineContext;
  log: ReturnType<typeof recordingLog>;
  applied: AppliedEntry[];
  undone: AppliedEntry[];
  revisions: EngineRevision[];
  requests: SpawnRequest[];
  applicationName: string;
  close: () => Promise<void>;
}> {
  const log = recordingLog();
  const client = new pg.Client({ connectionString: config.databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  const applied: AppliedEntry[] = [];
  const undone: AppliedEntry[] = [];
  const revisions: EngineRevision[] = [];
  const requests: SpawnRequest[] = [];
  const applicationName = engineApplicationName(config.engine);
  const session = client.query<{ pid: number; v: string }>("SELECT pg_backend_pid() AS pid, current_setting('server_version_num') AS v").then(({ rows }) => ({
    backendPid: rows[0]!.pid,
    serverVersion: Number(rows[0]!.v),
    proxied: false,
  })) as unknown as EngineContext['session'];
  // Closed before it answers (a test that never needs it): not an unhandled rejection.
  session.catch(() => undefined);
  const ctx: EngineContext = {
    config,
    log,
    clock: systemClock,
    signal: options.signal,
    client,
    lockPid: options.lockPid,
    session,
    watch: watchConnection(client),
    engineUrl: (extra, options) => engineUrl(config.databaseUrl, applicationName, false, engineSettings(config.settings, options), extra),
    busy: (work) => work(),
    spawn: (request) => {
      requests.push(request);
      return runEngineProgram(request, options.env ?? process.env, log, options.signal);
    },
    applied: (entry) => void applied.push(entry),
    undone: (entry) => void undone.push(entry),
    current: () => undefined,
    revision: (revision) => void revisions.push(revision),
    pending: () => undefined,
  };
  const close = async () => {
    // Everything the tool and the engine said goes through the leak check.
    recordWritten('engine log', log.lines.join('\n'));
    await session.catch(() => undefined);
    await client.end().catch(() => undefined);
  };
  return { ctx, log, applied, undone, revisions, requests, applicationName, close };
}

/**
 * Start `engine.apply` on `state`, wait until the tool's session runs pg_sleep, then cancel as the run
 * does (abort the run, and cancel the tool's server sessions, found by their application_name, which
 * outlive a stopped program). Returns what apply threw (or returned).
 */
export async function applyThenCancel(
  engine: Engine,
  made: { ctx: EngineContext; applicationName: string },
  db: Pick<TestDatabase, 'client'>,
  controller: AbortController,
  state: EngineState,
): Promise<unknown> {
  const watcher = await db.client('watcher');
  const applying = engine.apply(made.ctx, state, state.pending).catch((error: unknown) => error);
  for (;;) {
    const { rows } = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep%'", [made.applicationName]);
    if (rows.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  controller.abort('SIGTERM');
  await watcher.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [made.applicationName]);
  return applying;
}
