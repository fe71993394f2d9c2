import { spawn } from 'node:child_process';
import { UserError } from '../errors.js';

/**
 * `.js` migrations are code: loading one runs it. They are loaded in a child Node process, never in
 * ours, for three reasons:
 * - the bundler rewrites `import(expression)` in our own code into a lookup of modules it bundled, so
 *   user files can only be imported by a Node that was not bundled;
 * - a file that calls `process.exit()` or whose top-level `await` never settles must not end or hang
 *   the run (the deploy gate must stay shut): the child is watched and bounded in time;
 * - the file must not see the database secret: the child's environment has no `DATABASE_URL`,
 *   `INPUT_*`, `PG*`, runner command files or tokens, nor any variable that holds the secret.
 */

/** How long one file may take to load and return its SQL. */
export const JS_LOAD_TIMEOUT_MS = 10_000;

export interface JsMigration {
  readonly fullPath: string;
  /** Path for messages: `<migrations-dir>/<file>`. */
  readonly label: string;
}

/**
 * The child's program: load each file (ESM with `import()`; CommonJS also inside a `"type": "module"`
 * package, where Node would refuse it, as postgres-migrations' `require` would have read it), call
 * `generateSql()`, and send the result back. It speaks only over the IPC channel; what the files print
 * goes to pipes that the parent reads as plain text.
 */
const CHILD = String.raw`
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// --eval defines a global 'module', which would take a CommonJS file's 'module.exports = …' silently.
delete globalThis.module;
const send = (message) => new Promise((resolve) => process.send(message, () => resolve()));
const text = (error) => (error instanceof Error ? error.message : String(error));
// A migration file cannot end the run: process.exit() becomes an error of that file.
class ExitCalled extends Error {}
process.exit = (code) => {
  throw new ExitCalled('process.exit(' + (code === undefined ? '' : String(code)) + ')');
};
const problem = (kind, error) => (error instanceof ExitCalled ? { problem: 'exit', message: error.message } : { problem: kind, message: text(error) });

async function load(file) {
  try {
    const ns = await import(pathToFileURL(file).href);
    return typeof ns.generateSql === 'function' ? ns : (ns.default ?? ns);
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/\b(module|exports|require) is not defined/.test(error.message)) throw error;
    const cjs = new Module(file);
    cjs.filename = file;
    cjs.paths = Module._nodeModulePaths(path.dirname(file));
    cjs._compile(readFileSync(file, 'utf8'), file);
    return cjs.exports;
  }
}

process.once('message', async (files) => {
  // Keeps this process alive while a file's top-level await is pending, so that a wait that never
  // settles meets the parent's time limit instead of ending the process quietly.
  const alive = setInterval(() => undefined, 1 << 30);
  for (const file of files) {
    await send({ kind: 'start', file });
    let result;
    try {
      const exported = await load(file);
      if (typeof exported?.generateSql !== 'function') {
        result = { problem: 'no-export' };
      } else {
        try {
          const sql = exported.generateSql();
          result = typeof sql === 'string' ? { sql } : { problem: 'not-string', type: sql === null ? 'null' : (typeof sql?.then === 'function' ? 'a Promise' : typeof sql) };
        } catch (error) {
          result = problem('threw', error);
        }
      }
    } catch (error) {
      result = problem('load', error);
    }
    await send({ kind: 'result', file, ...result });
  }
  clearInterval(alive);
  await send({ kind: 'done' });
  process.disconnect();
});
`;

type ChildMessage =
  | { kind: 'start'; file: string }
  | { kind: 'done' }
  | { kind: 'result'; file: string; sql?: string; problem?: 'no-export' | 'not-string' | 'threw' | 'load' | 'exit'; type?: string; message?: string };

/** Variables that carry a secret or let a file speak to the runner, by name. */
const SECRET_NAME =
  /^(DATABASE_URL|INPUT_.*|PG[A-Z].*|GITHUB_(OUTPUT|ENV|PATH|STATE|STEP_SUMMARY|TOKEN)|ACTIONS_.*|CI_JOB_(TOKEN|JWT.*)|CI_BUILD_TOKEN|CI_REPOSITORY_URL|CI_REGISTRY_PASSWORD|CI_DEPLOY_PASSWORD|CI_DEPENDENCY_PROXY_PASSWORD|.*_TOKEN|.*_PASSWORD)$/i;

/**
 * The environment a `.js` migration sees: ours without the variables above and without any variable
 * whose value is one of `secrets` or holds one of 12 characters or more (e.g. GitLab's variable named by
 * `database-url-variable`). Shorter forms are only matched whole: a password such as "postgres" would
 * otherwise take PATH away. Pure.
 */
