import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { DOTENV_KEYS } from '../../src/cli.js';
import { startBundle } from './action.js';
import { packedCli, type PackedCli } from './cli.js';
import { freshDatabase, type TestDatabase } from './db.js';

/** The two shipped ways in that run the program itself: the Action's bundle and the packed CLI. */
export type Artifact = 'action' | 'cli';
export const ARTIFACTS: readonly Artifact[] = ['action', 'cli'];

/** What both artifacts report, under the Action's output names (the CLI's from its dotenv report). */
export interface ShippedRun {
  readonly artifact: Artifact;
  readonly code: number | null;
  /** Everything printed (stdout, then stderr). */
  readonly log: string;
  readonly outputs: Record<string, string>;
  /** The Action's job summary; empty for the CLI. */
  readonly summary: string;
}

const DOTENV_TO_OUTPUT: Record<string, string> = Object.fromEntries(DOTENV_KEYS);

/**
 * Run one artifact with the Action's inputs: the bundle with INPUT_* as the runner sets them, or the CLI
 * with the same inputs as flags and a --dotenv report. `env` is the rest of the environment.
 */
export async function runShipped(
  artifact: Artifact,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cli?: PackedCli; cwd?: string } = {},
): Promise<ShippedRun> {
  return startShipped(artifact, inputs, options).done;
}

/** runShipped, started: the process (to signal it), what it has printed so far, and its end. */
export function startShipped(
  artifact: Artifact,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cli?: PackedCli; cwd?: string } = {},
): { child: ChildProcess; printed: () => string; done: Promise<ShippedRun> } {
  const env = options.env ?? {};
  if (artifact === 'action') {
    const started = startBundle(inputs, env);
    return {
      ...started,
      done: started.done.then((run) => ({ artifact, code: run.code, log: `${run.stdout}\n${run.stderr}`, outputs: run.outputs, summary: run.summary })),
    };
  }
  const cli = options.cli;
  if (!cli) throw new Error('runShipped(cli) needs the packed CLI');
  const { command = 'apply', ...flags } = inputs;
  const report = path.join(mkdtempSync(path.join(os.tmpdir(), 'migrate-action-dotenv-')), 'migrate.env');
  const args = [command, ...Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value]), '--dotenv', report];
  const started = cli.start(args, env, { cwd: options.cwd });
  const done = started.done.then((run) => {
    let outputs: Record<string, string> = {};
    try {
      outputs = Object.fromEntries(Object.entries(cli.dotenv(report)).map(([key, value]) => [DOTENV_TO_OUTPUT[key] ?? key, value]));
    } catch {
      // no report: the test's own expectations say whether that is right
    }
    return { artifact, code: run.code, log: run.all, outputs, summary: '' };
  });
  return { child: started.child, printed: started.printed, done };
}

/**
 * The shared set-up of a test file that runs both shipped artifacts: the packed CLI, fresh databases
 * closed after each test, and `run(artifact, db, dir, inputs, env)`.
 */
export function shippedSuite(): {
  database(): Promise<TestDatabase>;
  run(artifact: Artifact, db: Pick<TestDatabase, 'url'>, dir: string, inputs?: Record<string, string>, env?: Record<string, string>): Promise<ShippedRun>;
  start(artifact: Artifact, db: Pick<TestDatabase, 'url'>, dir: string, inputs?: Record<string, string>, env?: Record<string, string>): ReturnType<typeof startShipped>;
} {
  let cli: PackedCli;
  const dbs: TestDatabase[] = [];
  beforeAll(() => {
    cli = packedCli();
  });
  afterAll(() => cli.remove());
  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.close()));
  });
  return {
    async database() {
      const db = await freshDatabase();
      dbs.push(db);
      return db;
    },
    run: (artifact, db, dir, inputs = {}, env = {}) => runShipped(artifact, { 'database-url': db.url, 'migrations-dir': dir, ...inputs }, { cli, env }),
    start: (artifact, db, dir, inputs = {}, env = {}) => startShipped(artifact, { 'database-url': db.url, 'migrations-dir': dir, ...inputs }, { cli, env }),
  };
}
