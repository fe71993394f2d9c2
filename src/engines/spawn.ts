import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Setting } from '../config.js';
import type { Log } from '../log.js';
import type { EngineUrlOptions, SpawnRequest, SpawnResult } from './types.js';

/** How much of each stream is kept for error messages. */
const KEEP_BYTES = 64 * 1024;
/** A line of a tool's output longer than this is cut in the log (and one without an end, logged in pieces). */
const MAX_LINE_CHARS = 16 * 1024;
/** How much of a tool's output the log shows; the rest is counted, not shown. */
const MAX_LOGGED_CHARS = 10_000_000;
/** After the program has exited, how long what it started may keep its output open before we stop reading. */
export const DRAIN_MS = 1_500;
/** After SIGTERM, how long a stopped engine gets before SIGKILL. */
export const STOP_GRACE_MS = 5_000;

/**
 * The job's environment for an engine: the step's inputs are removed (on GitHub they hold the database
 * URL under INPUT_DATABASE-URL), then `extra` (the URL as DATABASE_URL) is set. Pure.
 */
export function engineEnv(env: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || /^INPUT_/i.test(name) || name.startsWith('MIGRATE_INPUT_')) continue;
    out[name] = value;
  }
  return { ...out, ...extra };
}

/** A name for an engine's server sessions, unique to this run: they are found by it to be cancelled. */
export function engineApplicationName(tool: string): string {
  return `migrate-action-${tool}-${randomBytes(4).toString('hex')}`;
}

/** `%XX` decoded, as libpq decodes a URL (`+` stays `+`); text that is not valid encoding stays as written. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A query string's parameters in order, decoded as libpq decodes them. Pure. */
function queryParams(query: string): [string, string][] {
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

/**
 * `-c name=value` for the server's startup `options`, as PostgreSQL splits them: on any whitespace,
 * with a backslash escaping the next character. Pure.
 */
export function settingsOptions(settings: readonly Setting[]): string {
  const escape = (text: string) => text.replace(/\\/g, '\\\\').replace(/\s/g, (space) => `\\${space}`);
  return settings.map(({ name, value }) => `-c ${escape(name)}=${escape(value)}`).join(' ');
}

/**
 * The connection URL an engine is given. Pure; the result is written with every part percent-encoded
 * the same way (libpq, pg, lib/pq and SQLAlchemy then all read the same user, password and host):
 * - user and password re-encoded, the host taken after the LAST `@` as our own connection does (an
 *   unencoded `@` in a password would otherwise split the URL elsewhere for some drivers);
 * - `application_name` set (replacing the user's), so that the run can find and cancel the engine's
 *   sessions;
 * - when the URL has no sslmode, the mode our own connection ended up with (`require` when it is
 *   encrypted, else `disable`), so the engine behaves as our connection did rather than by its driver's
 *   default; `extraParams` (a driver's own TLS switch) are added only then;
 * - the settings input added to the URL's `options` (the startup options every driver sends; a URL's
 *   own `options`, e.g. a provider's endpoint id, is kept in front of them).
 */
export function engineUrl(
  url: string,
  applicationName: string,
  encrypted: boolean,
  settings: readonly Setting[] = [],
  extraParams: Readonly<Record<string, string>> = {},
): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(base)?.[0] ?? '';
  const afterScheme = base.slice(scheme.length);
  const authorityEnd = afterScheme.search(/[/?]/);
  const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const rest = authorityEnd < 0 ? '' : afterScheme.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  let userinfo = '';
  if (at >= 0) {
    const raw = authority.slice(0, at);
    const colon = raw.indexOf(':');
    const [user, password] = colon < 0 ? [raw, undefined] : [raw.slice(0, colon), raw.slice(colon + 1)];
    const encode = (text: string) => encodeURIComponent(decode(text));
    userinfo = `${encode(user)}${password === undefined ? '' : `:${encode(password)}`}@`;
  }
  const host = authority.slice(at + 1);
  const queryAt = rest.indexOf('?');
  const path = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const params = new Map<string, string>(queryParams(queryAt < 0 ? '' : rest.slice(queryAt + 1)));
  params.set('application_name', applicationName);
  if (!params.has('sslmode')) {
    params.set('sslmode', encrypted ? 'require' : 'disable');
    for (const [name, value] of Object.entries(extraParams)) params.set(name, value);
  }
  if (settings.length > 0) {
    const own = params.get('options');
    params.set('options', own ? `${own} ${settingsOptions(settings)}` : settingsOptions(settings));
  }
  const query = [...params].map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  return `${scheme}${userinfo}${host}${path}?${query}`;
}

