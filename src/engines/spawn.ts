import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Log } from '../log.js';
import type { SpawnRequest, SpawnResult } from './types.js';

/** How much of each stream is kept for error messages. */
const KEEP_BYTES = 64 * 1024;
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

/**
 * The connection URL an engine is given: our URL with `application_name` set (replacing the user's,
 * so that the run can find and cancel the engine's sessions), and, when the URL has no sslmode, the
 * mode our own connection ended up with (`require` when it is encrypted, else `disable`), so the engine
 * behaves as our connection did rather than by its driver's default. `extraParams` are engine-specific.
 * Pure; the password's encoding is kept as written.
 */
export function engineUrl(url: string, applicationName: string, encrypted: boolean, extraParams: Readonly<Record<string, string>> = {}): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const at = base.indexOf('?');
  const head = at < 0 ? base : base.slice(0, at);
  const params = new URLSearchParams(at < 0 ? '' : base.slice(at + 1));
  params.set('application_name', applicationName);
  if (!params.has('sslmode')) {
    params.set('sslmode', encrypted ? 'require' : 'disable');
    for (const [name, value] of Object.entries(extraParams)) params.set(name, value);
  }
  return `${head}?${params.toString()}`;
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

/**
 * Run an engine's program: stdin closed, output streamed line by line into the log (the log redacts
 * secrets and keeps a line from being read as a runner command), a separate process group so that a
 * stop reaches what it starts. When `signal` aborts: SIGTERM to the group, SIGKILL after STOP_GRACE_MS.
 * Never rejects for the program's exit code; rejects only when it cannot be started.
 */
export function runEngineProgram(request: SpawnRequest, env: NodeJS.ProcessEnv, log: Log, signal?: AbortSignal): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(request.program, [...request.args], {
      cwd: request.cwd,
      env: engineEnv(env, request.env),
      stdio: ['ignore', 'pipe', 'pipe', ...(request.resultPipe ? (['pipe'] as const) : [])],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const stdout = new Tail();
    const stderr = new Tail();
    let result = '';
    const lineLogger = (tail: Tail) => {
      let partial = '';
      return {
        data: (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          tail.push(text);
          if (request.quiet) return;
          const lines = (partial + text).split(/\r?\n/);
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim() !== '') log.info(`${request.tool}: ${line}`);
        },
        end: () => {
          if (!request.quiet && partial.trim() !== '') log.info(`${request.tool}: ${partial}`);
          partial = '';
        },
      };
    };
    const out = lineLogger(stdout);
    const err = lineLogger(stderr);
    child.stdout!.on('data', out.data);
    child.stderr!.on('data', err.data);
    const pipe = request.resultPipe ? (child.stdio[3] as NodeJS.ReadableStream | null) : null;
    pipe?.on('data', (chunk: Buffer) => {
      result += chunk.toString('utf8');
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

    child.on('error', (error) => {
      signal?.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      reject(error);
    });
    // 'close': the process has ended and its streams are drained.
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      out.end();
      err.end();
      resolve({ code, signal: sig, stdout: stdout.toString(), stderr: stderr.toString(), result });
    });
  });
}