export function jsMigrationEnv(env: NodeJS.ProcessEnv, secrets: readonly string[]): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  const whole = new Set(secrets);
  const long = secrets.filter((secret) => secret.length >= 12);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || SECRET_NAME.test(name)) continue;
    if (whole.has(value.trim()) || long.some((secret) => value.includes(secret))) continue;
    clean[name] = value;
  }
  return clean;
}

export interface JsLoadOptions {
  /** The environment the files see (already cleaned by jsMigrationEnv). */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Where the files' own output (console.log, warnings) goes, one line at a time. */
  readonly output: (line: string) => void;
  readonly timeoutMs?: number;
  /** Aborted when the run is cancelled: the child is stopped. */
  readonly signal?: AbortSignal;
}

/**
 * Run every file's `generateSql()` in one child process; returns the SQL by full path. Throws a
 * UserError naming the file for: a load error, no `generateSql` export, a throw, a non-string result,
 * `process.exit()`, the process ending early, or a file that takes longer than the time limit.
 */
export function generateSqlInChild(files: readonly JsMigration[], options: JsLoadOptions): Promise<Map<string, string>> {
  const timeoutMs = options.timeoutMs ?? JS_LOAD_TIMEOUT_MS;
  const labels = new Map(files.map((f) => [f.fullPath, f.label]));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', CHILD], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const results = new Map<string, string>();
    let current: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const labelOf = (file: string | undefined) => (file === undefined ? 'a .js migration' : (labels.get(file) ?? file));
    // Settle once the child is gone and its output read to the end, so that no line of it comes later.
    // Settled once the child has exited and its output is read; a process the file started may hold the
    // pipes open, so the output is waited for half a second at most.
    const exited = child.pid === undefined ? Promise.resolve() : new Promise<void>((done) => child.on('exit', () => done()));
    const closed = exited.then(
      () =>
        new Promise<void>((done) => {
          const cut = setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            done();
          }, 500);
          child.on('close', () => {
            clearTimeout(cut);
            done();
          });
          if (child.stdout?.destroyed && child.stderr?.destroyed) done();
        }),
    );
    const finish = (error?: UserError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      void closed.then(() => (error ? reject(error) : resolve(results)));
    };
    const fail = (file: string | undefined, why: string) =>
      finish(
        new UserError(`Migration file ${labelOf(file)}${why.startsWith(':') ? '' : ' '}${why}`, {
          location: file === undefined ? undefined : { file: labelOf(file) },
        }),
      );
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          fail(
            current,
            `did not return its SQL within ${timeoutMs / 1000} s (a top-level await that never settles, or a generateSql() that never returns); ` +
              'make generateSql() return the SQL as a string without waiting on anything.',
          ),
        timeoutMs,
      );
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split(/\r?\n/);
        rest = lines.pop()!;
        for (const line of lines) options.output(line);
      });
      stream.on('end', () => rest && options.output(rest));
    }
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'start') {
        current = message.file;
        arm();
      } else if (message.kind === 'result') {
        clearTimeout(timer);
        const why = problemText(message);
        if (why) fail(message.file, why);
        else results.set(message.file, message.sql!);
      } else {
        finish();
      }
    });
    child.on('error', (error) => fail(current, `could not be loaded: cannot start Node.js to run it (${error.message}).`));
    child.on('exit', (code, signal) => {
      if (settled) return;
      fail(
        current,
        `ended the process that loads it (${signal ? `signal ${signal}` : `exit code ${code}`}) before generateSql() returned; ` +
          'a migration file cannot end the run: remove what ends the process (process.exit, process.kill, process.abort).',
      );
    });
    const onAbort = () => fail(current, `was being loaded when the run was cancelled (${String(options.signal?.reason)}); nothing was applied.`);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    void closed.then(() => options.signal?.removeEventListener('abort', onAbort));
    arm();
    child.send(files.map((f) => f.fullPath));
  });
}

function problemText(message: Extract<ChildMessage, { kind: 'result' }>): string | undefined {
  switch (message.problem) {
    case undefined:
      return undefined;
    case 'no-export':
      return 'does not export a generateSql function; add export function generateSql() { return "..." }.';
    case 'not-string':
      return `: generateSql() returned ${message.type}, not a string; return the SQL as a string.`;
    case 'threw':
      return `: generateSql() threw: ${message.message}; fix the function.`;
    case 'load':
      return `could not be loaded: ${message.message}; fix the JavaScript error.`;
    case 'exit':
      return `called ${message.message} while its SQL was being generated; a migration file cannot end the run: remove the call.`;
  }
}