/** The settings an engine's URL carries: the input's, then, for a probe that must change nothing, read-only transactions. Pure. */
export function engineSettings(settings: readonly Setting[], options: EngineUrlOptions = {}): readonly Setting[] {
  return options.readOnly ? [...settings, { name: 'default_transaction_read_only', value: 'on' }] : settings;
}

/** Keeps the last KEEP_BYTES of a stream. */
class Tail {
  private text = '';
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 2 * KEEP_BYTES) this.text = this.text.slice(-KEEP_BYTES);
  }
  toString(): string {
    return this.text.slice(-KEEP_BYTES);
  }
}

/** util-linux's setpriv, which can set the parent-death signal of the program it then becomes. */
const SETPRIV = '/usr/bin/setpriv';
let setprivUsable: boolean | undefined;

/**
 * The command line that starts `program` so that it is killed if this process dies without stopping
 * it (SIGKILL, out of memory): our lock ends with our connection, and the tool must not go on migrating
 * without it. On Linux, `setpriv --pdeathsig KILL` sets the kernel's parent-death signal and then becomes
 * the program (same process, same group); its open transaction is rolled back when its connection
 * drops. Elsewhere, or for a program that is not an executable file, it is started as it is.
 */
export function diesWithUs(program: string, args: readonly string[]): [string, string[]] {
  if (process.platform !== 'linux' || !path.isAbsolute(program)) return [program, [...args]];
  // util-linux before 2.33 has setpriv without --pdeathsig: its program text names the option or not
  // (read once, which costs less than starting it).
  setprivUsable ??= (() => {
    try {
      accessSync(SETPRIV, constants.X_OK);
      return readFileSync(SETPRIV).includes('pdeathsig');
    } catch {
      return false;
    }
  })();
  if (!setprivUsable) return [program, [...args]];
  try {
    accessSync(program, constants.X_OK);
  } catch {
    return [program, [...args]]; // let spawn report it as it is (ENOENT, EACCES)
  }
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', program, ...args]];
}

/** A started program: its process, its end, and whether its output lines are logged. */
interface Launched {
  readonly child: ChildProcess;
  /** Resolves when the program has ended and its streams are drained; rejects only when it cannot start. */
  readonly done: Promise<SpawnResult>;
  /** What it has written to fd 3 and not yet been taken (a session takes it line by line). */
  takeResult(): string;
  setQuiet(quiet: boolean): void;
}

/**
 * Start an engine's program: stdin closed, output streamed line by line into the log (the log redacts
 * secrets and keeps a line from being read as a runner command), a separate process group so that a
 * stop reaches what it starts. When `signal` aborts: SIGTERM to the group, SIGKILL after STOP_GRACE_MS.
 * `commandPipe` adds fd 4, which the program reads commands from.
 */
function launch(request: SpawnRequest, env: NodeJS.ProcessEnv, log: Log, signal: AbortSignal | undefined, commandPipe: boolean, onResult?: () => void): Launched {
  const [program, args] = diesWithUs(request.program, request.args);
  const child = spawn(program, args, {
    cwd: request.cwd,
    env: engineEnv(env, request.env),
    stdio: ['ignore', 'pipe', 'pipe', ...(request.resultPipe || commandPipe ? (['pipe'] as const) : []), ...(commandPipe ? (['pipe'] as const) : [])],
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
  const stdout = new Tail();
  const stderr = new Tail();
  let result = '';
  let quiet = request.quiet === true;
  let logged = 0;
  const log1 = (line: string) => {
    if (quiet || line.trim() === '') return;
    logged += line.length;
    if (logged <= MAX_LOGGED_CHARS) log.info(`${request.tool}: ${line.slice(0, MAX_LINE_CHARS)}${line.length > MAX_LINE_CHARS ? ` … (${line.length - MAX_LINE_CHARS} more characters)` : ''}`);
    else if (logged - line.length <= MAX_LOGGED_CHARS) log.info(`${request.tool}: … (more output not shown: the log keeps the first ${MAX_LOGGED_CHARS / 1_000_000} million characters of a tool's output)`);
  };
  const lineLogger = (tail: Tail) => {
    let partial = '';
    return {
      data: (text: string) => {
        tail.push(text);
        // Lines end at \n, \r\n or a lone \r (a progress bar); only the new text is searched, and a
        // line without an end is cut at MAX_LINE_CHARS, so output of any shape costs linear time.
        let start = 0;
        for (let i = 0; i < text.length; i += 1) {
          const c = text.charCodeAt(i);
          if (c !== 10 && c !== 13) continue;
          log1(partial + text.slice(start, i));
          partial = '';
          start = i + 1;
        }
        partial += text.slice(start);
        if (partial.length > MAX_LINE_CHARS) {
          log1(partial);
          partial = '';
        }
      },
      end: () => {
        log1(partial);
        partial = '';
      },
    };
  };
  const out = lineLogger(stdout);
  const err = lineLogger(stderr);
  // Decoded as streams: a character split across two chunks stays one character.
  child.stdout!.setEncoding('utf8').on('data', out.data);
  child.stderr!.setEncoding('utf8').on('data', err.data);
  (child.stdio[3] as NodeJS.ReadableStream | null | undefined)?.on('data', (chunk: Buffer) => {
    result += chunk.toString('utf8');
    onResult?.();
  });

  let killTimer: NodeJS.Timeout | undefined;
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Already gone.
    }
  };
  const stop = () => {
    kill('SIGTERM');
    killTimer = setTimeout(() => kill('SIGKILL'), STOP_GRACE_MS);
    killTimer.unref();
  };
  if (signal?.aborted) stop();
  else signal?.addEventListener('abort', stop, { once: true });

  // A program that leaves something running with its output open (a daemon an env.py starts) has
  // exited all the same: after DRAIN_MS its streams are closed, and what is left of its group stopped.
  let drainTimer: NodeJS.Timeout | undefined;
  child.on('exit', () => {
    drainTimer = setTimeout(() => {
      kill('SIGTERM');
      for (const stream of child.stdio) (stream as { destroy?: () => void } | null)?.destroy?.();
    }, DRAIN_MS);
    drainTimer.unref();
  });

  const done = new Promise<SpawnResult>((resolve, reject) => {
    child.on('error', (error) => {
      signal?.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      reject(error);
    });
    // 'close': the process has ended and its streams are drained.
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      if (drainTimer) clearTimeout(drainTimer);
      out.end();
      err.end();
      resolve({ code, signal: sig, stdout: stdout.toString(), stderr: stderr.toString(), result });
    });
  });
  return {
    child,
    done,
    takeResult: () => {
      const taken = result;
      result = '';
      return taken;
    },
    setQuiet: (value) => {
      quiet = value;
    },
  };
}

