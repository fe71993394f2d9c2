import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { recordWritten } from './leaks.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr, for messages. */
  readonly all: string;
}

/** The CLI as a user installs it: the packed package, run through `npx` in a clean directory. */
export interface PackedCli {
  readonly tarball: string;
  /** A clean working directory for the runs. */
  readonly work: string;
  /** Run `npx --package <tarball> migrate-action ...args` with only `env` (plus PATH and HOME). */
  run(args: readonly string[], env?: Record<string, string>, options?: { cwd?: string; timeoutMs?: number }): Promise<CliRun>;
  /** The same, started: the process, what it has printed so far, and its end. */
  start(
    args: readonly string[],
    env?: Record<string, string>,
    options?: { cwd?: string; timeoutMs?: number },
  ): { child: ChildProcess; printed: () => string; done: Promise<CliRun> };
  /** Read a dotenv report the CLI wrote (and hand it to the leak check). */
  dotenv(file: string): Record<string, string>;
  remove(): void;
}

/** The CLI from the tarball the test run packed once (global setup), in a working directory of its own. */
export function packedCli(): PackedCli {
  const tarball = inject('cliTarball');
  const work = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-cli-'));
  return {
    tarball,
    work,
    run(args, env = {}, options = {}) {
      return this.start(args, env, options).done;
    },
    start(args, env = {}, options = {}) {
      const child = spawn('npx', ['--yes', '--package', tarball, '--', 'migrate-action', ...args], {
        cwd: options.cwd ?? work,
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, npm_config_update_notifier: 'false', ...env },
        // A process group of its own, as a terminal or a CI job gives it: a test can signal the group.
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      const done = new Promise<CliRun>((resolve) =>
        child.on('close', (code) => {
          clearTimeout(timer);
          recordWritten('cli stdout', stdout);
          recordWritten('cli stderr', stderr);
          resolve({ code, stdout, stderr, all: `${stdout}\n${stderr}` });
        }),
      );
      return { child, printed: () => `${stdout}\n${stderr}`, done };
    },
    dotenv(file) {
      const text = readFileSync(file, 'utf8');
      recordWritten('dotenv', text);
      return Object.fromEntries(
        text
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
    },
    remove() {
      rmSync(work, { recursive: true, force: true });
    },
  };
}