/**
 * Run an engine's program to its end (see launch). Never rejects for the program's exit code; rejects
 * only when it cannot be started.
 */
export function runEngineProgram(request: SpawnRequest, env: NodeJS.ProcessEnv, log: Log, signal?: AbortSignal): Promise<SpawnResult> {
  return launch(request, env, log, signal, false).done;
}

/** A program that stays up and answers commands: one line on fd 4 in, one line on fd 3 out. */
export interface EngineSession {
  /**
   * Send `command` (one line) and wait for the program's one-line answer; `ended` instead when the
   * program ended first (its result then holds what it wrote to fd 3). `quiet`: its output meanwhile is
   * not logged.
   */
  ask(command: string, quiet: boolean): Promise<{ readonly answer: string } | { readonly ended: SpawnResult }>;
  /** Close fd 4: the program then ends by itself, without keeping this process waiting for it. */
  end(): Promise<SpawnResult | undefined>;
}

/**
 * Start a program that answers commands (see EngineSession), e.g. the Alembic helper started while the
 * run connects, so that Python's start overlaps ours. It is stopped like any engine program on abort.
 * A program that cannot be started answers every command with `ended` (code null, the error in stderr).
 */
export function startEngineSession(request: SpawnRequest, env: NodeJS.ProcessEnv, log: Log, signal?: AbortSignal): EngineSession {
  let wake: (() => void) | undefined;
  const launched = launch(request, env, log, signal, true, () => wake?.());
  const ended = launched.done.catch((error: unknown): SpawnResult => ({
    code: null,
    signal: null,
    stdout: '',
    stderr: error instanceof Error ? error.message : String(error),
    result: '',
  }));
  let finished: SpawnResult | undefined;
  void ended.then((result) => {
    finished = result;
    wake?.();
  });
  const commands = launched.child.stdio[4] as NodeJS.WritableStream | null | undefined;
  commands?.on('error', () => undefined); // written after the program ended: the answer says so
  let buffered = '';
  return {
    async ask(command, quiet) {
      launched.setQuiet(quiet);
      if (!finished) commands?.write(`${command.replace(/\n/g, ' ')}\n`);
      for (;;) {
        buffered += launched.takeResult();
        const newline = buffered.indexOf('\n');
        if (newline >= 0) {
          const answer = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          return { answer };
        }
        if (finished) return { ended: { ...finished, result: buffered } };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
    async end() {
      // fd 4 closed: the program ends by itself. Its interpreter's shutdown is not waited for (the run's
      // result is known); it no longer keeps this process alive, and a stop still reaches its group.
      commands?.end();
      if (finished) return finished;
      launched.child.unref();
      for (const stream of launched.child.stdio) (stream as { unref?: () => void } | null)?.unref?.();
      return undefined;
    },
  };
}
